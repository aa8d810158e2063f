"""Compensation screens: the ledger (filters, paging), one ticket's compensation (what the rules suggest,
a proposal by hand, its entries), and the approval queue, where each decision is offered only to someone
whose role's limit covers the amount and who did not propose it (the service enforces both).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.accounts import policy
from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.core.errors import DomainError, InvalidInputError
from aftersales.core.i18n import N_
from aftersales.quality import compensation, rules
from aftersales.quality.console import common
from aftersales.quality.models import Compensation
from aftersales.tickets import service as tickets_service
from aftersales.tickets.errors import TicketNotFoundError
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.messages import domain_message, field_messages
from aftersales.web.pages import form_errors, redirect
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/compensation")
Reader = Annotated[SignedIn, page(Permission.COMPENSATION_READ)]
Proposer = Annotated[SignedIn, page(Permission.COMPENSATION_PROPOSE)]
Decider = Annotated[SignedIn, page(Permission.COMPENSATION_DECIDE)]
PAGE_SIZE = 25
QUEUE_SIZE = 200
DECISIONS = {"approve": N_("已批准"), "reject": N_("已驳回"), "grant": N_("已标记发放")}


def _tickets(session: Session, entries: list[Compensation]) -> dict[int, Any]:
    return {ticket_id: tickets_service.get_ticket(session, ticket_id) for ticket_id in {e.ticket_id for e in entries}}


def _labels() -> dict[str, Any]:
    return {
        "kinds": common.COMPENSATION_KINDS,
        "statuses": common.COMPENSATION_STATUS,
        "rule_labels": common.COMPENSATION_RULES,
        "yuan": common.yuan,
    }


# --- The ledger -------------------------------------------------------------------------------------------


@router.get("")
def ledger(
    request: Request,
    session: SessionDep,
    signed: Reader,
    status: Annotated[str | None, Query(max_length=16)] = None,
    number: Annotated[str | None, Query(max_length=64)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Every compensation, newest first, by status and ticket number."""
    _ = gettext_for(request)
    chosen = status if status in compensation.STATUSES else None
    wanted = common.clip(number)
    errors: dict[str, str] = {}
    ticket_id = None
    if wanted:
        try:
            ticket_id = tickets_service.get_by_number(session, wanted, actor=signed.actor).id
        except TicketNotFoundError:
            errors["number"] = _("没有工单号为 %(number)s 的工单") % {"number": wanted}
    found = compensation.list_compensations(
        session,
        actor=signed.actor,
        status=chosen,
        ticket_id=ticket_id,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    entries = [] if errors else found.items
    total = 0 if errors else found.total
    context = _labels() | {
        "entries": entries,
        "tickets": _tickets(session, entries),
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "filters": {"status": chosen or "", "number": wanted},
        "errors": errors,
        "may_propose": policy.allows(signed.actor.role, Permission.COMPENSATION_PROPOSE),
        "may_decide": policy.allows(signed.actor.role, Permission.COMPENSATION_DECIDE),
    }
    return render(request, "quality/ledger.html", context)


@router.get("/ticket")
def ticket_by_number(
    request: Request, session: SessionDep, signed: Proposer, number: Annotated[str, Query(max_length=64)] = ""
) -> Response:
    """Go to a ticket's compensation page by its number."""
    ticket = tickets_service.get_by_number(session, common.clip(number) or "-", actor=signed.actor)
    return redirect(request, f"/console/compensation/tickets/{ticket.id}")


# --- One ticket's compensation ----------------------------------------------------------------------------


def _ticket_page(
    request: Request,
    session: Session,
    signed: SignedIn,
    ticket_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    ticket = tickets_service.get_ticket(session, ticket_id, actor=signed.actor)
    proposals = compensation.proposals_for(session, actor=signed.actor, ticket_id=ticket.id)
    entries = compensation.list_compensations(session, actor=signed.actor, ticket_id=ticket.id, limit=200).items
    context = _labels() | {
        "ticket": ticket,
        "proposals": proposals,
        "entries": entries,
        "values": values or {"kind": "coupon"},
        "errors": errors or {},
        "message": message,
        "proposed": request.query_params.get("proposed") == "1",
        "may_decide": policy.allows(signed.actor.role, Permission.COMPENSATION_DECIDE),
    }
    return render(request, "quality/ticket_compensation.html", context, status_code=status)


@router.get("/tickets/{ticket_id}")
def ticket_compensation(request: Request, session: SessionDep, signed: Proposer, ticket_id: IdPath) -> Response:
    """A ticket's compensation: the rules' suggestions, a proposal by hand, and its ledger entries."""
    return _ticket_page(request, session, signed, ticket_id)


# The service's field names → the form's.
_FIELDS = {"amount_cents": "amount"}


@router.post("/tickets/{ticket_id}")
async def propose(
    request: Request, session: SessionDep, clock: ClockDep, signed: Proposer, ticket_id: IdPath
) -> Response:
    """Record a proposal (a rule's suggestion or one by hand); it waits for someone else's approval."""
    _ = gettext_for(request)
    form = await request.form()
    values = {name: common.clip(form.get(name)) for name in ("kind", "amount", "rule")}
    values["reason"] = str(form.get("reason") or "").strip()[:600]
    cents = common.parse_cents(values["amount"])

    def redraw(error: DomainError, status: int) -> Response:
        errors = {}
        if isinstance(error, InvalidInputError):
            errors = {_FIELDS.get(name, name): text for name, text in field_messages(error, _).items()}
        message = domain_message(error, _)
        return _ticket_page(
            request, session, signed, ticket_id, values=values, errors=errors, message=message, status=status
        )

    with form_errors(request, session, redraw):
        if cents is None:
            raise InvalidInputError(
                N_("补偿内容有误，请按提示修改"),
                code="compensation.invalid",
                fields={"amount": N_("请填写金额（元），最多两位小数")},
            )
        compensation.propose_compensation(
            session,
            clock=clock,
            actor=signed.actor,
            ticket_id=ticket_id,
            kind=values["kind"],
            amount_cents=cents,
            reason=values["reason"],
            rule=values["rule"] or None,
        )
    commit(session)
    return redirect(request, f"/console/compensation/tickets/{ticket_id}?proposed=1")


# --- The approval queue -----------------------------------------------------------------------------------


def _queue(
    request: Request,
    session: Session,
    signed: SignedIn,
    *,
    message: str | None = None,
    failed: int | None = None,
    done: str | None = None,
    status: int = 200,
) -> Response:
    actor = signed.actor
    waiting = compensation.list_compensations(session, actor=actor, status="proposed", limit=QUEUE_SIZE)
    approved = compensation.list_compensations(session, actor=actor, status="approved", limit=QUEUE_SIZE)

    def why_not(entry: Compensation) -> str | None:
        if entry.proposed_by_id is not None and entry.proposed_by_id == actor.user_id:
            return N_("本人提出，须由他人审批")
        if rules.approval_problem(actor.role, entry.amount_cents) is not None:
            return N_("超出您的审批额度")
        return None

    limit = rules.APPROVAL_LIMITS_CENTS.get(actor.role)
    context = _labels() | {
        "waiting": [(entry, why_not(entry)) for entry in waiting.items],
        "waiting_total": waiting.total,
        "approved": approved.items,
        "tickets": _tickets(session, [*waiting.items, *approved.items]),
        "limit": None if limit is None else common.yuan(limit),
        "message": message,
        "failed": failed,
        "done": DECISIONS.get(done or ""),
    }
    return render(request, "quality/queue.html", context, status_code=status)


@router.get("/queue")
def approval_queue(request: Request, session: SessionDep, signed: Decider) -> Response:
    """Proposals waiting for a decision, and approved ones waiting to be marked granted."""
    return _queue(request, session, signed, done=request.query_params.get("done"))


@router.post("/{compensation_id}/decision")
async def decide(
    request: Request, session: SessionDep, clock: ClockDep, signed: Decider, compensation_id: IdPath
) -> Response:
    """Approve or reject a proposal within your limit (never your own), or mark an approved one granted."""
    _ = gettext_for(request)
    form = await request.form()
    decision = common.clip(form.get("decision"))
    note = str(form.get("note") or "").strip()[:600]

    def redraw(error: DomainError, status: int) -> Response:
        return _queue(request, session, signed, message=domain_message(error, _), failed=compensation_id, status=status)

    with form_errors(request, session, redraw):
        if decision == "grant":
            compensation.grant(session, clock=clock, actor=signed.actor, compensation_id=compensation_id)
        elif decision in ("approve", "reject"):
            compensation.decide(
                session,
                clock=clock,
                actor=signed.actor,
                compensation_id=compensation_id,
                approve=decision == "approve",
                note=note,
            )
        else:
            raise InvalidInputError(N_("请选择批准、驳回或发放"), code="compensation.invalid")
    commit(session)
    return redirect(request, f"/console/compensation/queue?done={decision}")
