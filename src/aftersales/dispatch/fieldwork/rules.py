"""Pure rules of the technician's job flow: the field state derived from the timeline, which step is
allowed when, and the time on site. The checks on what the phone sends are in ``inputs``.

No session, no clock, no I/O: callers pass event types, statuses and times in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from aftersales.core.i18n import N_, Label, Message
from aftersales.dispatch.enums import FieldEventType
from aftersales.tickets.enums import EventType, TicketStatus


class FieldState(StrEnum):
    """Where the job stands for the technician (derived from the timeline, never stored)."""

    UNASSIGNED = "unassigned"
    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    ON_THE_WAY = "on_the_way"
    ON_SITE = "on_site"
    CHECKED_OUT = "checked_out"
    DECLINED = "declined"


class FieldAction(StrEnum):
    """A step the technician can take, in the order the phone shows them."""

    ACCEPT = "accept"
    DECLINE = "decline"
    ON_THE_WAY = "on_the_way"
    CHECK_IN = "check_in"
    DIAGNOSIS = "diagnosis"
    PARTS = "parts"
    RESULT = "result"
    PHOTO = "photo"
    CONFIRMATION_CODE = "confirmation_code"
    CONFIRMATION = "confirmation"
    CHECK_OUT = "check_out"


F = FieldState
T = TicketStatus
_WORKING = frozenset({T.IN_PROGRESS, T.ON_HOLD})
_OPEN = frozenset({T.REGISTERED, T.IN_PROGRESS, T.ON_HOLD})

# action → (field states it is allowed in, ticket statuses it is allowed in). A second visit after
# check-out starts again with "on the way" or a direct check-in.
ALLOWED: dict[FieldAction, tuple[frozenset[FieldState], frozenset[TicketStatus]]] = {
    FieldAction.ACCEPT: (frozenset({F.ASSIGNED}), _OPEN),
    FieldAction.DECLINE: (frozenset({F.ASSIGNED, F.ACCEPTED}), _OPEN),
    FieldAction.ON_THE_WAY: (frozenset({F.ACCEPTED, F.CHECKED_OUT}), frozenset({T.REGISTERED, T.IN_PROGRESS})),
    FieldAction.CHECK_IN: (
        frozenset({F.ACCEPTED, F.ON_THE_WAY, F.CHECKED_OUT}),
        frozenset({T.REGISTERED, T.IN_PROGRESS}),
    ),
    FieldAction.DIAGNOSIS: (frozenset({F.ON_SITE}), _WORKING),
    FieldAction.PARTS: (frozenset({F.ON_SITE}), _WORKING | {T.RESOLVED}),
    FieldAction.RESULT: (frozenset({F.ON_SITE}), frozenset({T.IN_PROGRESS})),
    FieldAction.PHOTO: (frozenset({F.ON_SITE}), _WORKING | {T.RESOLVED}),
    FieldAction.CONFIRMATION_CODE: (frozenset({F.ON_SITE}), frozenset({T.RESOLVED})),
    FieldAction.CONFIRMATION: (frozenset({F.ON_SITE}), frozenset({T.RESOLVED})),
    FieldAction.CHECK_OUT: (frozenset({F.ON_SITE}), _WORKING | {T.RESOLVED}),
}

# Timeline events that move the field state.
STATE_EVENTS: dict[str, FieldState] = {
    EventType.ASSIGN.value: F.ASSIGNED,
    FieldEventType.ACCEPT.value: F.ACCEPTED,
    FieldEventType.DECLINE.value: F.DECLINED,
    FieldEventType.ON_THE_WAY.value: F.ON_THE_WAY,
    EventType.CHECK_IN.value: F.ON_SITE,
    FieldEventType.CHECK_OUT.value: F.CHECKED_OUT,
}


@dataclass(frozen=True)
class FieldProgress:
    """The field state, whether the customer confirmed the latest result, and the visits so far."""

    state: FieldState
    is_confirmed: bool = False
    visits: int = 0


def progress(event_types: Iterable[str], *, is_assigned: bool) -> FieldProgress:
    """Replay the timeline (oldest first). An assignment starts over; a decline ends the job for the
    one who declined; a result needs a fresh confirmation."""
    state: FieldState | None = None
    confirmed = False
    visits = 0
    for event_type in event_types:
        value = str(event_type)
        if value in STATE_EVENTS:
            state = STATE_EVENTS[value]
            if value == EventType.ASSIGN.value:
                visits = 0
            elif value == EventType.CHECK_IN.value:
                visits += 1
        if value in (EventType.RESULT.value, EventType.REOPEN.value):
            confirmed = False
        elif value == FieldEventType.CONFIRMATION.value:
            confirmed = True
    if not is_assigned:
        state = F.DECLINED if state == F.DECLINED else F.UNASSIGNED
    elif state is None or state in (F.DECLINED, F.UNASSIGNED):
        state = F.ASSIGNED
    return FieldProgress(state, confirmed, visits)


def refusal(action: FieldAction, current: FieldProgress, status: TicketStatus | str) -> str | None:
    """Why ``action`` is not allowed now (a marked message for the technician; states and steps as
    ``Label``s of ``field_state`` and ``field_action``), or None when it is."""
    states, statuses = ALLOWED[action]
    status = TicketStatus(status)
    step = Label("field_action", action.value)
    if current.state in (F.UNASSIGNED, F.DECLINED):
        return N_("任务已退回调度，不能继续操作")
    if status in (T.CLOSED, T.CANCELLED, T.VISITED):
        return N_("工单已结束，不能继续操作")
    if current.state not in states:
        if current.state == F.ASSIGNED:
            return N_("请先接单")
        if F.ON_SITE in states:
            return N_("请先上门签到")
        if current.state == F.ON_SITE:
            return N_("您正在现场，请先完成或离场签退")
        state = Label("field_state", current.state.value)
        return Message(N_("任务当前为「%(state)s」，不能「%(action)s」"), {"state": state, "action": step})
    if status not in statuses:
        if status == T.ON_HOLD:
            return N_("工单挂起中，请先恢复")
        if action in (FieldAction.CONFIRMATION_CODE, FieldAction.CONFIRMATION):
            return N_("请先提交处理结果，再请客户确认")
        if status == T.RESOLVED:
            return N_("已反馈处理结果")
        return Message(N_("工单当前状态不能「%(action)s」"), {"action": step})
    if action in (FieldAction.CONFIRMATION_CODE, FieldAction.CONFIRMATION) and current.is_confirmed:
        return N_("客户已确认本次结果")
    return None


def allowed_actions(current: FieldProgress, status: TicketStatus | str) -> list[FieldAction]:
    """Every step allowed now, in button order."""
    return [action for action in FieldAction if refusal(action, current, status) is None]


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes from ``start`` to ``end`` (never negative)."""
    return max(0, int((end - start).total_seconds() // 60))


def duration_text(minutes: int) -> str:
    """1小时5分 / 25分钟."""
    hours, rest = divmod(minutes, 60)
    return f"{hours}小时{rest}分" if hours else f"{rest}分钟"


class FlagReason(StrEnum):
    """Why a visit is flagged for the inspector."""

    FAR_FROM_ADDRESS = "far_from_address"  # checked in farther from the address than allowed
    SHORT_STAY = "short_stay"  # checked out sooner than the minimum stay


def check_in_flags(distance_km: float | None, *, max_distance_km: float) -> list[FlagReason]:
    """The flags a check-in raises (none when the address has no coordinates)."""
    return [FlagReason.FAR_FROM_ADDRESS] if distance_km is not None and distance_km > max_distance_km else []


def stay_flags(minutes_on_site: int, *, min_stay_minutes: int) -> list[FlagReason]:
    """The flags a check-out raises: a stay shorter than the minimum."""
    return [FlagReason.SHORT_STAY] if minutes_on_site < min_stay_minutes else []


def is_first_time_fix(*, visits_before_result: int, reopened: bool, has_unreviewed_flag: bool) -> bool | None:
    """Whether a resolved on-site job counts as fixed on the first visit: one visit, never reopened; a
    job with a flagged visit nobody has reviewed yet is left out of the measure (None)."""
    if has_unreviewed_flag:
        return None
    return visits_before_result == 1 and not reopened
