"""Settings from the environment (prefix ``OTKLIK_``) or a secrets file; URLs switch embedded -> production."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from otklik.bus.kafka_limits import DEFAULT_LIMITS

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="OTKLIK_",
        env_file=None,
        secrets_dir=None,
        extra="ignore",
    )

    data_dir: Path = Field(default=REPO_ROOT / "var", description="embedded stores live here")
    region: str = "kuzbass"
    regions_dir: Path = REPO_ROOT / "regions"

    # message bus: empty -> embedded SQLite log under data_dir
    kafka_bootstrap: str | None = None
    kafka_partitions: int = 6
    kafka_replication: int = 1
    kafka_client_id: str = "otklik"
    # Consumer batching (see otklik.bus.kafka_limits): larger = less CPU per post, more latency when light.
    kafka_fetch_min_bytes: int = Field(default=DEFAULT_LIMITS.fetch_min_bytes, ge=1)
    kafka_fetch_max_wait_ms: int = Field(default=DEFAULT_LIMITS.fetch_max_wait_ms, ge=0, le=5_000)

    # workflow database: empty -> SQLite file under data_dir
    database_url: SecretStr | None = None

    # analytics: empty -> chDB folder under data_dir
    clickhouse_url: SecretStr | None = None

    # console
    console_host: str = "127.0.0.1"
    console_port: int = 8000
    secret_key: SecretStr | None = None

    # regulation options (CLAUSES.md)
    short_clocks_working_time: bool = True
    detection_event: str = Field(default="surfaced", description="surfaced | marked")

    log_json: bool = False
    log_level: str = "INFO"

    @property
    def bus_dsn(self) -> str:
        if self.kafka_bootstrap:
            return f"kafka://{self.kafka_bootstrap}"
        return f"sqlite:///{self.data_dir / 'bus.sqlite'}"

    @property
    def database_dsn(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.data_dir / 'otklik.sqlite'}"

    @property
    def clickhouse_dsn(self) -> str:
        if self.clickhouse_url is not None:
            return self.clickhouse_url.get_secret_value()
        return f"chdb:///{self.data_dir / 'chdb'}"

    @property
    def region_dir(self) -> Path:
        return self.regions_dir / self.region


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read once per process; secrets may also come from files in ``OTKLIK_SECRETS_DIR``."""
    import os

    secrets_dir = os.environ.get("OTKLIK_SECRETS_DIR")
    if secrets_dir:
        return Settings(_secrets_dir=secrets_dir)  # type: ignore[call-arg]
    return Settings()
