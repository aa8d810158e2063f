"""Typed settings read from the environment (prefix ``AFTERSALES_``); nothing is read at import time."""

from __future__ import annotations

import logging
import os
import secrets
from datetime import datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger("aftersales.config")

Environment = Literal["production", "development", "demo", "test"]
# Modes in which a missing AFTERSALES_SECRET_KEY is replaced by a random key kept in ./var/secret_key.
KEY_FILE_ENVIRONMENTS: frozenset[str] = frozenset({"development", "demo", "test"})


def _default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'var' / 'aftersales.db'}"


class MissingSecretKeyError(RuntimeError):
    """Production mode without AFTERSALES_SECRET_KEY: the process must not start."""

    def __init__(self) -> None:
        super().__init__(
            "未配置签名密钥：生产模式（AFTERSALES_ENV=production，默认）必须设置 AFTERSALES_SECRET_KEY，"
            "所有服务进程使用同一个值（例如用 `python3 -c 'import secrets; print(secrets.token_hex(32))'` 生成）；"
            "本地开发或演示请设置 AFTERSALES_ENV=development 或 demo。\n"
            "No signing key configured: production mode (AFTERSALES_ENV=production, the default) requires "
            "AFTERSALES_SECRET_KEY, the same value for every server process (generate one with "
            "`python3 -c 'import secrets; print(secrets.token_hex(32))'`); for local development or a demo "
            "set AFTERSALES_ENV=development or demo."
        )


