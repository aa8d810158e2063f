"""Customers' notification preferences on screen: look a customer up by phone, see and change the channels
they accept, the one they prefer and their own quiet hours for texts (as ``PUT
/api/v1/notifications/preferences/{phone}`` does). Bad input is drawn again field by field and changes
nothing; the phone is shown masked."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.accounts import policy
from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.config import Settings
from aftersales.core.errors import DomainError, InvalidInputError
from aftersales.core.i18n import N_
from aftersales.customers import rules as customer_rules
from aftersales.customers import service as customers_service
from aftersales.notifications import preferences
from aftersales.notifications import rules as notification_rules
from aftersales.notifications.console_admin import common
from aftersales.notifications.enums import Channel
from aftersales.web.deps import ClockDep, SessionDep, SettingsDep, commit
from aftersales.web.messages import domain_message, field_messages
from aftersales.web.pages import form_errors, redirect
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/notifications/preferences")
Reader = Annotated[SignedIn, page(Permission.PREFERENCES_READ)]
Writer = Annotated[SignedIn, page(Permission.PREFERENCES_WRITE)]
# The channels a customer is reached on (what they may opt out of or prefer).
CUSTOMER_CHANNELS = (Channel.SMS, Channel.EMAIL)
INVALID = N_("通知偏好有误，请按提示修改")


def _values_of(phone: str, saved: Any) -> dict[str, Any]:
    if saved is None:
        return {"phone": phone, "email": "", "opted_out": [], "preferred": "", "quiet_start": "", "quiet_end": ""}
    return {
        "phone": phone,
        "email": saved.email or "",
        "opted_out": list(saved.opted_out_channels or ()),
        "preferred": str(saved.preferred_channel or ""),
        "quiet_start": f"{saved.quiet_start:%H:%M}" if saved.quiet_start else "",
        "quiet_end": f"{saved.quiet_end:%H:%M}" if saved.quiet_end else "",
    }


def _page(
    request: Request,
    session: Session,
    signed: SignedIn,
    settings: Settings,
    *,
    phone: str | None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    customer = customers_service.find_by_phone(session, phone) if phone else None
    saved = preferences.get_preference(session, address=phone) if phone else None
    context = {
        "phone": phone,
        "masked": customer_rules.mask_phone(phone) if phone else "",
        "customer": customer,
        "saved": saved,
        "values": values or _values_of(phone or "", saved),
        "errors": errors or {},
        "message": message,
        "saved_now": request.query_params.get("saved") == "1",
        "channels": {c.value: common.CHANNELS[c.value] for c in CUSTOMER_CHANNELS},
        "system_quiet": f"{settings.notify_quiet_start:%H:%M}–{settings.notify_quiet_end:%H:%M}",
        "may_write": policy.allows(signed.actor.role, Permission.PREFERENCES_WRITE),
    }
    return render(request, "notifications/preferences.html", context, status_code=status)


@router.get("")
def preferences_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    signed: Reader,
    phone: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """Look a customer up by phone and show what they accept."""
    if not phone.strip():
        return _page(request, session, signed, settings, phone=None)
    parsed = customer_rules.parse_phone(phone)
    if parsed is None:
        _ = gettext_for(request)
        values = _values_of(common.clip(phone, 32), None)
        errors = {"lookup": _(customer_rules.PHONE_ERROR)}
        return _page(request, session, signed, settings, phone=None, values=values, errors=errors, status=422)
    return _page(request, session, signed, settings, phone=parsed.number)


def _clock(text: str, name: str, problems: dict[str, str]) -> time | None:
    if not text:
        return None
    parsed = common.parse_clock(text)
    if parsed is None:
        problems[name] = common.BAD_TIME
    return parsed


@router.post("")
async def save(
    request: Request, session: SessionDep, clock: ClockDep, settings: SettingsDep, signed: Writer
) -> Response:
    """Replace the customer's preferences; the form again with what was wrong when they cannot be kept."""
    form = await request.form()
    phone = common.clip(form.get("phone"), 32)
    values: dict[str, Any] = {
        "phone": phone,
        "email": common.clip(form.get("email"), 255),
        "opted_out": [common.clip(v) for v in form.getlist("opted_out")],
        "preferred": common.clip(form.get("preferred")),
        "quiet_start": common.clip(form.get("quiet_start")),
        "quiet_end": common.clip(form.get("quiet_end")),
    }
    parsed = customer_rules.parse_phone(phone)

    def redraw(error: DomainError, status: int) -> Response:
        _ = gettext_for(request)
        errors = field_messages(error, _) if isinstance(error, InvalidInputError) else {}
        return _page(
            request,
            session,
            signed,
            settings,
            phone=parsed.number if parsed else None,
            values=values,
            errors=errors,
            message=domain_message(error, _),
            status=status,
        )

    with form_errors(request, session, redraw):
        preferences.save_preference(session, clock=clock, actor=signed.actor, **_checked(values, parsed))
    commit(session)
    assert parsed is not None  # _checked refused anything else
    return redirect(request, f"/console/notifications/preferences?phone={parsed.number}&saved=1")


def _checked(values: dict[str, Any], parsed: customer_rules.Phone | None) -> dict[str, Any]:
    """The service's arguments from the form, or ``InvalidInputError`` naming every bad field."""
    problems: dict[str, str] = {}
    if parsed is None:
        problems["phone"] = customer_rules.PHONE_ERROR
    known = {c.value for c in CUSTOMER_CHANNELS}
    opted_out = [Channel(v) for v in values["opted_out"] if v in known]
    if len(opted_out) != len(values["opted_out"]):
        problems["opted_out"] = N_("请选择有效的选项")
    preferred = Channel(values["preferred"]) if values["preferred"] in known else None
    if values["preferred"] and preferred is None:
        problems["preferred"] = N_("请选择有效的选项")
    elif preferred is not None and preferred in opted_out:
        problems["preferred"] = N_("首选渠道不能同时被退订")
    email = values["email"] or None
    if email is not None and notification_rules.normalise_target(Channel.EMAIL, email)[1]:
        problems["email"] = notification_rules.BAD_EMAIL
    elif preferred is Channel.EMAIL and email is None:
        problems["email"] = N_("首选邮件时需要邮箱地址")
    start = _clock(values["quiet_start"], "quiet_start", problems)
    end = _clock(values["quiet_end"], "quiet_end", problems)
    if "quiet_start" not in problems and "quiet_end" not in problems and (start is None) != (end is None):
        problems["quiet_end" if end is None else "quiet_start"] = N_("请同时填写开始和结束时间")
    if problems or parsed is None:
        raise InvalidInputError(INVALID, code="notifications.invalid_preference", fields=dict(problems))
    return {
        "phone": parsed.number,
        "email": email,
        "opted_out_channels": opted_out,
        "preferred_channel": preferred,
        "quiet_start": start,
        "quiet_end": end,
    }
