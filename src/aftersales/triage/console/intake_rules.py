"""Intake rules on screen (those who manage rules): the list in evaluation order with what each matches and
sets, a new rule, editing one as last seen (its fingerprint), and deleting it after a confirmation page.
Bad input is drawn again field by field, with what was typed kept, and changes nothing; every change is in
the audit trail as the API records it (``triage_rule.added|updated|deleted``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.errors import ConflictError, DomainError, InvalidInputError
from aftersales.core.i18n import N_
from aftersales.triage import rules as triage_rules
from aftersales.triage import service as triage_service
from aftersales.triage.console import common
from aftersales.triage.errors import RuleChangedError
from aftersales.triage.models import IntakeRule
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.messages import domain_message, field_messages
from aftersales.web.pages import form_errors, redirect
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/triage/rules")
DONE = {
    "created": N_("规则已创建"),
    "updated": N_("规则已保存"),
    "unchanged": N_("没有修改"),
    "deleted": N_("规则已删除"),
}
POSITIONS = (0, 9999)
DEFAULT_POSITION = 100


def _choices() -> dict[str, Any]:
    return {
        "kinds": triage_service.KINDS,
        "priorities": tuple(sorted(triage_rules.PRIORITY_RANK, key=lambda p: -triage_rules.PRIORITY_RANK[p])),
        "positions": POSITIONS,
    }


def _values_of(rule: IntakeRule) -> dict[str, str]:
    return {
        "name": rule.name,
        "keywords": "\n".join(rule.keywords),
        "kind": rule.kind or "",
        "priority": rule.priority or "",
        "position": str(rule.position),
        "is_active": "1" if rule.is_active else "",
        "fingerprint": triage_service.rule_fingerprint(rule),
    }


def _typed(form: Any) -> dict[str, str]:
    return {
        "name": common.clip(form.get("name"), 200),
        "keywords": common.clip(form.get("keywords"), 8000),
        "kind": common.clip(form.get("kind"), 32),
        "priority": common.clip(form.get("priority"), 16),
        "position": common.clip(form.get("position"), 16),
        "is_active": "1" if form.get("is_active") else "",
        "fingerprint": common.clip(form.get("fingerprint"), 64),
    }


def _position(values: dict[str, str], _: Any) -> tuple[int, dict[str, str]]:
    """The rule's place in the order, or the problem with what was typed."""
    text = values["position"] or str(DEFAULT_POSITION)
    low, high = POSITIONS
    if text.isdigit() and low <= int(text) <= high:
        return int(text), {}
    return DEFAULT_POSITION, {"position": _("顺序号须为 %(low)s 到 %(high)s 之间的整数") % {"low": low, "high": high}}


