"""Routing rules on screen (admins): the list, a new rule, editing one as last seen (its version), disabling
or enabling it, and deleting it after a confirmation page. Bad input is drawn again field by field, with
what was typed kept, and changes nothing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.models import Organisation
from aftersales.accounts.sessions import SignedIn
from aftersales.core.errors import ConflictError, DomainError, InvalidInputError
from aftersales.core.i18n import N_
from aftersales.notifications import routing
from aftersales.notifications import rules as notification_rules
from aftersales.notifications.console_admin import common
from aftersales.notifications.enums import Channel
from aftersales.notifications.models import RoutingRule
from aftersales.web.deps import ClockDep, SessionDep, SettingsDep, commit
from aftersales.web.messages import domain_message, field_messages
from aftersales.web.pages import form_errors, redirect
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/notifications/rules")
Admin = Annotated[SignedIn, page(Permission.NOTIFICATIONS_ROUTE)]
FIELDS = ("event", "channel", "target", "organisation_id", "region", "note")
DONE = {
    "created": N_("规则已创建"),
    "updated": N_("规则已保存"),
    "disabled": N_("规则已停用"),
    "enabled": N_("规则已启用"),
    "deleted": N_("规则已删除"),
}


def _organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.code)).all())


def _choices(session: Session, settings: Any) -> dict[str, Any]:
    """What the form offers, and which channels are not configured yet (their messages would fail)."""
    organisations = _organisations(session)
    unconfigured = []
    if not settings.smtp_host:
        unconfigured.append(N_("邮件（未设置 AFTERSALES_SMTP_HOST）"))
    if not settings.webhook_secret.get_secret_value():
        unconfigured.append(N_("Webhook（未设置签名密钥 AFTERSALES_WEBHOOK_SECRET）"))
    return {
        "events": notification_rules.ROUTABLE_EVENTS,
        "channels": {c.value: common.CHANNELS[c.value] for c in notification_rules.ROUTED_CHANNELS},
        "organisations": organisations,
        "organisation_names": {o.id: o.name for o in organisations},
        "cities": sorted({o.city for o in organisations if o.city}),
        "unconfigured": unconfigured,
        "display": lambda rule: notification_rules.display_address(Channel(rule.channel), rule.target),
    }


def _values(form: Any) -> dict[str, str]:
    values = {name: common.clip(form.get(name), notification_rules.MAX_TARGET) for name in FIELDS}
    values["version"] = common.clip(form.get("version"))
    return values


def _submit(values: dict[str, str]) -> dict[str, Any]:
    """The service's arguments from the form (a chosen organisation that is not an id is reported)."""
    organisation = values["organisation_id"]
    organisation_id = common.parse_id(organisation) if organisation else None
    if organisation and organisation_id is None:
        raise InvalidInputError(
            N_("路由规则有误，请按提示修改"),
            code="notifications.invalid_rule",
            fields={"organisation_id": routing.UNKNOWN_ORGANISATION},
        )
    return {
        "event": values["event"],
        "channel": values["channel"],
        "target": values["target"],
        "organisation_id": organisation_id,
        "region": values["region"] or None,
        "note": values["note"] or None,
    }


