"""SLA tracking on tickets: turn warnings and breaches into timeline events, notices to the assignee and
one escalation per breach to the supervisor, and keep the ticket's stored SLA state current.

The sweep touches only targets whose indexed ``next_check_at`` has come, so its cost follows the work
that is due, not the number of tickets ever closed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import Clock
from aftersales.core.db import core_connection, table_of
from aftersales.core.timeutil import to_local
from aftersales.notifications import service as notifications_service
from aftersales.sla import rules as sla_rules
from aftersales.sla import service as sla_service
from aftersales.sla.enums import OutcomeKind, SlaState, TargetKind
from aftersales.sla.models import Target
from aftersales.tickets.models import Ticket, TicketEvent

TARGET_LABELS = {
    TargetKind.FIRST_RESPONSE: "首次联系",
    TargetKind.ONSITE: "上门到达",
    TargetKind.RESOLUTION: "解决",
}


class TicketRef(Protocol):
    """The few ticket fields the sweep needs (an ORM object or a light row)."""

    @property
    def number(self) -> str: ...
    @property
    def assignee_id(self) -> int | None: ...
    @property
    def organisation_id(self) -> int | None: ...
    @property
    def sla_state(self) -> str: ...


@dataclass(frozen=True)
class SweepReport:
    """What one sweep pass did."""

    targets_checked: int
    warnings: int
    breaches: int
    tickets_changed: int


def refresh_ticket(session: Session, *, clock: Clock, ticket: Ticket, notify: bool = True) -> list[sla_service.Outcome]:
    """Evaluate one ticket's targets now: record what came due and update its SLA state.

    ``notify=False`` is for replaying history (imports, demo): the events are written, nobody is paged.
    """
    targets = sla_service.targets_of(session, ticket.id)
    outcomes = sla_service.evaluate_targets(targets, clock.now())
    if outcomes:
        _record_outcomes(session, clock=clock, tickets={ticket.id: ticket}, outcomes=outcomes, notify=notify)
    ticket.sla_state = sla_service.ticket_state(targets)
    return outcomes


def sweep(session: Session, *, clock: Clock, limit: int = 5_000) -> SweepReport:
    """One warning/breach pass over the targets that have come due (at most ``limit`` of them)."""
    now = clock.now()
    claimed = sla_service.claim_due_targets(session, now=now, limit=limit)
    if not claimed:
        return SweepReport(0, 0, 0, 0)
    outcomes = sla_service.evaluate_targets(claimed, now)
    ticket_ids = sorted({target.ticket_id for target in claimed})
    tickets: dict[int, TicketRef] = {
        ticket.id: ticket
        for chunk in _chunks(ticket_ids, 500)
        for ticket in session.execute(
            select(Ticket.id, Ticket.number, Ticket.assignee_id, Ticket.organisation_id, Ticket.sla_state).where(
                Ticket.id.in_(chunk)
            )
        ).all()
    }
    _record_outcomes(session, clock=clock, tickets=tickets, outcomes=outcomes)
    session.flush()
    changed = _update_ticket_states(session, clock=clock, tickets=tickets)
    warnings = sum(1 for outcome in outcomes if outcome.kind == OutcomeKind.WARNING)
    return SweepReport(len(claimed), warnings, len(outcomes) - warnings, changed)


def sweep_all(session: Session, *, clock: Clock, batch: int = 5_000) -> SweepReport:
    """Sweep batch after batch until nothing more is due."""
    totals = [0, 0, 0, 0]
    while True:
        report = sweep(session, clock=clock, limit=batch)
        for index, value in enumerate(
            (report.targets_checked, report.warnings, report.breaches, report.tickets_changed)
        ):
            totals[index] += value
        if report.targets_checked < batch:
            return SweepReport(*totals)


def _chunks(values: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _update_ticket_states(session: Session, *, clock: Clock, tickets: Mapping[int, TicketRef]) -> int:
    states: dict[int, list[SlaState]] = defaultdict(list)
    for chunk in _chunks(sorted(tickets), 500):
        for ticket_id, state in session.execute(
            select(Target.ticket_id, Target.state).where(Target.ticket_id.in_(chunk))
        ).all():
            states[ticket_id].append(SlaState(state))
    by_new_state: dict[SlaState, list[int]] = defaultdict(list)
    audit: list[accounts_service.AuditRow] = []
    for ticket_id, ticket in tickets.items():
        new_state = sla_rules.combine_states(states[ticket_id])
        old_state = SlaState(ticket.sla_state)
        if new_state != old_state:
            by_new_state[new_state].append(ticket_id)
            audit.append(
                accounts_service.AuditRow(
                    at=clock.now(),
                    actor=SYSTEM_ACTOR,
                    action="ticket.sla_state",
                    entity_type="ticket",
                    entity_id=ticket_id,
                    before={"sla_state": old_state.value},
                    after={"sla_state": new_state.value},
                )
            )
    accounts_service.append_audit_rows(session, audit)
    # The sweep's own bookkeeping does not bump the ticket version: no agent edit is invalidated by it.
    for state, ids in by_new_state.items():
        for chunk in _chunks(ids, 500):
            session.execute(
                update(Ticket).where(Ticket.id.in_(chunk)).values(sla_state=state),
                execution_options={"synchronize_session": False},
            )
    return sum(len(ids) for ids in by_new_state.values())


def _record_outcomes(
    session: Session,
    *,
    clock: Clock,
    tickets: Mapping[int, TicketRef],
    outcomes: Sequence[sla_service.Outcome],
    notify: bool = True,
) -> None:
    """Timeline events for every outcome, then the notices, each written in one statement."""
    now = clock.now()
    by_ticket: dict[int, list[sla_service.Outcome]] = defaultdict(list)
    events = []
    for outcome in outcomes:
        by_ticket[outcome.ticket_id].append(outcome)
        label = TARGET_LABELS[outcome.target]
        is_warning = outcome.kind == OutcomeKind.WARNING
        verb = "即将超时（已用 80% 时限）" if is_warning else "已超时"
        due = f"{to_local(outcome.due_at):%Y-%m-%d %H:%M}"
        events.append(
            {
                "ticket_id": outcome.ticket_id,
                "type": outcome.kind.value,
                "at": outcome.at,
                "recorded_at": now,
                "actor_id": None,
                "actor_name": "system",
                "from_status": None,
                "to_status": None,
                "note": f"{label}{verb}，时限 {due}",
                "data": {
                    "target": outcome.target.value,
                    "due_at": outcome.due_at.isoformat(),
                    "note_key": "sla.warning" if is_warning else "sla.breached",
                    "note_params": {"target": {"label": "sla_target", "value": outcome.target.value}, "due_at": due},
                },
            }
        )
    if events:
        core_connection(session).execute(insert(table_of(TicketEvent)), events)
    if not notify:
        return
    recipients_cache: dict[tuple[int | None, int | None], list[int]] = {}
    messages: list[notifications_service.NewMessage] = []
    for ticket_id, found in by_ticket.items():
        ticket = tickets[ticket_id]
        key = (ticket.assignee_id, ticket.organisation_id)
        if key not in recipients_cache:
            recipients_cache[key] = [
                user.id
                for user in accounts_service.supervisors_for(
                    session, user_id=ticket.assignee_id, organisation_id=ticket.organisation_id
                )
            ]
        for kind in (OutcomeKind.WARNING, OutcomeKind.BREACHED):
            batch = [outcome for outcome in found if outcome.kind == kind]
            if batch:
                messages.extend(_notices(ticket_id, ticket, kind, batch, recipients_cache[key]))
    notifications_service.enqueue_many(session, clock=clock, messages=messages)


def _notices(
    ticket_id: int,
    ticket: TicketRef,
    kind: OutcomeKind,
    batch: Sequence[sla_service.Outcome],
    supervisors: list[int],
) -> list[notifications_service.NewMessage]:
    """Warning: to the assignee and the supervisors. Breach: to the assignee, and exactly one escalation
    to the first supervisor with the others copied in the payload. Each names the ticket's organisation,
    so the routing rules of that organisation (or its region) copy it to their channels."""
    number, assignee_id = ticket.number, ticket.assignee_id
    targets = sorted(outcome.target.value for outcome in batch)
    labels = "、".join(TARGET_LABELS[TargetKind(target)] for target in targets)
    due = min(outcome.due_at for outcome in batch)
    tag = f"{ticket_id}:{'+'.join(targets)}:{due.isoformat()}"
    payload = {"ticket_id": ticket_id, "number": number, "targets": targets, "due_at": due.isoformat()}
    context = {"ticket_number": number, "targets": labels, "due_at": f"{to_local(due):%Y-%m-%d %H:%M}"}
    message = notifications_service.NewMessage
    if kind == OutcomeKind.WARNING:
        recipients: list[int | None] = [r for r in dict.fromkeys([assignee_id, *supervisors]) if r is not None]
        return [
            message(
                kind="sla_warning",
                dedupe_key=f"sla_warning:{tag}:{recipient}",
                context=context,
                recipient_user_id=recipient,
                ticket_id=ticket_id,
                payload=payload,
                organisation_id=ticket.organisation_id,
            )
            for recipient in recipients or [None]
        ]
    notices = []
    if assignee_id is not None:
        notices.append(
            message(
                kind="sla_breached",
                dedupe_key=f"sla_breached:{tag}",
                context=context,
                recipient_user_id=assignee_id,
                ticket_id=ticket_id,
                payload=payload,
                organisation_id=ticket.organisation_id,
            )
        )
    notices.append(
        message(
            kind="sla_escalation",
            dedupe_key=f"sla_escalation:{tag}",
            context=context,
            recipient_user_id=supervisors[0] if supervisors else None,
            ticket_id=ticket_id,
            payload={**payload, "cc_user_ids": supervisors[1:]},
            organisation_id=ticket.organisation_id,
        )
    )
    return notices
