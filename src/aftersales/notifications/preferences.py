"""Customers' channel preferences: opted-out channels (never sent, marked suppressed), a preferred
channel for callers choosing how to reach someone, and the customer's own quiet hours for texts. Keyed by
phone; an email address also matches."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import time

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.errors import InvalidInputError
from aftersales.core.i18n import N_
from aftersales.notifications.enums import Channel
from aftersales.notifications.models import NotificationPreference

_CUSTOMER_CHANNELS = (Channel.SMS, Channel.EMAIL)


def set_preference(
    session: Session,
    *,
    clock: Clock,
    phone: str,
    email: str | None = None,
    opted_out_channels: Collection[Channel] = (),
    preferred_channel: Channel | None = None,
    quiet_start: time | None = None,
    quiet_end: time | None = None,
) -> NotificationPreference:
    """Create or replace the preference of the customer reachable at ``phone`` (quiet hours: both times
    or neither, which means the system's)."""
    phone = phone.strip()
    if not phone:
        raise InvalidInputError("手机号不能为空", code="notifications.invalid_preference", fields={"phone": "必填"})
    if preferred_channel is not None and preferred_channel in opted_out_channels:
        raise InvalidInputError(
            "首选渠道不能同时被退订",
            code="notifications.invalid_preference",
            fields={"preferred_channel": "已退订"},
        )
    if (quiet_start is None) != (quiet_end is None):
        missing = "quiet_end" if quiet_end is None else "quiet_start"
        raise InvalidInputError(
            N_("免打扰时段需同时填写开始和结束时间"),
            code="notifications.invalid_preference",
            fields={missing: N_("请同时填写开始和结束时间")},
        )
    now = clock.now()
    preference = session.scalar(select(NotificationPreference).where(NotificationPreference.phone == phone))
    if preference is None:
        preference = NotificationPreference(phone=phone, created_at=now)
        session.add(preference)
    preference.email = email.strip().lower() if email else None
    preference.opted_out_channels = sorted(channel.value for channel in set(opted_out_channels))
    preference.preferred_channel = preferred_channel
    preference.quiet_start = quiet_start
    preference.quiet_end = quiet_end
    preference.updated_at = now
    session.flush()
    return preference


def save_preference(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    phone: str,
    email: str | None = None,
    opted_out_channels: Collection[Channel] = (),
    preferred_channel: Channel | None = None,
    quiet_start: time | None = None,
    quiet_end: time | None = None,
) -> NotificationPreference:
    """``set_preference`` on behalf of ``actor``, audited (the phone stays out of the trail: the
    preference row's id names it)."""
    saved = set_preference(
        session,
        clock=clock,
        phone=phone,
        email=email,
        opted_out_channels=opted_out_channels,
        preferred_channel=preferred_channel,
        quiet_start=quiet_start,
        quiet_end=quiet_end,
    )
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="notification_preference.set",
        entity_type="notification_preference",
        entity_id=saved.id,
        after={
            "opted_out_channels": saved.opted_out_channels,
            "preferred_channel": str(saved.preferred_channel) if saved.preferred_channel else None,
            "quiet_hours": quiet_hours_text(saved),
        },
    )
    return saved


def quiet_hours_text(preference: NotificationPreference) -> str | None:
    """ "22:00-08:00" for a customer's own quiet hours, None when the system's apply."""
    if preference.quiet_start is None or preference.quiet_end is None:
        return None
    return f"{preference.quiet_start:%H:%M}-{preference.quiet_end:%H:%M}"


def get_preference(session: Session, *, address: str) -> NotificationPreference | None:
    """The preference whose phone or email is ``address``."""
    return opted_out_by_address(session, [address]).get(address.strip(), (None, ()))[0]


def opted_out_by_address(
    session: Session, addresses: Iterable[str]
) -> dict[str, tuple[NotificationPreference, tuple[str, ...]]]:
    """For each address that has a preference: the preference and its opted-out channels."""
    wanted = {address.strip() for address in addresses if address and address.strip()}
    if not wanted:
        return {}
    lowered = {address.lower() for address in wanted}
    rows = session.scalars(
        select(NotificationPreference).where(
            or_(NotificationPreference.phone.in_(wanted), NotificationPreference.email.in_(lowered))
        )
    ).all()
    found: dict[str, tuple[NotificationPreference, tuple[str, ...]]] = {}
    for preference in rows:
        entry = (preference, tuple(preference.opted_out_channels or ()))
        found[preference.phone] = entry
        if preference.email:
            for address in wanted:
                if address.lower() == preference.email:
                    found[address] = entry
    return found


def choose_channel(session: Session, *, phone: str, default: Channel = Channel.SMS) -> tuple[Channel, str] | None:
    """How to reach a customer: (channel, address) honouring preference and opt-outs; None when every
    customer channel is opted out (or email is preferred but unknown and SMS is opted out)."""
    preference = get_preference(session, address=phone)
    if preference is None:
        return default, phone
    opted_out = set(preference.opted_out_channels or ())
    order = [Channel(preference.preferred_channel)] if preference.preferred_channel else []
    order += [default, *_CUSTOMER_CHANNELS]
    for channel in order:
        if channel.value in opted_out:
            continue
        if channel == Channel.SMS:
            return Channel.SMS, preference.phone
        if channel == Channel.EMAIL and preference.email:
            return Channel.EMAIL, preference.email
    return None
