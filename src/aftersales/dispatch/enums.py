"""Dispatch's timeline event types (registered with ``tickets.events`` by the modules that record them).

Stored values are lower_snake; labels live in ``web.labels``.
"""

from enum import StrEnum

EVENT_OWNER = "dispatch"  # the owner its timeline event types are registered under (tickets.events)


class DispatchEventType(StrEnum):
    """Decisions about who goes where and when."""

    APPOINTMENT = "appointment"  # a visit booked with the customer (planning.appointments)
    DISPATCH = "dispatch"  # an auto-dispatch or day-plan decision, with the reason
    ESCALATION = "escalation"  # no one can meet the on-site target: the dispatcher's supervisor is told


class FieldEventType(StrEnum):
    """The technician's job flow (``fieldwork``); arriving is the lifecycle's ``check_in`` (tickets')."""

    ACCEPT = "accept"
    DECLINE = "decline"
    ON_THE_WAY = "on_the_way"
    DIAGNOSIS = "diagnosis"
    PARTS_USED = "parts_used"
    PHOTO = "photo"
    CONFIRMATION = "confirmation"
    CHECK_OUT = "check_out"
    VISIT_REVIEWED = "visit_reviewed"  # the inspector reviewed a flagged visit (fieldwork.flags)
