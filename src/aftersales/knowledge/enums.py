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
