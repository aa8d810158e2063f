"""Feedback's timeline event types (registered with ``tickets.events`` by the modules that record them).

Stored values are lower_snake; labels live in ``web.labels``.
"""

from enum import StrEnum

EVENT_OWNER = "feedback"  # the owner its timeline event types are registered under (tickets.events)


class FeedbackEventType(StrEnum):
    PROMISE = "promise"  # a commitment made to the customer (promises)
    PROMISE_FULFILLED = "promise_fulfilled"
    FOLLOW_UP = "follow_up"  # a complaint ticket opened from a return visit's answers, on both timelines