def _list_page(
    request: Request,
    session: Session,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    context = _choices() | {
        "rules": triage_service.list_rules(session),
        "values": values or {"position": str(DEFAULT_POSITION)},
        "errors": errors or {},
        "message": message,
        "done": DONE.get(request.query_params.get("done", "")),
    }
    return render(request, "triage/rules.html", context, status_code=status)


def _edit_page(
    request: Request,
    rule: IntakeRule,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    context = _choices() | {
        "rule": rule,
        "values": values or _values_of(rule),
        "errors": errors or {},
        "message": message,
    }
    return render(request, "triage/rule_edit.html", context, status_code=status)


def _problems(request: Request, error: DomainError) -> tuple[dict[str, str], str]:
    _ = gettext_for(request)
    errors = field_messages(error, _) if isinstance(error, InvalidInputError | ConflictError) else {}
    return errors, domain_message(error, _)


def _audit(
    session: Session,
    clock: Clock,
    actor: Actor,
    action: str,
    entity_id: object,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action=action,
        entity_type="triage_rule",
        entity_id=entity_id,
        before=before,
        after=after,
    )


@router.get("")
def rules_page(request: Request, session: SessionDep, signed: common.Manager) -> Response:
    """Every intake rule in evaluation order, and the form for a new one."""
    return _list_page(request, session)


@router.post("")
async def create(request: Request, session: SessionDep, clock: ClockDep, signed: common.Manager) -> Response:
    """Add a rule; the list again with what was wrong (nothing written) when it cannot be accepted."""
    _ = gettext_for(request)
    values = _typed(await request.form())
    position, errors = _position(values, _)
    if errors:
        return _list_page(request, session, values=values, errors=errors, status=422)

    def redraw(error: DomainError, status: int) -> Response:
        fields, message = _problems(request, error)
        return _list_page(request, session, values=values, errors=fields, message=message, status=status)

    with form_errors(request, session, redraw):
        rule = triage_service.add_rule(
            session,
            name=values["name"],
            keywords=common.keywords(values["keywords"]),
            kind=values["kind"] or None,
            priority=values["priority"] or None,
            position=position,
        )
        _audit(session, clock, signed.actor, "triage_rule.added", rule.id, after=triage_service.rule_values(rule))
    commit(session)
    return redirect(request, "/console/triage/rules?done=created")


@router.get("/{rule_id}")
def edit_page(request: Request, session: SessionDep, signed: common.Manager, rule_id: IdPath) -> Response:
    """One rule's form, with the fingerprint of what it shows."""
    return _edit_page(request, triage_service.get_rule(session, rule_id))


@router.post("/{rule_id}")
async def update(
    request: Request, session: SessionDep, clock: ClockDep, signed: common.Manager, rule_id: IdPath
) -> Response:
    """Save a rule as last seen; if someone changed it meanwhile, the form keeps what was typed and says so."""
    _ = gettext_for(request)
    rule = triage_service.get_rule(session, rule_id)
    values = _typed(await request.form())
    position, errors = _position(values, _)
    if errors:
        return _edit_page(request, rule, values=values, errors=errors, status=422)

    def redraw(error: DomainError, status: int) -> Response:
        fields, message = _problems(request, error)
        current = triage_service.get_rule(session, rule_id)
        if isinstance(error, RuleChangedError):
            values["fingerprint"] = triage_service.rule_fingerprint(current)  # saving again overwrites knowingly
        return _edit_page(request, current, values=values, errors=fields, message=message, status=status)

    with form_errors(request, session, redraw):
        before = triage_service.rule_values(rule)
        triage_service.update_rule(
            session,
            rule_id=rule_id,
            name=values["name"],
            keywords=common.keywords(values["keywords"]),
            kind=values["kind"] or None,
            priority=values["priority"] or None,
            position=position,
            is_active=values["is_active"] == "1",
            expected=values["fingerprint"] or None,
        )
        after = triage_service.rule_values(rule)
        if after != before:
            _audit(session, clock, signed.actor, "triage_rule.updated", rule_id, before=before, after=after)
    commit(session)
    return redirect(request, f"/console/triage/rules?done={'updated' if after != before else 'unchanged'}")


@router.get("/{rule_id}/delete")
def confirm_delete(request: Request, session: SessionDep, signed: common.Manager, rule_id: IdPath) -> Response:
    """Ask before deleting: what the rule matches and sets, and that disabling keeps it."""
    rule = triage_service.get_rule(session, rule_id)
    context = {"rule": rule, "fingerprint": triage_service.rule_fingerprint(rule)}
    return render(request, "triage/rule_delete.html", context)


@router.post("/{rule_id}/delete")
async def delete(
    request: Request, session: SessionDep, clock: ClockDep, signed: common.Manager, rule_id: IdPath
) -> Response:
    """Delete a rule for good (tickets it already classified keep their kind and priority)."""
    form = await request.form()
    rule = triage_service.get_rule(session, rule_id)
    before = triage_service.rule_values(rule)
    with form_errors(request, session):
        triage_service.delete_rule(session, name=rule.name, expected=common.clip(form.get("fingerprint"), 64) or None)
        # Recorded by name, as the API's DELETE /api/v1/triage/rules/{name} records it.
        _audit(session, clock, signed.actor, "triage_rule.deleted", before["name"], before=before)
    commit(session)
    return redirect(request, "/console/triage/rules?done=deleted")
