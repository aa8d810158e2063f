"""The customer's survey page (no login, opened from the SMS link) and promise buttons on the job card.

The link's token is the credential: signed, expiring and single-use, so the page needs no session; a
forged, expired or used link gets a clear page and changes nothing.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from aftersales.accounts.deps import ConsoleUser, anyone, page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.config import secret_bytes
from aftersales.core.errors import DomainError
from aftersales.core.timeutil import SHANGHAI, to_local
from aftersales.feedback import flows, promises, queue, rules, surveys, visits
from aftersales.feedback.errors import SurveyLinkError
from aftersales.tickets import service as tickets_service
from aftersales.tickets.models import Ticket
from aftersales.web.deps import ClockDep, SessionDep, SettingsDep, commit
from aftersales.web.i18n import N_
from aftersales.web.labels import label
from aftersales.web.messages import domain_message, field_messages
from aftersales.web.pages import form_errors, redirect
from aftersales.web.params import IdPath
from aftersales.web.ratelimit import enforce, per_minute
from aftersales.web.templating import gettext_for, render

router = APIRouter()
NO_STORE = {"Cache-Control": "no-store"}
# The survey's questions as the pages show them: the dimensions' own (marked) labels.
QUESTIONS = rules.DIMENSION_LABELS
LINK_STATUS = {"visit.link_used": 410, "visit.link_expired": 410, "visit.link_invalid": 404}


def _page(request: Request, context: dict[str, object], *, status: int = 200) -> Response:
    page = {"closed": None, "thanks": False} | context
    return render(request, "feedback/survey.html", page, status_code=status, headers=NO_STORE)


@router.get("/survey/{token}", dependencies=[anyone("survey_link")])
def survey_page(request: Request, session: SessionDep, clock: ClockDep, settings: SettingsDep, token: str) -> Response:
    """The questions for this visit (1-5 stars each) and a comment box."""
    _ = gettext_for(request)
    try:
        visit = surveys.visit_by_link(session, key=secret_bytes(settings), token=token, now=clock.now())
    except SurveyLinkError as error:
        return _page(request, {"closed": domain_message(error, _)}, status=LINK_STATUS.get(error.code, 404))
    ticket = tickets_service.get_ticket(session, visit.ticket_id)
    return _page(request, _form_context(ticket, token, {}, {}, ""))


def _questions(ticket: Ticket) -> tuple[str, ...]:
    return rules.dimensions_for(str(ticket.kind), str(ticket.channel))


def _form_context(
    ticket: Ticket, token: str, values: dict[str, str], errors: dict[str, str], comment: str
) -> dict[str, object]:
    """The questions that apply to the ticket (name, label, required), what was chosen and the problems."""
    return {
        "ticket": ticket,
        "token": token,
        "questions": [(name, QUESTIONS[name], rules.is_required(name)) for name in _questions(ticket)],
        "values": values,
        "errors": errors,
        "comment": comment,
    }


@router.post("/survey/{token}", dependencies=[anyone("survey_link")])
async def survey_submit(
    request: Request, session: SessionDep, clock: ClockDep, settings: SettingsDep, token: str
) -> Response:
    """Record the answers once; a second submission of the same link is refused."""
    enforce(request, "survey", per_minute(request, "rate_limit_survey_per_minute"))
    form: FormData = await request.form()
    return _submit(request, session, clock, settings, token, form)


def _submit(
    request: Request, session: SessionDep, clock: ClockDep, settings: SettingsDep, token: str, form: FormData
) -> Response:
    _ = gettext_for(request)
    try:
        visit = surveys.visit_by_link(session, key=secret_bytes(settings), token=token, now=clock.now())
    except SurveyLinkError as error:
        return _page(request, {"closed": domain_message(error, _)}, status=LINK_STATUS.get(error.code, 404))
    ticket = tickets_service.get_ticket(session, visit.ticket_id)
    values = {name: str(form.get(name, "")) for name in _questions(ticket)}  # "" is a skipped question
    comment = str(form.get("comment", ""))[:2000]

    def redraw(error: DomainError, status: int) -> Response:
        errors = field_messages(error, _)
        return _page(request, _form_context(ticket, token, values, errors, comment), status=status)

    with form_errors(request, session, redraw):
        flows.submit_survey(
            session,
            clock=clock,
            actor=flows.SURVEY_ACTOR,
            visit=visit,
            scores=dict(values),
            comment=comment,
            source="link",
        )
    commit(session)
    return _page(request, {"thanks": True})


@router.post("/console/promises/{promise_id}/acknowledge")
def acknowledge_on_job_card(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.PROMISE_KEEP)],
    promise_id: IdPath,
) -> Response:
    """The technician confirms a promise from the job card."""
    _ = gettext_for(request)
    with form_errors(request, session):
        promise = promises.acknowledge(session, clock=clock, actor=signed.actor, promise_id=promise_id)
    commit(session)
    return redirect(request, f"/console/jobs/{promise.ticket_id}?done={quote(_('确认承诺'))}")


SCRIPT = (
    "您好，请问是{name}先生/女士吗？我是售后服务中心的回访专员。您在 {date} 的{kind}工单 {number} 已处理完毕，"
    "想占用您一分钟了解一下服务情况，每项请按 1 到 5 分打分，5 分最满意。"
)


@router.get("/console/visits")
def visit_queue(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.VISIT_RECORD)],
    owner: Literal["mine", "unassigned"] | None = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
) -> Response:
    """The agents' return-visit queue: visits due by the end of today, the earliest first, a page at a time;
    everyone's, mine or not yet claimed."""
    end_of_day = datetime.combine(to_local(clock.now()).date() + timedelta(days=1), time(0, 0), tzinfo=SHANGHAI)
    size = rules.QUEUE_PAGE_SIZE
    found = queue.due_page(
        session, actor=signed.actor, due_before=end_of_day, owner=owner, limit=size, offset=(page_number - 1) * size
    )
    return render(
        request,
        "feedback/queue.html",
        {
            "found": found,
            "owner": owner or "",
            "page": page_number,
            "pages": max(1, -(-found.total // size)),
            "me": signed.actor.user_id,
        },
    )


@router.post("/console/visits/{visit_id}/claim")
def visit_claim(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.VISIT_RECORD)],
    visit_id: IdPath,
) -> Response:
    """The agent takes an unclaimed visit from the queue and opens it."""
    with form_errors(request, session):
        queue.claim(session, clock=clock, actor=signed.actor, visit_id=visit_id)
    commit(session)
    return redirect(request, f"/console/visits/{visit_id}")


