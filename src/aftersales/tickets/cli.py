"""Ticket commands: the SLA sweep over open tickets (mounted as ``aftersales sla sweep``)."""

from __future__ import annotations

import json

import typer

from aftersales.config import get_settings
from aftersales.core.commandline import QuietOption
from aftersales.core.progress import on_stderr
from aftersales.core.runtime import clock_for, session_factory
from aftersales.tickets.jobs import sweep_job


def sweep(quiet: QuietOption = False) -> None:
    """Run the warning/breach pass once and print what it did."""
    with on_stderr(quiet=quiet) as progress:
        report = sweep_job(session_factory(), clock_for(), get_settings(), progress=progress)
    typer.echo(
        json.dumps(
            {
                "targets_checked": report.targets_checked,
                "warnings": report.warnings,
                "breaches": report.breaches,
                "tickets_changed": report.tickets_changed,
            }
        )
    )
