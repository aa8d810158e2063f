"""Article kinds, audiences and states."""

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
