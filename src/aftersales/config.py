"""Typed settings read from the environment (prefix ``AFTERSALES_``); nothing is read at import time."""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'var' / 'aftersales.db'}"


class Settings(BaseSettings):
    """Runtime configuration; every field can be set as AFTERSALES_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="AFTERSALES_", env_file=None, extra="ignore")

    database_url: str = Field(default_factory=_default_database_url)
    # Signs survey links; empty: a random key kept in ./var/secret_key (created on first use).
    secret_key: str = ""
    public_base_url: str = "http://127.0.0.1:8000"  # where customers open survey links
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
    # Notification delivery (the outbox sender): batches, lease, retries, quiet hours (in ``timezone``).
    notify_interval_seconds: float = 10.0
    notify_batch_size: int = Field(default=50, ge=1)
    notify_lease_seconds: float = Field(default=300.0, gt=0)
    notify_max_attempts: int = Field(default=8, ge=1)
    notify_retry_base_seconds: float = Field(default=60.0, gt=0)
    notify_retry_max_seconds: float = 3600.0
    notify_retry_jitter: float = Field(default=0.1, ge=0, lt=1)
    notify_quiet_start: time = time(22, 0)
    notify_quiet_end: time = time(8, 0)
    smtp_host: str = ""  # empty: email is not configured and email messages fail with that reason
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = "售后服务 <noreply@aftersales.local>"
    smtp_timeout_seconds: float = 10.0
    webhook_url: str = ""  # default endpoint; a message whose address is an http(s) URL goes there instead
    webhook_secret: SecretStr = SecretStr("")
    wecom_robot_url: str = ""  # https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…
    http_timeout_seconds: float = 10.0
    sms_adapter: str = "log"  # "log", or "package.module:factory" called with the settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once, on first use)."""
    return Settings()


def secret_bytes(settings: Settings) -> bytes:
    """The signing key: the setting, else a random key kept in ./var/secret_key (mode 0600)."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = Path.cwd() / "var" / "secret_key"
    if not path.exists():
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip().encode()
