"""What admins do to people and the organisation tree: the user list (paged, filtered, each with its last
sign-in), changing a user's name, role and organisation, the tree in reading order, and editing an
organisation (a unique code, a parent of a fitting kind, never under itself or its own branch).

Creating users and organisations, passwords and enabling or disabling an account stay in ``service``, shared
with the CLI. Every change is audited; bad input raises with every field's problem and changes nothing.
Flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from aftersales.accounts import rules
from aftersales.accounts import service as accounts_service
from aftersales.accounts.enums import OrganisationKind, Role
from aftersales.accounts.errors import (
    AccountVersionConflictError,
    InvalidAccountInputError,
    OrganisationNotFoundError,
    UserExistsError,
    UserNotFoundError,
)
from aftersales.accounts.models import ConsoleSession, Organisation, User
from aftersales.accounts.schemas import Actor
from aftersales.core.clock import Clock
from aftersales.core.db import get_for_update
from aftersales.core.i18n import N_, Label, Message
from aftersales.core.pagination import Page

Record = TypeVar("Record", User, Organisation)


@dataclass(frozen=True)
class UserRow:
    """A user as the admin's list shows it."""

    user: User
    organisation: Organisation | None
    last_login_at: datetime | None  # the last console sign-in (None: never signed in to the console)


@dataclass(frozen=True)
class TreeNode:
    """An organisation in the tree's reading order: its depth below a root, and how many users it has."""

    organisation: Organisation
    depth: int
    members: int


def get_user_by_id(session: Session, user_id: int) -> User:
    """A user by id, or UserNotFoundError."""
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFoundError(N_("用户 %(username)s 不存在"), {"username": user_id})
    return user


def get_organisation(session: Session, organisation_id: int) -> Organisation:
    """An organisation by id, or OrganisationNotFoundError."""
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise OrganisationNotFoundError(N_("机构 %(code)s 不存在"), {"code": organisation_id})
    return org


def _current(session: Session, model: type[Record], record: Record, version: int | None) -> Record:
    """``record`` locked for the edit (PostgreSQL: a concurrent save waits, then sees this one), refused
    when it is no longer at ``version`` (None: the caller did not draw a form, e.g. the CLI)."""
    locked = get_for_update(session, model, record.id) or record
    if version is not None and locked.version != version:
        raise AccountVersionConflictError(
            N_("已被他人修改（当前版本 %(version)s，提交版本 %(given)s），请核对后再保存"),
            {"version": locked.version, "given": version},
            fields={"version": locked.version},
        )
    return locked


def organisation_tree(session: Session) -> list[TreeNode]:
    """Every organisation, each followed by its branch (siblings by code); anything not reachable from a
    root (a loop left by hand-edited data) comes last at depth 0 rather than vanishing."""
    organisations = session.scalars(select(Organisation).order_by(Organisation.code)).all()
    counted = session.execute(
        select(User.organisation_id, func.count())
        .where(User.organisation_id.is_not(None))
        .group_by(User.organisation_id)
    )
    members = {organisation_id: int(count) for organisation_id, count in counted}
    ids = {org.id for org in organisations}
    children: dict[int | None, list[Organisation]] = {}
    for org in organisations:
        parent = org.parent_id if org.parent_id in ids else None
        children.setdefault(parent, []).append(org)
    nodes: list[TreeNode] = []
    seen: set[int] = set()

    def visit(org: Organisation, depth: int) -> None:
        if org.id in seen:
            return
        seen.add(org.id)
        nodes.append(TreeNode(org, depth, members.get(org.id, 0)))
        for child in children.get(org.id, []):
            visit(child, depth + 1)

    for root in children.get(None, []):
        visit(root, 0)
    for org in organisations:
        visit(org, 0)
    return nodes


def branch_ids(nodes: list[TreeNode], organisation_id: int) -> set[int]:
    """The organisation and everything below it, from a tree of :func:`organisation_tree`."""
    found: set[int] = set()
    inside_depth: int | None = None
    for node in nodes:
        if inside_depth is not None and node.depth <= inside_depth:
            break
        if node.organisation.id == organisation_id:
            inside_depth = node.depth
        if inside_depth is not None:
            found.add(node.organisation.id)
    return found


def _last_sign_ins(session: Session, user_ids: list[int]) -> dict[int, datetime]:
    latest = session.execute(
        select(ConsoleSession.user_id, func.max(ConsoleSession.created_at))
        .where(ConsoleSession.user_id.in_(user_ids))
        .group_by(ConsoleSession.user_id)
    )
    return {user_id: at for user_id, at in latest}


def last_sign_in(session: Session, user_id: int) -> datetime | None:
    """When the user last signed in to the console (None: never)."""
    return _last_sign_ins(session, [user_id]).get(user_id)


def list_users(
    session: Session,
    *,
    text: str | None = None,
    role: Role | None = None,
    organisation_ids: set[int] | None = None,
    is_active: bool | None = None,
    limit: int = 25,
    offset: int = 0,
) -> Page[UserRow]:
    """Users by username, filtered by a part of the username or name, role, organisations and state."""
    query = select(User)
    if text:
        query = query.where(
            or_(
                func.lower(User.username).contains(text.lower(), autoescape=True),
                User.display_name.contains(text, autoescape=True),
            )
        )
    if role is not None:
        query = query.where(User.role == role)
    if organisation_ids is not None:
        query = query.where(User.organisation_id.in_(organisation_ids))
    if is_active is not None:
        query = query.where(User.is_active.is_(is_active))
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    users = session.scalars(query.order_by(User.username).limit(limit).offset(offset)).all()
    last_logins = _last_sign_ins(session, [user.id for user in users])
    org_ids = {user.organisation_id for user in users if user.organisation_id is not None}
    orgs = {org.id: org for org in session.scalars(select(Organisation).where(Organisation.id.in_(org_ids)))}
    items = [
        UserRow(
            user,
            orgs.get(user.organisation_id) if user.organisation_id is not None else None,
            last_logins.get(user.id),
        )
        for user in users
    ]
    return Page(items=items, total=total, limit=limit, offset=offset)


