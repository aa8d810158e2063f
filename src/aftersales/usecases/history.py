"""Replaying history: a ticket registered in the past and walked through the steps it really took, each
at its own time, so SLA warnings and breaches land where they happened. Used by CSV import and the demo.

This is a cross-package use case (intake + lifecycle + the return visit), so it lives with the flows. The
loop's guards hold for history too: an on-site result needs its check-in step, and a 回访 step is recorded
through a (past) return visit.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy.orm import Session

from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock, FrozenClock
from aftersales.core.errors import DomainError
from aftersales.core.i18n import N_
from aftersales.core.timeutil import ensure_utc
from aftersales.feedback import visits as feedback_visits
from aftersales.tickets import service as tickets_service
from aftersales.tickets.enums import EventType
from aftersales.tickets.models import Ticket
from aftersales.tickets.schemas import TicketCreate
from aftersales.usecases import intake as flows


@dataclass(frozen=True)
class Step:
    """One past lifecycle step."""

    type: EventType
    at: datetime
    note: str | None = None


def replay(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    request: TicketCreate,
    steps: Sequence[Step],
    number_prefix: str = "SH",
    assignee_username: str | None = None,
) -> tuple[Ticket, bool]:
    """Create the ticket as of its report time and apply each step at its own time; nothing is paged."""
    now = clock.now()
    reported_at = request.reported_at or now
    history_clock = FrozenClock(reported_at)
    opened, created = flows.open_ticket(
        session, clock=history_clock, actor=actor, request=request, number_prefix=number_prefix, notify=False
    )
    ticket = tickets_service.get_ticket(session, opened.id)
    if not created:
        return ticket, False
    previous = reported_at
    for step in steps:
        if step.at < previous:
            raise tickets_service.InvalidTicketError(
                N_("%(step)s 的时间早于上一步"),
                {"step": step.type.value},
                fields={step.type.value: step.at.isoformat()},
            )
        if step.at > now:
            raise tickets_service.InvalidTicketError(
                N_("%(step)s 的时间晚于当前时间"),
                {"step": step.type.value},
                fields={step.type.value: step.at.isoformat()},
            )
        history_clock.set(step.at)
        if assignee_username and step.type == EventType.CONTACT:
            tickets_service.update_ticket(
                session,
                clock=history_clock,
                actor=actor,
                ticket_id=ticket.id,
                version=ticket.version,
                assignee_username=assignee_username,
                notify=False,
            )
        if step.type == EventType.RETURN_VISIT:
            # The 回访 is recorded through its visit, as it is live (one call that reached the customer).
            feedback_visits.record_past_visit(
                session, clock=history_clock, actor=actor, ticket_id=ticket.id, note=step.note
            )
        else:
            tickets_service.apply_event(
                session,
                clock=history_clock,
                actor=actor,
                ticket_id=ticket.id,
                event_type=step.type,
                note=step.note,
                notify=False,
                data={"replayed": True} if step.type == EventType.CHECK_IN else None,
            )
        previous = step.at
    # Catch up to the present: what has come due since the last step is recorded, still without paging.
    history_clock.set(now)
    tickets_service.sla_tracking.refresh_ticket(session, clock=history_clock, ticket=ticket, notify=False)
    session.flush()
    return ticket, True


CSV_COLUMNS = [
    "external_id",
    "channel",
    "kind",
    "priority",
    "customer_name",
    "phone",
    "address",
    "product_model",
    "serial_number",
    "purchase_date",
    "description",
    "reported_at",
    "contacted_at",
    "checked_in_at",
    "resolved_at",
    "visited_at",
    "closed_at",
]
REQUIRED_COLUMNS = {"customer_name", "phone", "description", "reported_at"}
STEP_COLUMNS = [
    ("contacted_at", EventType.CONTACT),
    # On-site kinds need the visit's arrival before their result, as they do live.
    ("checked_in_at", EventType.CHECK_IN),
    ("resolved_at", EventType.RESULT),
    ("visited_at", EventType.RETURN_VISIT),
    ("closed_at", EventType.CLOSE),
]


@dataclass
class ImportReport:
    """What an import did: rows created, rows skipped as already present, rows refused (with reasons)."""

    created: int = 0
    skipped: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _parse_time(value: str, column: str) -> datetime:
    try:
        return ensure_utc(datetime.fromisoformat(value.strip().replace("/", "-")))
    except ValueError:
        raise ValueError(f"{column}: 时间格式无效 {value!r}（应为 YYYY-MM-DD HH:MM[:SS]，默认北京时间）") from None


def _row_request(row: dict[str, str]) -> tuple[TicketCreate, list[Step]]:
    missing = [column for column in sorted(REQUIRED_COLUMNS) if not (row.get(column) or "").strip()]
    if missing:
        raise ValueError(f"缺少必填列：{', '.join(missing)}")
    payload: dict[str, object] = {
        "channel": (row.get("channel") or "import").strip() or "import",
        "customer": {
            "name": row["customer_name"],
            "phone": row["phone"],
            "address": (row.get("address") or None),
        },
        "description": row["description"],
        "reported_at": _parse_time(row["reported_at"], "reported_at"),
    }
    for column in ("kind", "priority", "external_id"):
        if (row.get(column) or "").strip():
            payload[column] = row[column].strip()
    if (row.get("product_model") or "").strip():
        payload["product"] = {
            "model": row["product_model"].strip(),
            "serial_number": (row.get("serial_number") or "").strip() or None,
            "purchase_date": (row.get("purchase_date") or "").strip() or None,
        }
    request = TicketCreate.model_validate(payload)
    steps = [
        Step(event, _parse_time(row[column], column))
        for column, event in STEP_COLUMNS
        if (row.get(column) or "").strip()
    ]
    return request, steps


def _validation_text(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        location = ".".join(str(part) for part in item.get("loc", ()))
        parts.append(f"{location}: {str(item.get('msg', '')).removeprefix('Value error, ')}")
    return "；".join(parts)


def import_csv(session: Session, *, clock: Clock, actor: Actor, text: str, number_prefix: str = "SH") -> ImportReport:
    """Import history from CSV text; each row is all-or-nothing (a savepoint), good rows are kept."""
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = set(reader.fieldnames or [])
    missing = REQUIRED_COLUMNS - header
    if missing:
        report.errors.append((1, f"表头缺少列：{', '.join(sorted(missing))}"))
        return report
    unknown = header - set(CSV_COLUMNS)
    if unknown:
        report.errors.append((1, f"未知列：{', '.join(sorted(unknown))}"))
        return report
    for row in reader:
        line = reader.line_num
        try:
            request, steps = _row_request(row)
        except ValidationError as error:
            report.errors.append((line, _validation_text(error)))
            continue
        except ValueError as error:
            report.errors.append((line, str(error)))
            continue
        try:
            with session.begin_nested():
                _, created = replay(
                    session,
                    clock=clock,
                    actor=actor,
                    request=request,
                    steps=steps,
                    number_prefix=number_prefix,
                )
        except DomainError as error:
            report.errors.append((line, f"{error.code}: {error.detail}"))
            continue
        if created:
            report.created += 1
        else:
            report.skipped += 1
    return report


def steps_from_pairs(pairs: Iterable[tuple[EventType, datetime, str | None]]) -> list[Step]:
    """Convenience for callers building steps from tuples."""
    return [Step(event, at, note) for event, at, note in pairs]
