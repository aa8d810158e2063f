"""Article kinds, audiences and states; bulletin states and links; knowledge's timeline event types."""

from enum import StrEnum


class ArticleType(StrEnum):
    FAQ = "faq"
    SCRIPT = "script"  # 话术: what an agent says
    PART_STANDARD = "part_standard"  # 备件更换标准


class Audience(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    BOTH = "both"


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class BulletinStatus(StrEnum):
    """A known-issue bulletin's life: drafted, published (new tickets are matched), fixed, withdrawn."""

    DRAFT = "draft"
    PUBLISHED = "published"
    FIXED = "fixed"
    WITHDRAWN = "withdrawn"


class LinkMethod(StrEnum):
    AUTO = "auto"  # matched at intake
    MANUAL = "manual"  # linked by an agent


EVENT_OWNER = "knowledge"  # the owner its timeline event types are registered under (tickets.events)


class KnowledgeEventType(StrEnum):
    """Knowledge's timeline event types (registered with ``tickets.events`` by ``bulletins.linking``)."""

    BULLETIN = "bulletin"  # linked to a known-issue bulletin, at intake or by hand