def _code_of(session: Session, organisation_id: int | None) -> str | None:
    if organisation_id is None:
        return None
    return session.scalar(select(Organisation.code).where(Organisation.id == organisation_id))


def _changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, before and after."""
    changed = [name for name in after if before.get(name) != after[name]]
    return {name: before.get(name) for name in changed}, {name: after[name] for name in changed}


def _refuse(problems: dict[str, str | None], *, code: str) -> None:
    fields = {name: problem for name, problem in problems.items() if problem}
    if fields:
        raise InvalidAccountInputError(N_("输入有误，请按提示修改"), code=code, fields=fields)


def update_user(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    user_id: int,
    display_name: str,
    role: Role,
    organisation_code: str | None,
    version: int | None = None,
) -> User:
    """Change a user's name, role and organisation; audited with what changed (nothing changed: no entry).

    An admin cannot change their own role (they could lock every admin out). ``version``: the one the
    form was drawn with; if the user was changed since, nothing is saved (AccountVersionConflictError)."""
    user = _current(session, User, get_user_by_id(session, user_id), version)
    name = display_name.strip()
    org = None
    problems: dict[str, str | None] = {"display_name": rules.display_name_problem(name)}
    if organisation_code:
        org = session.scalar(select(Organisation).where(Organisation.code == organisation_code))
        if org is None:
            problems["organisation"] = Message(N_("机构 %(code)s 不存在"), {"code": organisation_code})
    if role != user.role and actor.user_id == user.id:
        problems["role"] = N_("不能修改自己的角色")
    _refuse(problems, code="user.invalid")
    before = {
        "display_name": user.display_name,
        "role": Role(user.role).value,
        "organisation": _code_of(session, user.organisation_id),
    }
    after = {"display_name": name, "role": role.value, "organisation": org.code if org else None}
    old, new = _changes(before, after)
    if not new:
        return user
    user.display_name = name
    user.role = role
    user.organisation_id = org.id if org else None
    user.version += 1
    session.flush()
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="user.updated",
        entity_type="user",
        entity_id=user.id,
        before=old,
        after=new,
    )
    return user


def update_organisation(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    organisation_id: int,
    code: str,
    name: str,
    kind: OrganisationKind,
    parent_code: str | None,
    city: str | None,
    version: int | None = None,
) -> Organisation:
    """Change an organisation's code, name, kind, parent or city; audited with what changed.

    Refused: a code another organisation has, a parent that is the organisation itself or inside its own
    branch, a parent of a kind it may not sit under, and a kind its own children may not sit under; and a
    save against an older ``version`` than the organisation's (AccountVersionConflictError)."""
    org = _current(session, Organisation, get_organisation(session, organisation_id), version)
    name = name.strip()
    city = (city or "").strip() or None
    problems: dict[str, str | None] = {
        "code": rules.organisation_code_problem(code),
        "name": rules.organisation_name_problem(name),
    }
    if city is not None and len(city) > rules.MAX_CITY:
        problems["city"] = Message(N_("城市不超过 %(count)s 个字"), {"count": rules.MAX_CITY})
    parent = None
    if parent_code:
        parent = session.scalar(select(Organisation).where(Organisation.code == parent_code))
        if parent is None:
            problems["parent"] = Message(N_("上级机构 %(code)s 不存在"), {"code": parent_code})
        elif org.id in {above.id for above in accounts_service.organisation_ancestors(session, parent.id)}:
            problems["parent"] = N_("不能把机构设在它自己或它的下级机构之下")
        else:
            problems["parent"] = rules.parent_problem(kind, OrganisationKind(parent.kind))
    else:
        problems["parent"] = rules.parent_problem(kind, None)
    for child in session.scalars(
        select(Organisation).where(Organisation.parent_id == org.id).order_by(Organisation.code)
    ):
        if rules.parent_problem(OrganisationKind(child.kind), kind):
            problems["kind"] = Message(
                N_("下级机构 %(code)s（%(child)s）不能设在%(kind)s之下"),
                {"code": child.code, "child": Label("org_kind", child.kind), "kind": Label("org_kind", kind.value)},
            )
            break
    _refuse(problems, code="organisation.invalid")
    if code != org.code and session.scalar(select(Organisation.id).where(Organisation.code == code)) is not None:
        taken = Message(N_("机构编码 %(code)s 已存在"), {"code": code})
        raise UserExistsError(taken, code="organisation.exists", fields={"code": taken})
    before = {
        "code": org.code,
        "name": org.name,
        "kind": OrganisationKind(org.kind).value,
        "parent": _code_of(session, org.parent_id),
        "city": org.city,
    }
    after = {"code": code, "name": name, "kind": kind.value, "parent": parent.code if parent else None, "city": city}
    old, new = _changes(before, after)
    if not new:
        return org
    org.code, org.name, org.kind, org.city = code, name, kind, city
    org.parent_id = parent.id if parent else None
    org.version += 1
    session.flush()
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="organisation.updated",
        entity_type="organisation",
        entity_id=org.id,
        before=old,
        after=new,
    )
    return org
