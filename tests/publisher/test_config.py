"""The publisher is built from region data and env secrets; missing secrets disable a network, not the service."""

from __future__ import annotations

from pathlib import Path

from otklik.settings import REPO_ROOT
from publisher.config import build_adapters, build_publisher, load_limits, load_publishing

REGION = REPO_ROOT / "regions" / "kuzbass"


def test_r21_limits_come_from_region_data() -> None:
    limits = load_limits(REGION)
    assert limits["twitter"].max_chars == 280 and limits["instagram"].max_chars == 2200


def test_networks_with_secrets_are_configured_and_secrets_stay_out_of_files(tmp_path: Path) -> None:
    config = load_publishing(REGION)
    config["networks"]["vk"]["group_id"] = "777"
    config["networks"]["instagram"]["username"] = "kuzbass_official"
    env = {"OTKLIK_VK_TOKEN": "t-vk", "OTKLIK_INSTAGRAM_TOKEN": "t-ig"}
    assert set(build_adapters(config, env)) == {"vk", "instagram"}
    assert build_adapters(config, {}) == {}
    text = (REGION / "publishing.yaml").read_text("utf-8")
    assert "t-vk" not in text and "token_env" in text


def test_build_publisher_uses_the_data_dir_outbox(tmp_path: Path) -> None:
    publisher = build_publisher(tmp_path, REGION, env={})
    assert publisher.outbox.path == tmp_path / "publisher-outbox.sqlite" and publisher.manual == {"blog"}
    assert publisher.policy.max_attempts == 5
    publisher.outbox.close()
