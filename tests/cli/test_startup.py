"""Start-up refusals of ``serve`` and ``worker``: production needs AFTERSALES_SECRET_KEY, nothing is written."""

from __future__ import annotations

import logging
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aftersales.app import create_app
from aftersales.cli import CONFIGURATION_ERROR, app
from aftersales.config import MissingSecretKeyError, Settings, get_settings, secret_bytes
from aftersales.core import runtime


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty working directory and the default database URL (./var/aftersales.db), no secret key."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AFTERSALES_DATABASE_URL", raising=False)
    monkeypatch.delenv("AFTERSALES_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    runtime.engine.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
    runtime.engine.cache_clear()


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """``uvicorn.run`` replaced by a recorder: a refusal that regressed must not start a real server."""
    import uvicorn

    calls: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda application, **options: calls.append(application))
    return calls


def _assert_refused(result: Any) -> None:
    assert result.exit_code == CONFIGURATION_ERROR == 78, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("未配置签名密钥") and "AFTERSALES_SECRET_KEY" in lines[0]
    assert lines[1].startswith("No signing key configured") and "AFTERSALES_SECRET_KEY" in lines[1]
    assert "AFTERSALES_ENV=development" in lines[1]


@pytest.mark.parametrize("environment", ["production", None])
@pytest.mark.parametrize("command", [["serve"], ["serve", "--workers", "2"], ["worker"], ["worker", "--once"]])
def test_production_without_a_secret_key_refuses_to_start(
    workdir: Path,
    served: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    environment: str | None,
    command: list[str],
) -> None:
    if environment is None:
        monkeypatch.delenv("AFTERSALES_ENV")  # production is the default …
        monkeypatch.setenv("ENVIRONMENT", "development")  # … and only the prefixed variable sets the mode
    else:
        monkeypatch.setenv("AFTERSALES_ENV", environment)
    result = CliRunner().invoke(app, command)
    _assert_refused(result)
    assert served == []
    assert list(workdir.iterdir()) == []  # no ./var, no database, no key file


def test_production_with_a_secret_key_serves(workdir: Path, served: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERSALES_ENV", "production")
    monkeypatch.setenv("AFTERSALES_SECRET_KEY", "a-real-production-key")
    result = CliRunner().invoke(app, ["serve", "--no-jobs"])
    assert result.exit_code == 0, result.output
    assert len(served) == 1
    assert not (workdir / "var" / "secret_key").exists()


def test_the_app_factory_refuses_production_without_a_key(workdir: Path) -> None:
    settings = Settings(environment="production", secret_key="")
    with pytest.raises(MissingSecretKeyError, match="AFTERSALES_SECRET_KEY"):
        create_app(settings)
    with pytest.raises(MissingSecretKeyError):
        secret_bytes(settings)
    assert list(workdir.iterdir()) == []


def test_development_mode_says_it_keeps_a_key_file_and_creates_it_once(
    workdir: Path, served: list[Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AFTERSALES_ENV", "development")
    with caplog.at_level(logging.INFO, logger="aftersales.config"):
        result = CliRunner().invoke(app, ["serve", "--no-jobs"])
    assert result.exit_code == 0, result.output
    assert len(served) == 1
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "AFTERSALES_SECRET_KEY 未设置（development 模式）" in warnings[0]
    assert "./var/secret_key" in warnings[0]

    settings = Settings(environment="development", secret_key="")
    key = secret_bytes(settings)
    path = workdir / "var" / "secret_key"
    assert len(key) == 64 and path.read_text() == key.decode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_bytes(settings) == key  # read back, not replaced
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(".secret_key")) == []
    assert secret_bytes(Settings(environment="demo", secret_key="")) == key
    assert secret_bytes(Settings(environment="production", secret_key="set")) == b"set"


def test_a_running_app_switches_threads_often_and_restores_the_interval_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The intake writer wins the GIL back after each SQLite call without a 5 ms convoy behind other threads."""
    import sys

    from fastapi.testclient import TestClient

    from aftersales import app as app_module

    before = sys.getswitchinterval()
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'app.db'}", run_jobs_in_process=False)
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert sys.getswitchinterval() == app_module.GIL_SWITCH_INTERVAL_S == 0.0005
    assert sys.getswitchinterval() == before


def test_serve_trusts_only_the_named_proxies_and_waits_for_slow_starts(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    options: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda application, **given: options.append(given))
    monkeypatch.setenv("AFTERSALES_ENV", "production")
    monkeypatch.setenv("AFTERSALES_SECRET_KEY", "s" * 40)
    get_settings.cache_clear()
    for arguments in (["serve", "--forwarded-allow-ips", "10.0.0.7"], ["serve", "--workers", "2"]):
        result = CliRunner().invoke(app, arguments)
        assert result.exit_code == 0, result.output
    single, several = options
    assert (single["proxy_headers"], single["forwarded_allow_ips"]) == (True, "10.0.0.7")
    assert (several["forwarded_allow_ips"], several["timeout_worker_healthcheck"], several["workers"]) == (
        "127.0.0.1",
        60,
        2,
    )
