"""Bulletin API schemas. ``departments`` are the staff roles told about a bulletin (客服 agent, 调度
dispatcher, 技术 technician, 管理 manager, 质检 inspector, 服务商 provider)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from aftersales.accounts.enums import Role
from aftersales.core.bounds import Version
from aftersales.core.timeutil import ensure_utc
from aftersales.knowledge.enums import BulletinStatus, LinkMethod
from aftersales.tickets.schemas import LocalTime

DEFAULT_DEPARTMENTS = [Role.AGENT, Role.DISPATCHER, Role.TECHNICIAN, Role.MANAGER]
STAFF_ROLES = frozenset(Role) - {Role.CUSTOMER}


def _text(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("不能为空")
    return value


def _items(value: list[str], *, longest: int) -> list[str]:
    """Items trimmed, blanks refused, duplicates dropped (order kept)."""
    cleaned: list[str] = []
    for item in value:
        text = " ".join(item.split())
        if not text:
            raise ValueError("不能有空项")
        if len(text) > longest:
            raise ValueError(f"每项不能超过 {longest} 字")
        if text not in cleaned:
            cleaned.append(text)
    return cleaned


def _departments(value: list[Role]) -> list[Role]:
    if any(role not in STAFF_ROLES for role in value):
        raise ValueError("通知部门只能是员工角色")
    return list(dict.fromkeys(value))


class BulletinCreate(BaseModel):
    """A new known issue. ``keywords``: cues a new ticket's description must all hit, each a set of
    alternatives ``指纹|手指``; ``status`` draft (default) or published."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    cause: str = Field(min_length=1, max_length=5000)
    workaround: str = Field(min_length=1, max_length=5000)
    agent_script: str = Field(default="", max_length=5000)
    product_models: list[str] = Field(default_factory=list, max_length=50)
    versions: list[str] = Field(default_factory=list, max_length=20)
    keywords: list[str] = Field(default_factory=list, max_length=30)
    status: BulletinStatus = BulletinStatus.DRAFT
    expected_fix_at: datetime | None = None
    departments: list[Role] = Field(default_factory=lambda: list(DEFAULT_DEPARTMENTS), max_length=10)

    @field_validator("title", "cause", "workaround")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        return _text(value)

    @field_validator("product_models", "versions")
    @classmethod
    def _short_items(cls, value: list[str]) -> list[str]:
        return _items(value, longest=64)

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str]) -> list[str]:
        return _items(value, longest=500)

    @field_validator("status")
    @classmethod
    def _new_status(cls, value: BulletinStatus) -> BulletinStatus:
        if value not in (BulletinStatus.DRAFT, BulletinStatus.PUBLISHED):
            raise ValueError("新建的已知问题只能是草稿或已发布")
        return value

    @field_validator("expected_fix_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return ensure_utc(value) if value is not None else None

    @field_validator("departments")
    @classmethod
    def _staff(cls, value: list[Role]) -> list[Role]:
        return _departments(value)


class BulletinUpdate(BaseModel):
    """Changed fields; ``version`` must match the stored one. Status moves have their own actions."""

    model_config = ConfigDict(extra="forbid")

    version: Version
    title: str | None = Field(default=None, min_length=1, max_length=200)
    cause: str | None = Field(default=None, min_length=1, max_length=5000)
    workaround: str | None = Field(default=None, min_length=1, max_length=5000)
    agent_script: str | None = Field(default=None, max_length=5000)
    product_models: list[str] | None = Field(default=None, max_length=50)
    versions: list[str] | None = Field(default=None, max_length=20)
    keywords: list[str] | None = Field(default=None, max_length=30)
    expected_fix_at: datetime | None = None
    departments: list[Role] | None = Field(default=None, max_length=10)

    @field_validator("title", "cause", "workaround")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        return None if value is None else _text(value)

    @field_validator("product_models", "versions")
    @classmethod
    def _short_items(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _items(value, longest=64)

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _items(value, longest=500)

    @field_validator("expected_fix_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return ensure_utc(value) if value is not None else None

    @field_validator("departments")
    @classmethod
    def _staff(cls, value: list[Role] | None) -> list[Role] | None:
        return None if value is None else _departments(value)


class BulletinAction(BaseModel):
    """Publish or withdraw; ``version`` (optional) makes the move conditional on no other change."""

    model_config = ConfigDict(extra="forbid")

    version: Version | None = None


class BulletinFix(BaseModel):
    """Mark fixed; ``note`` (what the customer should do now) goes into the SMS to linked customers."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=200)
    version: Version | None = None

    @field_validator("note")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        return _text(value)


class BulletinRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    title: str
    cause: str
    workaround: str
    agent_script: str
    product_models: list[str]
    versions: list[str]
    keywords: list[str]
    status: BulletinStatus
    expected_fix_at: LocalTime | None
    published_at: LocalTime | None
    fixed_at: LocalTime | None
    fix_note: str | None
    departments: list[str]
    version: int
    created_at: LocalTime
    created_by: str
    updated_at: LocalTime
    updated_by: str


class BulletinDetail(BulletinRead):
    ticket_ids: list[int]


class LinkRead(BaseModel):
    bulletin_id: int
    ticket_id: int
    how: LinkMethod
    score: float | None
