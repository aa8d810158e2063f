"""Ticket enums: stored values are lower_snake; their labels are the console's (``web.labels``)."""

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
    """The timeline event types ``tickets`` owns. The first group are lifecycle moves a caller may request;
    other packages register their own types with ``tickets.events`` (dispatch, knowledge, feedback,
    quality)."""

    CONTACT = "contact"
    PROGRESS = "progress"
    CHECK_IN = "check_in"  # the technician's arrival on site (also a step of dispatch's job flow)
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
    CHECK_IN_OVERRIDE = "check_in_override"  # a supervisor let a result through without a check-in
