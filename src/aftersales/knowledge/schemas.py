"""Knowledge API schemas."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from aftersales.core.bounds import RowId, Version
from aftersales.knowledge.enums import ArticleStatus, ArticleType, Audience


def clean_questions(value: list[str]) -> list[str]:
    """Questions with spaces collapsed, blanks refused, duplicates dropped."""
    cleaned: list[str] = []
    for question in value:
        text = " ".join(question.split())
        if not text:
            raise ValueError("问法不能为空")
        if len(text) > 500:
            raise ValueError("问法不能超过 500 字")
        if text not in cleaned:
            cleaned.append(text)
    return cleaned


class ArticleCreate(BaseModel):
    """A new article (``questions``: the ways people ask for it)."""

    model_config = ConfigDict(extra="forbid")

    key: str | None = Field(default=None, min_length=1, max_length=120, pattern=r"^[a-z0-9][a-z0-9\-_.]*$")
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20_000)
    questions: list[str] = Field(default_factory=list, max_length=50)
    product_models: list[str] = Field(default_factory=list, max_length=50)
    fault_types: list[str] = Field(default_factory=list, max_length=20)
    tags: list[str] = Field(default_factory=list, max_length=30)
    audience: Audience = Audience.BOTH
    status: ArticleStatus = ArticleStatus.DRAFT
    type: ArticleType = ArticleType.FAQ

    @field_validator("title", "body")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("不能为空")
        return value

    @field_validator("questions")
    @classmethod
    def _questions(cls, value: list[str]) -> list[str]:
        return clean_questions(value)


class ArticleUpdate(BaseModel):
    """Changed fields; ``version`` must match the stored one."""

    model_config = ConfigDict(extra="forbid")

    version: Version
    title: str | None = Field(default=None, min_length=1, max_length=200)
    body: str | None = Field(default=None, min_length=1, max_length=20_000)
    questions: list[str] | None = Field(default=None, max_length=50)
    product_models: list[str] | None = None
    fault_types: list[str] | None = None
    tags: list[str] | None = None
    audience: Audience | None = None
    status: ArticleStatus | None = None
    type: ArticleType | None = None

    @field_validator("questions")
    @classmethod
    def _questions(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else clean_questions(value)


class ArticleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    title: str
    body: str
    questions: list[str]
    product_models: list[str]
    fault_types: list[str]
    tags: list[str]
    audience: Audience
    status: ArticleStatus
    type: ArticleType
    version: int
    solved_count: int
    updated_at: datetime


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=500)
    product_model: str | None = Field(default=None, max_length=64)
    audience: Audience | None = None
    limit: int = Field(default=5, ge=1, le=50)


class SearchHit(BaseModel):
    article_id: int
    title: str
    score: float
    matched_question: str


class SolutionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    article_id: RowId


class VersionRead(BaseModel):
    version: int
    changed_by: str
    changed_at: str
    snapshot: dict[str, object]


class SynonymWrite(BaseModel):
    term: str
    synonyms: list[str]


class SolutionRead(BaseModel):
    ticket_id: int
    article_id: int
    first_contact: bool
