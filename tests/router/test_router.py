"""Routing (R7.3, R18.1): region rules first, the learned router second, fallbacks last — always with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from router.catalog import RegionDataError
from router.router import Router

REGION = Path(__file__).resolve().parents[2] / "regions" / "kuzbass"


@pytest.fixture(scope="module")
def router() -> Router:
    return Router.load(REGION)


def test_municipal_matter_goes_to_the_administration_of_the_place(router: Router) -> None:
    routes = router.route("Неработающее наружное освещение", "novokuznetsk")
    assert [r.agency for r in routes] == ["adm-novokuznetsk"]
    assert routes[0].reason.startswith("правило:") and "Новокузнецкий" in routes[0].reason


def test_regional_matter_goes_to_the_ministry_wherever_it_is(router: Router) -> None:
    topic = "Нарушение дорожного покрытия (ямы) на дорогах регионального и межмуниципального значения"
    for place in ("kemerovo", None):
        routes = router.route(topic, place)
        assert [r.agency for r in routes] == ["min-zhkh"]


def test_no_rule_uses_the_learned_router_only_for_agencies_the_region_knows(router: Router) -> None:
    learned = [("Комитет другой области", 0.9), ("min-health", 0.6)]
    routes = router.route("Тема, которой нет в таксономии", None, learned)
    assert [r.agency for r in routes] == ["min-health"]
    assert routes[0].reason.startswith("модель")


def test_fallback_rule_when_the_place_is_unknown(router: Router) -> None:
    routes = router.route("Неработающее наружное освещение", None)
    assert [r.agency for r in routes] == ["gzhi"] and "запасное" in routes[0].reason


def test_learned_only_router_for_evaluation_keeps_every_candidate() -> None:
    routes = Router.learned_only().route("x", None, [("A", 0.05), ("B", 0.01)])
    assert [r.agency for r in routes] == ["A", "B"]


def test_bad_rules_are_refused_with_the_file_named(tmp_path: Path) -> None:
    for name in ("municipalities.yaml", "agencies.yaml", "topics.yaml"):
        (tmp_path / name).write_text((REGION / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "routing.yaml").write_text("rules:\n  - {group: zhkh, agencies: [no-such-agency]}\n", encoding="utf-8")
    with pytest.raises(RegionDataError, match=r"routing\.yaml"):
        Router.load(tmp_path)
