"""SLA enums."""

from enum import StrEnum


class TargetKind(StrEnum):
    FIRST_RESPONSE = "first_response"
    ONSITE = "onsite"
    RESOLUTION = "resolution"


class SlaState(StrEnum):
    ON_TRACK = "on_track"
    WARNING = "warning"
    BREACHED = "breached"
    MET = "met"
    PAUSED = "paused"


class CalendarKind(StrEnum):
    ALWAYS = "always"
    WEEKLY = "weekly"
    STATUTORY = "statutory"


class OutcomeKind(StrEnum):
    WARNING = "sla_warning"
    BREACHED = "sla_breached"
