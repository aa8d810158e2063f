"""Quality's timeline event types (registered with ``tickets.events`` by the modules that record them).

Stored values are lower_snake; labels live in ``web.labels``.
"""

from enum import StrEnum

EVENT_OWNER = "quality"  # the owner its timeline event types are registered under (tickets.events)


class QualityEventType(StrEnum):
    SELF_CHECK = "self_check"  # the technician's checklist at completion (inspection.self_check)
    QUALITY_CHECK = "quality_check"  # a sampled inspection's result (inspection.forms)
