"""The ticket's panel (``tickets/_panel.html``) and what it is drawn from: the ticket, its timeline and
comments, the actions the user may take, the emotion report, and what the user had typed.

Every form on the panel answers with the panel drawn again (HTMX swaps it whole). So that no one loses
what they typed in one form when another is sent or refused, each form also posts the other forms' text
(``hx-include``) and the panel is drawn with those drafts; only the form that succeeded starts empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.accounts import policy
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.core.clock import Clock
from aftersales.core.errors import DomainError
from aftersales.core.i18n import N_
from aftersales.dispatch.fieldwork import flags as field_flags
from aftersales.tickets import assignment as tickets_assignment
from aftersales.tickets import guards as tickets_guards
from aftersales.tickets import rules as ticket_rules
from aftersales.tickets import service as tickets_service
from aftersales.tickets import timeline as ticket_timeline
from aftersales.tickets.display import sla_badges
from aftersales.tickets.enums import EventType, TicketKind, TicketStatus
from aftersales.tickets.models import Ticket
from aftersales.usecases import emotions
from aftersales.usecases.console.common import under_warranty
from aftersales.usecases.console.ticket_page.emotion import NEEDS_CARE, EmotionReport, emotion_report
from aftersales.web.labels import label
from aftersales.web.messages import domain_message, field_messages
from aftersales.web.pages import Redraw, is_htmx
from aftersales.web.templating import gettext_for, render

# Lifecycle buttons the page offers: the check-in belongs to the technician's phone view, the 回访 to the
# return visit (the page offers to open it instead).
WORKBENCH_EVENTS = [
    event
    for event in EventType
    if event in ticket_rules.LIFECYCLE_EVENTS and event not in (EventType.CHECK_IN, EventType.RETURN_VISIT)
]
# Steps that end or undo work: each asks for a confirmation with a reason before anything is recorded.
CONFIRMED_EVENTS = (EventType.CANCEL, EventType.REOPEN)
FIELD_KINDS = (TicketKind.INSTALLATION, TicketKind.REPAIR)  # the jobs a technician is sent out for
ENDED = (TicketStatus.CLOSED, TicketStatus.CANCELLED)
DRAFTS = ("note", "override_reason", "body")  # the panel's free-text fields, kept across redraws
UPDATE_FIELDS = {"kind": N_("类型"), "priority": N_("优先级"), "product": N_("产品")}


@dataclass(frozen=True)
class Confirm:
    """A step waiting for its confirmation: which one, the reason field it needs, and the form's state."""

    event: EventType
    version: str
    status: str

    @property
    def is_override(self) -> bool:
        """A result without a check-in (a supervisor's override) rather than a cancel or reopen."""
        return self.event == EventType.RESULT


@dataclass
class PanelState:
    """What happened, for the redrawn panel: a message, a step to confirm, field problems, the drafts."""

    flash: str | None = None
    error: str | None = None
    confirm: Confirm | None = None
    errors: dict[str, str] = field(default_factory=dict)
    drafts: dict[str, str] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)  # what someone else changed since the form was drawn


def update_summary(data: Mapping[str, Any] | None, _: Any) -> str | None:
    """What an edit (an ``update`` event's before/after) changed, in the page's language: kind and priority
    with their labels, the product by model and serial; a new description only said to have changed."""
    before, after = (data or {}).get("before") or {}, (data or {}).get("after") or {}
    parts = []
    for name in ("kind", "priority"):
        if name in after:
            parts.append(
                _("%(field)s：%(before)s → %(after)s")
                % {
                    "field": _(UPDATE_FIELDS[name]),
                    "before": _(label(name, before.get(name))),
                    "after": _(label(name, after[name])),
                }
            )
    if "description" in after:
        parts.append(_("问题描述已修改"))
    if "product" in after:
        products = [
            " ".join(part for part in (side.get("model"), side.get("serial_number")) if part) or "—"
            for side in (before.get("product") or {}, after["product"] or {})
        ]
        parts.append(
            _("%(field)s：%(before)s → %(after)s")
            % {"field": _(UPDATE_FIELDS["product"]), "before": products[0], "after": products[1]}
        )
    return _("；").join(parts) or None


def drafts_of(values: Mapping[str, str], *, used: tuple[str, ...] = ()) -> dict[str, str]:
    """The panel's typed text from a form post, but the fields the successful form just used."""
    return {name: values.get(name, "") for name in DRAFTS if name not in used}