class Settings(BaseSettings):
    """Runtime configuration; every field can be set as AFTERSALES_<NAME> (the mode as AFTERSALES_ENV)."""

    # validate_by_name: Settings(environment=...) works while the environment variable is AFTERSALES_ENV.
    model_config = SettingsConfigDict(env_prefix="AFTERSALES_", env_file=None, extra="ignore", validate_by_name=True)

    # production (the default) refuses to start without secret_key; development/demo/test fall back to a key file.
    environment: Environment = Field(default="production", validation_alias="AFTERSALES_ENV")
    database_url: str = Field(default_factory=_default_database_url)
    # Signs survey links. Empty: refused in production; elsewhere a random key kept in ./var/secret_key.
    secret_key: str = ""
    public_base_url: str = "http://127.0.0.1:8000"  # where customers open survey links
    timezone: str = "Asia/Shanghai"
    # Demo, development and benchmarks only: run as if the time were this instant (ISO 8601 with an
    # offset), the clock then moving on with real time. Refused in production.
    clock_start: datetime | None = None
    ticket_number_prefix: str = "SH"
    sqlite_synchronous: str = "FULL"
    sqlite_busy_timeout_ms: int = 30_000
    db_pool_size: int = 10
    sweep_interval_seconds: float = 30.0
    sweep_batch_size: int = 5_000
    run_jobs_in_process: bool = True
    auto_dispatch: bool = True  # dispatch new installation/repair tickets after intake commits
    # The dispatch decision runs after the ticket's commit: in a thread of the serving process, woken by
    # each new field job and polling every dispatch_poll_seconds; off (tests) runs it in the request
    # thread right after the commit.
    dispatch_in_background: bool = True
    # False: serving processes only queue the requests and `aftersales worker` decides them (its own
    # process and core; decisions then wait for its next poll, every dispatch_poll_seconds).
    dispatch_in_server: bool = True
    # Where a serving process decides: in a child process of its own (its own GIL and core, so decisions
    # never slow the process's requests), or in a thread of the serving process (False).
    dispatch_in_child_process: bool = True
    dispatch_poll_seconds: float = Field(default=2.0, gt=0)
    # A check-in farther than this from the customer's address, or a visit shorter than the minimum stay,
    # is flagged for the inspector and left out of first-time-fix until reviewed.
    check_in_max_distance_km: float = Field(default=1.0, gt=0)
    min_stay_minutes: int = Field(default=10, ge=0)
    # Route solving and emergency insertion hold the GIL: servers and workers run them in a child process
    # (core.offload) so that a day plan or an emergency never stalls their other threads (tests: in-process).
    offload_computation: bool = True
    # The analytics jobs (hot-issue topics, dashboard rollups) read history in bulk while people work on
    # the same cores: their threads run this much nicer (Linux nice value added; 0 keeps them equal), so
    # requests get the CPU first and the jobs take what is left.
    background_nice: int = Field(default=10, ge=0, le=19)
    # Largest request body accepted (413 above it); photos and signatures are the largest legitimate ones.
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    # Rate limits, requests per minute from one address (login also per account name); 0 switches one off.
    rate_limit_login_per_minute: int = Field(default=20, ge=0)
    rate_limit_self_service_per_minute: int = Field(default=10, ge=0)
    rate_limit_lookup_per_minute: int = Field(default=30, ge=0)
    rate_limit_survey_per_minute: int = Field(default=20, ge=0)
    # How often open console pages ask for new inbox messages (the header badge, the inbox list).
    inbox_poll_seconds: int = Field(default=15, ge=1, le=3600)
    # How often open console pages refresh the ticket list's rows and a ticket's SLA countdowns.
    live_refresh_seconds: int = Field(default=30, ge=1, le=3600)
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
    # "log" (the default: logs the text, sends nothing), "aliyun" (Alibaba Cloud SMS, below), or
    # "package.module:factory" called with the settings.
    sms_adapter: str = "log"
    # Alibaba Cloud SMS (dysmsapi SendSms): the endpoint (tests point it at a local fake), an AccessKey pair of a
    # RAM user allowed dysms:SendSms, the approved signature (签名) and, as JSON, one approved template code per
    # message kind: {"appointment": "SMS_…", "appointment.rescheduled": "SMS_…", "on_the_way": "SMS_…", …}.
    aliyun_sms_endpoint: str = "https://dysmsapi.aliyuncs.com/"
    aliyun_sms_access_key_id: str = ""
    aliyun_sms_access_key_secret: SecretStr = SecretStr("")
    aliyun_sms_sign_name: str = ""
    aliyun_sms_region_id: str = "cn-hangzhou"
    aliyun_sms_templates: dict[str, str] = Field(default_factory=dict)
    aliyun_sms_timeout_seconds: float = Field(default=5.0, gt=0)  # the provider advises at least 1 s

    @model_validator(mode="after")
    def _clock_start_outside_production(self) -> Settings:
        if self.clock_start is not None:
            if self.clock_start.tzinfo is None:
                raise ValueError(
                    "AFTERSALES_CLOCK_START 需要带时区偏移（例如 2026-11-25T10:00:00+08:00）/ needs an offset"
                )
            if self.environment not in KEY_FILE_ENVIRONMENTS:
                raise ValueError(
                    "AFTERSALES_CLOCK_START 只用于演示、开发和测试，生产模式不可设置 / "
                    "AFTERSALES_CLOCK_START is for demo, development and test modes only"
                )
        return self

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"未知时区 / unknown IANA time zone: {value!r}") from None
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once, on first use)."""
    return Settings()


def require_secret_key(settings: Settings) -> None:
    """Start-up check of ``serve``, ``worker`` and the app factory: refuse production without a key.

    Outside production a missing key is allowed, and said in the log: links are then signed with a
    random key kept in ./var/secret_key (created on first use).
    """
    if settings.secret_key:
        return
    if settings.environment not in KEY_FILE_ENVIRONMENTS:
        raise MissingSecretKeyError
    log.warning(
        "AFTERSALES_SECRET_KEY 未设置（%s 模式）：使用 ./var/secret_key 中的随机密钥（首次使用时生成）/ "
        "AFTERSALES_SECRET_KEY is not set (%s mode): signing with a random key kept in ./var/secret_key "
        "(created on first use)",
        settings.environment,
        settings.environment,
    )


def secret_bytes(settings: Settings) -> bytes:
    """The signing key: the setting; outside production, else a random key kept in ./var/secret_key (0600)."""
    if settings.secret_key:
        return settings.secret_key.encode()
    if settings.environment not in KEY_FILE_ENVIRONMENTS:
        raise MissingSecretKeyError
    path = Path.cwd() / "var" / "secret_key"
    if not path.exists():
        _create_key_file(path)
    return path.read_text().strip().encode()


def _create_key_file(path: Path) -> None:
    # Written whole under a temporary name, then linked into place: concurrent processes (serve --workers)
    # never read a half-written file, and the first link wins.
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_hex(32))
    try:
        os.link(temporary, path)
        log.info("generated a random signing key in %s (AFTERSALES_SECRET_KEY is not set)", path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
