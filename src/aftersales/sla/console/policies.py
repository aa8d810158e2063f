"""The SLA policies page: each priority's targets, their form, and the audited changes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from aftersales.accounts import service as accounts_service
from aftersales.core.errors import DomainError, InvalidInputError
from aftersales.core.i18n import N_
from aftersales.sla import service as sla_service
from aftersales.sla.console.common import Admin, clip, labels, span
from aftersales.sla.models import Policy
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.labels import label
from aftersales.web.messages import domain_message, field_messages
from aftersales.web.pages import form_errors, redirect
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/sla")
PRIORITIES = ("urgent", "routine", "complex")
TARGETS = ("first_response", "onsite", "resolution")
AUDIT_SHOWN = 10


def _ordered(policies: list[Policy]) -> list[Policy]:
    return sorted(policies, key=lambda p: (PRIORITIES.index(p.priority) if p.priority in PRIORITIES else 9, p.id))


# What a policy's audit entry names, as the change list shows it.
CHANGED_FIELDS = {
    "calendar": N_("计时日历"),
    "first_response_minutes": N_("首次联系"),
    "onsite_minutes": N_("上门到达"),
    "resolution_minutes": N_("解决"),
    "onsite_kinds": N_("上门适用类型"),
    "warning_ratio": N_("预警比例"),
}


def _shown(field: str, value: Any, names: Mapping[str, str], _: Any) -> str:
    """One audited value as text: a duration, a calendar's name, kinds by label, a percentage."""
    if value is None:
        return "—"
    if field.endswith("_minutes"):
        shown = span(int(value))
        assert shown is not None
        return str(_("%(n)s 小时") % {"n": shown[0]} if shown[1] == "hours" else _("%(n)s 分钟") % {"n": shown[0]})
    if field == "calendar":
        return names.get(str(value), str(value))
    if field == "onsite_kinds":
        return "、".join(_(label("kind", kind)) for kind in value) or "—"
    if field == "warning_ratio":
        return f"{round(float(value) * 100)}%"
    return str(value)


def _changes(request: Request, session: Session, policy_id: int | None = None) -> list[dict[str, Any]]:
    """The latest audited policy changes (of one policy, when given), newest first, value by value."""
    _ = gettext_for(request)
    names = {calendar.code: calendar.name for calendar in sla_service.list_calendars(session)}
    entries = accounts_service.list_audit(
        session,
        entity_type="sla_policy",
        entity_id=str(policy_id) if policy_id is not None else None,
        limit=AUDIT_SHOWN,
    )
    changes = []
    for entry in entries:
        before, after = entry.before or {}, entry.after or {}
        priority = _(label("priority", str(after.get("priority", ""))))
        fields = [
            (f"{priority}·{_(text)}", _shown(key, before.get(key), names, _), _shown(key, after.get(key), names, _))
            for key, text in CHANGED_FIELDS.items()
            if before.get(key) != after.get(key)
        ]
        changes.append({"id": entry.id, "at": entry.at, "actor": entry.actor_name, "fields": fields})
    return changes


@router.get("/policies")
def policies(request: Request, session: SessionDep, signed: Admin) -> Response:
    """The policy of each priority, and the latest changes to them."""
    context = labels() | {
        "policies": _ordered(sla_service.list_policies(session)),
        "changes": _changes(request, session),
        "saved": clip(request.query_params.get("saved")),
    }
    return render(request, "sla/policies.html", context)


def _policy_page(
    request: Request,
    session: Session,
    priority: str,
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    policy = sla_service.get_policy(session, priority)
    context = labels() | {
        "policy": policy,
        "calendars": sla_service.list_calendars(session),
        "values": values if values is not None else _policy_values(policy),
        "errors": errors or {},
        "message": message,
        "changes": _changes(request, session, policy.id),
    }
    return render(request, "sla/policy.html", context, status_code=status)


def _policy_values(policy: Policy) -> dict[str, Any]:
    """The stored policy as the form's values (targets in whole hours where they are whole hours)."""
    values: dict[str, Any] = {
        "calendar": policy.calendar.code,
        "fingerprint": sla_service.policy_fingerprint(policy),
        "onsite_kinds": list(policy.onsite_kinds or []),
        "warning_percent": str(round(policy.warning_ratio * 100)),
    }
    for target in TARGETS:
        shown = span(getattr(policy, f"{target}_minutes"))
        values[target] = str(shown[0]) if shown else ""
        values[f"{target}_unit"] = shown[1] if shown else "hours"
    return values


@router.get("/policies/{priority}")
def policy_form(request: Request, session: SessionDep, signed: Admin, priority: str) -> Response:
    """One priority's targets as a form."""
    return _policy_page(request, session, priority)


def _minutes(form: FormData, target: str, errors: dict[str, str], _: Any) -> int | None:
    """The form's value and unit of a target in minutes (None when the optional on-site target is left
    blank); a missing or bad number is an error."""
    text = clip(form.get(target))
    if not text:
        if target != "onsite":
            errors[target] = _("请填写时限")
        return None
    if not text.isdigit() or len(text) > 7:
        errors[target] = _("请填写正整数")
        return None
    return int(text) * (60 if form.get(f"{target}_unit") == "hours" else 1)


@router.post("/policies/{priority}")
async def save_policy(request: Request, session: SessionDep, clock: ClockDep, signed: Admin, priority: str) -> Response:
    """Save a priority's targets: they apply to tickets registered from now on (open tickets keep theirs)."""
    _ = gettext_for(request)
    sla_service.get_policy(session, priority)  # an unknown priority is a missing page, not a form error
    form = await request.form()
    values: dict[str, Any] = {name: clip(form.get(name)) for name in ("calendar", "warning_percent")}
    values["fingerprint"] = clip(form.get("fingerprint"), 400)
    for target in TARGETS:
        values[target] = clip(form.get(target))
        values[f"{target}_unit"] = "hours" if form.get(f"{target}_unit") == "hours" else "minutes"
    values["onsite_kinds"] = [str(kind) for kind in form.getlist("onsite_kinds")][:4]
    typed: dict[str, str] = {}
    minutes = {target: _minutes(form, target, typed, _) for target in TARGETS}
    percent = values["warning_percent"]
    if not percent.isdigit() or len(percent) > 3:
        typed["warning_percent"] = _("请填写 10 到 99 之间的整数")

    def redraw(error: DomainError, status: int) -> Response:
        errors = dict(typed)
        if isinstance(error, InvalidInputError):
            errors |= field_messages(error, _)
        return _policy_page(
            request, session, priority, values=values, errors=errors, message=domain_message(error, _), status=status
        )

    with form_errors(request, session, redraw):
        if typed:
            raise InvalidInputError(N_("SLA 策略有误，请按提示修改"), code="sla.invalid_policy")
        change = sla_service.PolicyChange(
            calendar_code=values["calendar"],
            first_response_minutes=minutes["first_response"] or 0,
            onsite_minutes=minutes["onsite"],
            resolution_minutes=minutes["resolution"] or 0,
            onsite_kinds=tuple(values["onsite_kinds"]),
            warning_percent=int(percent),
        )
        sla_service.change_policy(
            session,
            clock=clock,
            actor=signed.actor,
            priority=priority,
            change=change,
            expected=values["fingerprint"] or None,
        )
    commit(session)
    return redirect(request, f"/console/sla/policies?saved={priority}")