def _emotion_context(session: Session, ticket: Ticket, emotion: EmotionReport | None) -> dict[str, Any]:
    """For a caller who was not calm: their history with us and a script to open with."""
    if emotion is None or emotion.level not in NEEDS_CARE:
        return {}
    return {
        "emotion_history": emotions.customer_history(session, customer_id=ticket.customer_id, excluding=ticket.id),
        "emotion_script": emotions.suggested_script(session, ticket.description),
    }


def ticket_context(
    session: Session, clock: Clock, signed: SignedIn, ticket_id: int, request: Request
) -> dict[str, Any]:
    """Everything the ticket's page, panel and slip are drawn from."""
    _ = gettext_for(request)
    ticket = tickets_service.get_ticket(session, ticket_id, actor=signed.actor)
    now = clock.now()
    names = tickets_assignment.assignee_names(session, {ticket.assignee_id} if ticket.assignee_id else set())
    role = signed.actor.role
    staff = ticket_rules.sees_internal_comments(role)
    allowed = set(ticket_rules.allowed_events(TicketStatus(ticket.status)))
    awaits_check_in = EventType.RESULT in allowed and tickets_guards.awaits_check_in(session, ticket)
    is_open = ticket.status not in ENDED
    emotion = emotion_report(ticket.triage) if staff else None
    return {
        "ticket": ticket,
        # A result needs the technician's check-in first; a supervisor may let it through with a reason.
        "awaits_check_in": awaits_check_in,
        "may_override": awaits_check_in and ticket_rules.may_override(role),
        "offers_visit": EventType.RETURN_VISIT in allowed and policy.allows(role, Permission.VISIT_RECORD),
        "visit_flags": field_flags.flags_of(session, ticket.id),
        "may_review_flags": policy.allows(role, Permission.QUALITY_INSPECT),
        "may_edit": is_open and policy.allows(role, Permission.TICKET_UPDATE),
        "may_comment": ticket_rules.may_comment(role),
        "offers_candidates": is_open and ticket.kind in FIELD_KINDS and policy.allows(role, Permission.DISPATCH_ASSIGN),
        "emotion": emotion,
        **_emotion_context(session, ticket, emotion),
        "badges": sla_badges(ticket, now, _),
        "events": ticket_timeline.events_of(session, ticket.id),
        "comments": ticket_timeline.comments_of(session, ticket.id, include_internal=staff),
        "assignee": names.get(ticket.assignee_id or 0),
        "actions": [
            event
            for event in WORKBENCH_EVENTS
            if event in allowed
            and not (event == EventType.RESULT and awaits_check_in and not ticket_rules.may_override(role))
        ],
        "confirmed_events": CONFIRMED_EVENTS,
        "update_note": lambda event: update_summary(event.data, _),
        "today": now,
        "under_warranty": under_warranty,
        "today_date": now.date(),
        # Nothing has happened yet: the page as first drawn (routes pass a PanelState to say otherwise).
        "flash": None,
        "error": None,
        "confirm": None,
        "errors": {},
        "drafts": {},
        "changes": [],
    }


def draw(
    request: Request,
    session: Session,
    clock: Clock,
    signed: SignedIn,
    ticket_id: int,
    state: PanelState,
    *,
    status: int = 200,
) -> Response:
    """The ticket drawn again after a step or comment (its panel for HTMX, else the page), with what happened."""
    context = ticket_context(session, clock, signed, ticket_id, request) | {
        "flash": state.flash,
        "error": state.error,
        "confirm": state.confirm,
        "errors": state.errors,
        "drafts": state.drafts,
        "changes": state.changes,
    }
    template = "tickets/_panel.html" if is_htmx(request) else "tickets/detail.html"
    return render(request, template, context, status_code=status)


def redraw_with(
    request: Request,
    session: Session,
    clock: Clock,
    signed: SignedIn,
    ticket_id: int,
    state: PanelState,
    *,
    changes: Any = None,
) -> Redraw:
    """``form_errors``' redraw for the panel's forms: the panel (or page) with the error and the drafts;
    ``changes(error)``, when given, says what moved since the form was drawn (after a conflict)."""

    def redraw(error: DomainError, status: int) -> Response:
        _ = gettext_for(request)
        state.error = domain_message(error, _)
        state.errors = {name: text for name, text in field_messages(error, _).items() if isinstance(text, str)}
        if changes is not None:
            state.changes = changes(error)
        return draw(request, session, clock, signed, ticket_id, state, status=status)

    return redraw