def _list_page(
    request: Request,
    session: Session,
    settings: Any,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    done = request.query_params.get("done", "")
    context = _choices(session, settings) | {
        "rules": routing.list_rules(session),
        "values": values or {"channel": Channel.WECOM.value},
        "errors": errors or {},
        "message": message,
        "done": DONE.get(done),
    }
    return render(request, "notifications/rules.html", context, status_code=status)


def _edit_page(
    request: Request,
    session: Session,
    settings: Any,
    rule: RoutingRule,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    shown = values or {
        "event": rule.event,
        "channel": str(rule.channel),
        "target": rule.target,
        "organisation_id": str(rule.organisation_id or ""),
        "region": rule.region or "",
        "note": rule.note or "",
        "version": str(rule.version),
    }
    context = _choices(session, settings) | {
        "rule": rule,
        "values": shown,
        "errors": errors or {},
        "message": message,
    }
    return render(request, "notifications/rule_edit.html", context, status_code=status)


def _problems(request: Request, error: DomainError) -> tuple[dict[str, str], str]:
    _ = gettext_for(request)
    errors = field_messages(error, _) if isinstance(error, InvalidInputError) else {}
    return errors, domain_message(error, _)


@router.get("")
def rules_page(request: Request, session: SessionDep, settings: SettingsDep, signed: Admin) -> Response:
    """Every routing rule, and the form for a new one."""
    return _list_page(request, session, settings)


@router.post("")
async def create(
    request: Request, session: SessionDep, clock: ClockDep, settings: SettingsDep, signed: Admin
) -> Response:
    """Add a rule; the list again with what was wrong (nothing written) when it cannot be accepted."""
    values = _values(await request.form())

    def redraw(error: DomainError, status: int) -> Response:
        errors, message = _problems(request, error)
        return _list_page(request, session, settings, values=values, errors=errors, message=message, status=status)

    with form_errors(request, session, redraw):
        routing.create_rule(session, clock=clock, actor=signed.actor, **_submit(values))
    commit(session)
    return redirect(request, "/console/notifications/rules?done=created")


@router.get("/{rule_id}")
def edit_page(request: Request, session: SessionDep, settings: SettingsDep, signed: Admin, rule_id: IdPath) -> Response:
    """One rule's form."""
    return _edit_page(request, session, settings, routing.get_rule(session, rule_id))


@router.post("/{rule_id}")
async def update(
    request: Request, session: SessionDep, clock: ClockDep, settings: SettingsDep, signed: Admin, rule_id: IdPath
) -> Response:
    """Save a rule as last seen; if someone changed it meanwhile, the form keeps what was typed and says so."""
    values = _values(await request.form())

    def redraw(error: DomainError, status: int) -> Response:
        errors, message = _problems(request, error)
        current = routing.get_rule(session, rule_id)
        if isinstance(error, ConflictError):
            values["version"] = str(current.version)  # saving again overwrites knowingly
        return _edit_page(
            request, session, settings, current, values=values, errors=errors, message=message, status=status
        )

    with form_errors(request, session, redraw):
        routing.update_rule(
            session,
            clock=clock,
            actor=signed.actor,
            rule_id=rule_id,
            version=common.parse_id(values["version"]) or 0,
            **_submit(values),
        )
    commit(session)
    return redirect(request, "/console/notifications/rules?done=updated")


@router.post("/{rule_id}/active")
async def set_active(
    request: Request, session: SessionDep, clock: ClockDep, signed: Admin, rule_id: IdPath
) -> Response:
    """Disable a rule (kept, matching nothing) or enable it again."""
    form = await request.form()
    active = common.clip(form.get("active")) == "1"
    with form_errors(request, session):
        routing.set_rule_active(
            session,
            clock=clock,
            actor=signed.actor,
            rule_id=rule_id,
            active=active,
            version=common.parse_id(common.clip(form.get("version"))) or 0,
        )
    commit(session)
    return redirect(request, f"/console/notifications/rules?done={'enabled' if active else 'disabled'}")


@router.get("/{rule_id}/delete")
def confirm_delete(
    request: Request, session: SessionDep, settings: SettingsDep, signed: Admin, rule_id: IdPath
) -> Response:
    """Ask before deleting: what the rule does, and that disabling keeps it."""
    rule = routing.get_rule(session, rule_id)
    return render(request, "notifications/rule_delete.html", _choices(session, settings) | {"rule": rule})


@router.post("/{rule_id}/delete")
async def delete(request: Request, session: SessionDep, clock: ClockDep, signed: Admin, rule_id: IdPath) -> Response:
    """Delete a rule for good (what it already queued stays in the outbox)."""
    form = await request.form()
    with form_errors(request, session):
        routing.delete_rule(
            session,
            clock=clock,
            actor=signed.actor,
            rule_id=rule_id,
            version=common.parse_id(common.clip(form.get("version"))) or 0,
        )
    commit(session)
    return redirect(request, "/console/notifications/rules?done=deleted")
