"""``aftersales notifications`` commands: deliver, list, retry."""

from __future__ import annotations

import json
import logging
import threading
from typing import Annotated

import typer

from aftersales.config import get_settings
from aftersales.core.db import unit_of_work
from aftersales.core.runtime import clock_for, session_factory
from aftersales.notifications import rules
from aftersales.notifications import service as notifications_service
from aftersales.notifications.enums import Channel, OutboxStatus
from aftersales.notifications.jobs import deliver_due

app = typer.Typer(help="Notifications outbox (通知).", no_args_is_help=True)


@app.command("deliver")
def deliver(once: Annotated[bool, typer.Option(help="deliver what is due now and exit")] = False) -> None:
    """Send due outbox messages (SMTP, webhook, WeCom robot, SMS adapter), retrying failures with backoff."""
    settings = get_settings()
    logging.basicConfig(level=settings.log_level)
    if once:
        report = deliver_due(session_factory(), clock_for(), settings)
        typer.echo(json.dumps(report.as_dict()))
        return
    stop = threading.Event()
    try:
        while not stop.is_set():
            report = deliver_due(session_factory(), clock_for(), settings)
            logging.getLogger("aftersales.notifications").info("delivered: %s", report.as_dict())
            stop.wait(settings.notify_interval_seconds)
    except KeyboardInterrupt:
        stop.set()


@app.command("list")
def list_messages(
    status: Annotated[OutboxStatus | None, typer.Option(help="pending, sending, sent, failed, suppressed")] = None,
    kind: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
) -> None:
    """List outbox messages, oldest first (addresses of SMS recipients masked)."""
    with unit_of_work(session_factory()) as session:
        for message in notifications_service.list_outbox(session, status=status, kind=kind, limit=limit):
            address = message.recipient_address or (
                f"user:{message.recipient_user_id}" if message.recipient_user_id else "-"
            )
            if message.channel == Channel.SMS and message.recipient_address:
                address = rules.mask_phone(message.recipient_address)
            note = message.last_error or message.suppressed_reason or ""
            typer.echo(
                "\t".join(
                    [
                        str(message.id),
                        message.status,
                        message.channel,
                        message.kind,
                        address,
                        f"attempts={message.attempts}",
                        message.subject,
                        note,
                    ]
                )
            )


@app.command("retry")
def retry(message_ids: Annotated[list[int], typer.Argument(help="ids of failed messages")]) -> None:
    """Put failed (dead-lettered) messages back in the queue with fresh attempts."""
    with unit_of_work(session_factory()) as session:
        count = notifications_service.requeue(session, clock=clock_for(), message_ids=message_ids)
    typer.echo(f"requeued {count}")
    if count < len(set(message_ids)):
        raise typer.Exit(1)
