"""Ticket enums: stored values are lower_snake; labels live in LABELS (zh-CN)."""

from enum import StrEnum


class TicketStatus(StrEnum):
    REGISTERED = "registered"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    VISITED = "visited"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class TicketKind(StrEnum):
    CONSULTATION = "consultation"
    INSTALLATION = "installation"
    REPAIR = "repair"
    COMPLAINT = "complaint"


class Priority(StrEnum):
    URGENT = "urgent"
    ROUTINE = "routine"
    COMPLEX = "complex"


class Channel(StrEnum):
    HOTLINE = "hotline"
    WEB = "web"
    APP = "app"
    API = "api"
    WECHAT = "wechat"
    EMAIL = "email"
    WALK_IN = "walk_in"
    IMPORT = "import"
    RETURN_VISIT = "return_visit"  # opened from a return visit's answers


class EventType(StrEnum):
    """Timeline event types. The first group are lifecycle moves a caller may request."""

    CONTACT = "contact"
    PROGRESS = "progress"
    CHECK_IN = "check_in"
    RESULT = "result"
    RETURN_VISIT = "return_visit"
    CLOSE = "close"
    REOPEN = "reopen"
    HOLD = "hold"
    RESUME = "resume"
    CANCEL = "cancel"
    # Recorded by the system.
    REGISTER = "register"
    UPDATE = "update"
    ASSIGN = "assign"
    SLA_WARNING = "sla_warning"
    SLA_BREACHED = "sla_breached"
    APPOINTMENT = "appointment"
    DISPATCH = "dispatch"  # an auto-dispatch or day-plan decision, with the reason
    ESCALATION = "escalation"  # no one can meet the on-site target: the dispatcher's supervisor is told
    BULLETIN = "bulletin"  # linked to a known-issue bulletin (knowledge.bulletins), at intake or by hand
    # The technician's job flow (see dispatch.fieldwork); check_in above is also a lifecycle step.
    ACCEPT = "accept"
    DECLINE = "decline"
    ON_THE_WAY = "on_the_way"
    DIAGNOSIS = "diagnosis"
    PARTS_USED = "parts_used"
    PHOTO = "photo"
    CONFIRMATION = "confirmation"
    CHECK_OUT = "check_out"
    # The feedback loop.
    PROMISE = "promise"
    PROMISE_FULFILLED = "promise_fulfilled"
    FOLLOW_UP = "follow_up"
    SELF_CHECK = "self_check"  # the technician's checklist at completion (feedback.inspection)
    QUALITY_CHECK = "quality_check"  # a sampled inspection's result


LABELS: dict[str, str] = {
    "registered": "已登记",
    "in_progress": "处理中",
    "on_hold": "挂起",
    "resolved": "已反馈结果",
    "visited": "已回访",
    "closed": "已闭环",
    "cancelled": "已取消",
    "consultation": "咨询",
    "installation": "安装",
    "repair": "报修",
    "complaint": "投诉",
    "urgent": "紧急",
    "routine": "常规",
    "complex": "复杂",
}