ATTEMPT_LABELS = {
    "no_answer": N_("无人接听"),
    "busy": N_("占线"),
    "refused": N_("客户拒绝"),
    "wrong_number": N_("号码错误"),
}


@router.get("/console/visits/{visit_id}")
def visit_call(
    request: Request, session: SessionDep, signed: Annotated[SignedIn, page(Permission.VISIT_RECORD)], visit_id: IdPath
) -> Response:
    """One visit: the call script, the customer's number, the questions to ask."""
    return _call_page(request, session, signed, visit_id, values={}, errors={}, comment="")


def _call_page(
    request: Request,
    session: SessionDep,
    signed: ConsoleUser,
    visit_id: int,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    comment: str,
    status: int = 200,
) -> Response:
    _ = gettext_for(request)
    visit = visits.get_visit(session, visit_id, actor=signed.actor)
    ticket = tickets_service.get_ticket(session, visit.ticket_id, actor=signed.actor)
    script = SCRIPT.format(
        name=ticket.customer.name[:1],
        date=f"{to_local(ticket.reported_at):%m月%d日}",
        kind=_(label("kind", ticket.kind)),
        number=ticket.number,
    )
    context = _form_context(ticket, "", values, errors, comment) | {
        "visit": visit,
        "script": script,
        "owner": queue.owner_name(session, visit),
    }
    context["outcomes"] = ATTEMPT_LABELS
    return render(request, "feedback/call.html", context, status_code=status)


@router.post("/console/visits/{visit_id}/attempts")
async def visit_attempt(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.VISIT_RECORD)],
    visit_id: IdPath,
) -> Response:
    """A call that did not reach the customer (the third ends the visit)."""
    form = await request.form()
    with form_errors(request, session):
        visits.record_attempt(
            session, clock=clock, actor=signed.actor, visit_id=visit_id, outcome=str(form.get("outcome", ""))
        )
    commit(session)
    return redirect(request, "/console/visits")


@router.post("/console/visits/{visit_id}/survey")
async def visit_answers(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    signed: Annotated[SignedIn, page(Permission.VISIT_RECORD)],
    visit_id: IdPath,
) -> Response:
    """The answers the customer gave on the phone."""
    form = await request.form()
    _ = gettext_for(request)
    visit = visits.get_visit(session, visit_id, actor=signed.actor)
    ticket = tickets_service.get_ticket(session, visit.ticket_id, actor=signed.actor)
    values = {name: str(form.get(name, "")) for name in _questions(ticket)}
    comment = str(form.get("comment", ""))[:2000]

    def redraw(error: DomainError, status: int) -> Response:
        errors = field_messages(error, _)
        return _call_page(
            request, session, signed, visit_id, values=values, errors=errors, comment=comment, status=status
        )

    with form_errors(request, session, redraw):
        flows.submit_survey(
            session, clock=clock, actor=signed.actor, visit=visit, scores=dict(values), comment=comment, source="phone"
        )
    commit(session)
    return redirect(request, "/console/visits")
