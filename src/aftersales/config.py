"""Typed settings read from the environment (prefix ``AFTERSALES_``); nothing is read at import time."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'var' / 'aftersales.db'}"


class Settings(BaseSettings):
    """Runtime configuration; every field can be set as AFTERSALES_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="AFTERSALES_", env_file=None, extra="ignore")

    database_url: str = Field(default_factory=_default_database_url)
    timezone: str = "Asia/Shanghai"
    ticket_number_prefix: str = "SH"
    sqlite_synchronous: str = "FULL"
    sqlite_busy_timeout_ms: int = 30_000
    db_pool_size: int = 10
    sweep_interval_seconds: float = 30.0
    sweep_batch_size: int = 5_000
    run_jobs_in_process: bool = True
    auto_dispatch: bool = True  # dispatch new installation/repair tickets at intake
    log_level: str = "INFO"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once, on first use)."""
    return Settings()
