"""The admin console of accounts: users (list, create, edit, reset password, disable after confirming, never
oneself), the organisation tree (create, edit, a fitting parent, no loops) and the audit trail (filters, local
dates, readable changes). Every refused form shows its fields' problems with what was typed, and changes
nothing; roles outside the policy are refused."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.accounts.admin import audit as admin_audit
from aftersales.accounts.admin import common
from aftersales.accounts.enums import OrganisationKind, Role
from aftersales.accounts.models import ApiToken, AuditEntry, ConsoleSession, Organisation, User
from aftersales.accounts.schemas import SYSTEM_ACTOR, Actor
from aftersales.core.clock import FrozenClock
from tests import factories
from tests.conftest import console_login, local

PASSWORD = factories.PASSWORD


def _errors(page: str) -> dict[str, str]:
    """Field → its problem as the page shows it."""
    return dict(re.findall(r'<p class="field-error" id="([a-z_]+)-error">([^<]*)</p>', page))


def _audit_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(AuditEntry)) or 0


def _snapshot(db: Session, model: Any) -> list[tuple[Any, ...]]:
    """Every row of a table, to show a refused form changed nothing."""
    db.expire_all()
    table = model.__table__
    return [tuple(row) for row in db.execute(select(table).order_by(*table.primary_key.columns)).all()]


def _audit_rows(db: Session, since: int) -> list[tuple[str, str, str, str, Any, Any]]:
    db.expire_all()
    rows = db.execute(
        select(
            AuditEntry.action,
            AuditEntry.entity_type,
            AuditEntry.entity_id,
            AuditEntry.actor_name,
            AuditEntry.before,
            AuditEntry.after,
        )
        .where(AuditEntry.id > since)
        .order_by(AuditEntry.id)
    ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def _last_audit_id(db: Session) -> int:
    return db.scalar(select(func.max(AuditEntry.id))) or 0


@pytest.fixture
def tree(db: Session, clock: FrozenClock) -> factories.OrganisationTree:
    made = factories.organisation_tree(db, clock=clock)
    db.commit()
    return made


@pytest.fixture
def admin_csrf(client: TestClient, db: Session, clock: FrozenClock) -> str:
    factories.user(db, clock=clock, role=Role.ADMIN, username="root", display_name="系统管理员")
    db.commit()
    return console_login(client, db, "root")


def _new_user(csrf: str, **fields: str) -> dict[str, str]:
    data = {
        "csrf_token": csrf,
        "username": "wang.fang",
        "display_name": "客服王芳",
        "role": "agent",
        "organisation": "SC-上海",
        "password": "good-pass-1",
        "password_confirm": "good-pass-1",
    }
    return data | fields


# --- users -----------------------------------------------------------------------------------------------


def test_the_user_list_filters_by_text_role_branch_and_state_and_pages(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    tree: factories.OrganisationTree,
    admin_csrf: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    factories.user(db, clock=clock, role=Role.AGENT, username="agent.li", display_name="客服李娜")
    factories.user(db, clock=clock, role=Role.TECHNICIAN, username="tech.zhang", organisation_code="SC-上海")
    factories.user(db, clock=clock, role=Role.PROVIDER, username="prov.zhao", organisation_code="SP-上海")
    factories.user(db, clock=clock, role=Role.MANAGER, username="mgr.liu", organisation_code="EAST")
    factories.user(db, clock=clock, role=Role.AGENT, username="agent.gone", display_name="客服离职")
    accounts_service.set_active(db, clock=clock, actor=SYSTEM_ACTOR, username="agent.gone", active=False)
    db.commit()

    def shown(query: str = "") -> list[str]:
        page = client.get(f"/console/admin/users{query}")
        assert page.status_code == 200
        return re.findall(r'<tr data-user="([^"]+)"', page.text)

    assert shown() == ["agent.gone", "agent.li", "mgr.liu", "prov.zhao", "root", "tech.zhang"]
    assert shown("?q=%E6%9D%8E%E5%A8%9C") == ["agent.li"]  # 李娜, a part of the name
    assert shown("?q=AGENT") == ["agent.gone", "agent.li"]  # a part of the username, any case
    assert shown("?role=technician") == ["tech.zhang"]
    # A region's branch: its own users and those of its service center and provider.
    assert shown("?organisation=EAST") == ["mgr.liu", "prov.zhao", "tech.zhang"]
    assert shown("?organisation=SP-%E4%B8%8A%E6%B5%B7") == ["prov.zhao"]
    assert shown("?role=nobody&state=sideways") == shown()  # unknown filters are left out
    monkeypatch.setattr(common, "PAGE_SIZE", 4)
    first, second = client.get("/console/admin/users").text, client.get("/console/admin/users?page=2").text
    assert re.findall(r'<tr data-user="([^"]+)"', second) == ["root", "tech.zhang"]
    assert "第 1 / 2 页" in first and "第 2 / 2 页" in second and "共 6 人" in first
    # The signed-in admin's last sign-in is shown; someone who never signed in says so.
    row = re.search(r'<tr data-user="root".*?</tr>', first + second, re.S)
    assert row is not None and "2026-11-22 10:00" in row.group(0)
    never = re.search(r'<tr data-user="agent.li".*?</tr>', first, re.S)
    assert never is not None and "从未登录" in never.group(0)


def test_an_admin_creates_a_user_who_can_then_sign_in(
    client: TestClient, db: Session, tree: factories.OrganisationTree, admin_csrf: str
) -> None:
    mark = _last_audit_id(db)
    reply = client.post("/console/admin/users/new", data=_new_user(admin_csrf), follow_redirects=False)
    assert reply.status_code == 303
    user = db.scalars(select(User).where(User.username == "wang.fang")).one()
    assert reply.headers["location"] == f"/console/admin/users/{user.id}?done=created"
    assert (user.display_name, user.role, user.organisation_id, user.is_active) == (
        "客服王芳", Role.AGENT, tree.service_center.id, True,
    )  # fmt: skip
    assert _audit_rows(db, mark) == [
        (
            "user.created",
            "user",
            str(user.id),
            "root",
            None,
            {"username": "wang.fang", "role": "agent", "organisation": "SC-上海"},
        )
    ]
    page = client.get(reply.headers["location"]).text
    assert "用户已创建" in page and "从未登录" in page
    console_login(client, db, "wang.fang", "good-pass-1")


@pytest.mark.parametrize(
    ("fields", "status", "expected"),
    [
        ({"username": "root"}, 409, {"username": "用户 root 已存在"}),
        (
            {"username": "Wang Fang", "display_name": " ", "password": "short", "password_confirm": "other"},
            422,
            {
                "username": "用户名须为 2–64 位小写字母、数字或 _ . -，且以字母或数字开头",
                "display_name": "姓名须为 1–100 个字",
                "password": "密码至少 8 位",
                "password_confirm": "两次输入的密码不一致",
            },
        ),
        ({"password": " padded-pass ", "password_confirm": " padded-pass "}, 422, {"password": "密码首尾不能有空格"}),
        ({"organisation": "NOPE"}, 422, {"organisation": "机构 NOPE 不存在"}),
        ({"role": "emperor"}, 422, {"role": "请选择角色"}),
    ],
    ids=["duplicate", "several", "blank-ends", "unknown-organisation", "unknown-role"],
)
def test_a_refused_new_user_keeps_what_was_typed_and_changes_nothing(
    client: TestClient,
    db: Session,
    tree: factories.OrganisationTree,
    admin_csrf: str,
    fields: dict[str, str],
    status: int,
    expected: dict[str, str],
) -> None:
    users, audit = _snapshot(db, User), _audit_count(db)
    data = _new_user(admin_csrf, **fields)
    reply = client.post("/console/admin/users/new", data=data)
    assert reply.status_code == status
    assert _errors(reply.text) == expected
    assert f'id="username" name="username" value="{data["username"]}"' in reply.text
    assert f'id="display_name" name="display_name" value="{data["display_name"].strip()}"' in reply.text
    assert data["password"] not in reply.text  # passwords are typed again, never echoed
    assert _snapshot(db, User) == users and _audit_count(db) == audit


def test_editing_a_user_records_only_what_changed(
    client: TestClient, db: Session, clock: FrozenClock, tree: factories.OrganisationTree, admin_csrf: str
) -> None:
    made = factories.user(db, clock=clock, role=Role.AGENT, username="li.na", display_name="客服李娜")
    db.commit()
    mark = _last_audit_id(db)
    data = {"csrf_token": admin_csrf, "display_name": "调度李娜", "role": "dispatcher", "organisation": "EAST"}
    reply = client.post(f"/console/admin/users/{made.user.id}", data=data, follow_redirects=False)
    assert (reply.status_code, reply.headers["location"]) == (303, f"/console/admin/users/{made.user.id}?done=saved")
    db.expire_all()
    user = db.get(User, made.user.id)
    assert user is not None and (user.display_name, user.role, user.organisation_id) == (
        "调度李娜", Role.DISPATCHER, tree.region.id,
    )  # fmt: skip
    assert _audit_rows(db, mark) == [
        (
            "user.updated", "user", str(user.id), "root",
            {"display_name": "客服李娜", "role": "agent", "organisation": None},
            {"display_name": "调度李娜", "role": "dispatcher", "organisation": "EAST"},
        )
    ]  # fmt: skip
    # The same form again changes nothing and records nothing.
    again = client.post(f"/console/admin/users/{made.user.id}", data=data, follow_redirects=False)
    assert again.headers["location"] == f"/console/admin/users/{made.user.id}?done=unchanged"
    assert _audit_rows(db, mark)[1:] == []
    page = client.get(again.headers["location"]).text
    assert "没有需要保存的修改" in page and '<option value="dispatcher" selected>调度员</option>' in page


def test_a_refused_edit_keeps_what_was_typed_and_an_admin_keeps_their_own_role(
    client: TestClient, db: Session, clock: FrozenClock, tree: factories.OrganisationTree, admin_csrf: str
) -> None:
    made = factories.user(db, clock=clock, role=Role.AGENT, username="li.na", display_name="客服李娜")
    root = db.scalars(select(User).where(User.username == "root")).one()
    db.commit()
    users, audit = _snapshot(db, User), _audit_count(db)
    bad = {"csrf_token": admin_csrf, "display_name": "", "role": "manager", "organisation": "GONE"}
    reply = client.post(f"/console/admin/users/{made.user.id}", data=bad)
    assert reply.status_code == 422
    assert _errors(reply.text) == {"display_name": "姓名须为 1–100 个字", "organisation": "机构 GONE 不存在"}
    assert '<option value="manager" selected>经理</option>' in reply.text
    own = {"csrf_token": admin_csrf, "display_name": "系统管理员", "role": "agent", "organisation": ""}
    refused = client.post(f"/console/admin/users/{root.id}", data=own)
    assert refused.status_code == 422 and _errors(refused.text) == {"role": "不能修改自己的角色"}
    assert _snapshot(db, User) == users and _audit_count(db) == audit


def test_disabling_asks_first_ends_sessions_and_tokens_and_never_applies_to_oneself(
    client: TestClient, db: Session, clock: FrozenClock, admin_csrf: str
) -> None:
    made = factories.user(db, clock=clock, role=Role.AGENT, username="li.na", with_token=True)
    root = db.scalars(select(User).where(User.username == "root")).one()
    db.commit()
    page = client.get(f"/console/admin/users/{made.user.id}").text
    assert f'href="/console/admin/users/{made.user.id}/disable"' in page
    confirm = client.get(f"/console/admin/users/{made.user.id}/disable")
    assert confirm.status_code == 200 and "确定停用" in confirm.text and "确认停用" in confirm.text
    db.expire_all()
    assert db.get(User, made.user.id).is_active is True  # type: ignore[union-attr]  # asking changes nothing
    mark = _last_audit_id(db)
    reply = client.post(
        f"/console/admin/users/{made.user.id}/disable", data={"csrf_token": admin_csrf}, follow_redirects=False
    )
    assert reply.headers["location"] == f"/console/admin/users/{made.user.id}?done=disabled"
    db.expire_all()
    assert db.get(User, made.user.id).is_active is False  # type: ignore[union-attr]
    assert db.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == made.user.id)) is not None
    assert _audit_rows(db, mark) == [
        ("user.disabled", "user", str(made.user.id), "root", {"is_active": True},
         {"is_active": False, "sessions_ended": 0, "tokens_revoked": 1}),
    ]  # fmt: skip
    # Their own account: no button, and a forged post is refused with nothing changed.
    assert f'href="/console/admin/users/{root.id}/disable"' not in client.get(f"/console/admin/users/{root.id}").text
    own = client.get(f"/console/admin/users/{root.id}/disable").text
    assert "这是您自己的账户，不能停用。" in own and 'id="disable-form"' not in own
    sessions, audit = _snapshot(db, ConsoleSession), _audit_count(db)
    refused = client.post(f"/console/admin/users/{root.id}/disable", data={"csrf_token": admin_csrf})
    assert refused.status_code == 422 and "不能停用自己的账户" in refused.text
    assert _snapshot(db, ConsoleSession) == sessions and _audit_count(db) == audit
    # Enabled again.
    mark = _last_audit_id(db)
    enabled = client.post(
        f"/console/admin/users/{made.user.id}/enable", data={"csrf_token": admin_csrf}, follow_redirects=False
    )
    assert enabled.headers["location"] == f"/console/admin/users/{made.user.id}?done=enabled"
    db.expire_all()
    assert db.get(User, made.user.id).is_active is True  # type: ignore[union-attr]
    assert [row[0] for row in _audit_rows(db, mark)] == ["user.enabled"]


def test_an_admin_resets_a_password(client: TestClient, db: Session, clock: FrozenClock, admin_csrf: str) -> None:
    made = factories.user(db, clock=clock, role=Role.AGENT, username="li.na")
    db.commit()
    stored = made.user.password_hash
    path = f"/console/admin/users/{made.user.id}/password"
    weak = client.post(path, data={"csrf_token": admin_csrf, "password": "short", "password_confirm": "short"})
    assert weak.status_code == 422 and _errors(weak.text) == {"password": "密码至少 8 位"}
    mismatch = client.post(path, data={"csrf_token": admin_csrf, "password": "new-pass-22", "password_confirm": "x"})
    assert _errors(mismatch.text) == {"password_confirm": "两次输入的密码不一致"}
    db.expire_all()
    assert db.get(User, made.user.id).password_hash == stored  # type: ignore[union-attr]
    mark = _last_audit_id(db)
    data = {"csrf_token": admin_csrf, "password": "new-pass-22", "password_confirm": "new-pass-22"}
    reply = client.post(path, data=data, follow_redirects=False)
    assert reply.headers["location"] == f"/console/admin/users/{made.user.id}?done=password"
    assert [row[:4] for row in _audit_rows(db, mark)] == [("user.password_set", "user", str(made.user.id), "root")]
    db.expire_all()
    user = db.get(User, made.user.id)
    assert not accounts_service.password_matches(user, PASSWORD)
    assert accounts_service.password_matches(user, "new-pass-22")


def test_other_roles_are_refused_and_see_no_admin_navigation(
    client: TestClient, db: Session, clock: FrozenClock, tree: factories.OrganisationTree
) -> None:
    factories.user(db, clock=clock, role=Role.AGENT, username="agent.li")
    factories.user(db, clock=clock, role=Role.MANAGER, username="mgr.liu")
    db.commit()
    csrf = console_login(client, db, "agent.li")
    assert client.get("/console/admin/users").status_code == 403
    assert client.get("/console/admin/audit").status_code == 403
    users, orgs = _snapshot(db, User), _snapshot(db, Organisation)
    assert client.post("/console/admin/users/new", data=_new_user(csrf)).status_code == 403
    data = {"csrf_token": csrf, "code": "X1", "name": "某地", "kind": "region", "parent": "HQ"}
    assert client.post("/console/admin/organisations/new", data=data).status_code == 403
    assert _snapshot(db, User) == users and _snapshot(db, Organisation) == orgs
    nav = client.get("/console/tickets").text
    assert 'href="/console/admin/users"' not in nav and 'href="/console/admin/audit"' not in nav
    # A manager reads the audit trail, but manages no users.
    console_login(client, db, "mgr.liu")
    assert client.get("/console/admin/users").status_code == 403
    trail = client.get("/console/admin/audit")
    assert trail.status_code == 200
    assert 'href="/console/admin/audit"' in trail.text and 'href="/console/admin/users"' not in trail.text


# --- organisations ---------------------------------------------------------------------------------------


def _org_form(csrf: str, **fields: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "code": "SC-杭州",
        "name": "杭州服务中心",
        "kind": "service_center",
        "parent": "EAST",
        "city": "杭州",
    } | fields


def test_the_tree_reads_top_down_and_an_organisation_is_added_under_its_parent(
    client: TestClient, db: Session, tree: factories.OrganisationTree, admin_csrf: str
) -> None:
    page = client.get("/console/admin/organisations").text
    assert re.findall(r'<tr data-organisation="([^"]+)" data-depth="(\d)"', page) == [
        ("HQ", "0"), ("EAST", "1"), ("SC-上海", "2"), ("SP-上海", "2"),
    ]  # fmt: skip
    form = client.get("/console/admin/organisations/new?parent=EAST").text
    assert '<option value="EAST" selected>' in form
    mark = _last_audit_id(db)
    reply = client.post("/console/admin/organisations/new", data=_org_form(admin_csrf), follow_redirects=False)
    assert reply.status_code == 303
    created = db.scalars(select(Organisation).where(Organisation.code == "SC-杭州")).one()
    assert reply.headers["location"] == f"/console/admin/organisations/{created.id}?done=created"
    assert (created.name, created.kind, created.parent_id, created.city) == (
        "杭州服务中心", OrganisationKind.SERVICE_CENTER, tree.region.id, "杭州",
    )  # fmt: skip
    assert [row[:4] for row in _audit_rows(db, mark)] == [
        ("organisation.created", "organisation", str(created.id), "root")
    ]
    page = client.get("/console/admin/organisations").text
    assert ("SC-杭州", "2") in re.findall(r'<tr data-organisation="([^"]+)" data-depth="(\d)"', page)


@pytest.mark.parametrize(
    ("fields", "status", "expected"),
    [
        ({"code": "EAST"}, 409, {"code": "机构编码 EAST 已存在"}),
        (
            {"code": "SC 杭州", "name": " "},
            422,
            {"code": "机构编码须为 1–64 个字符，不含空格和 / ? # %", "name": "机构名称须为 1–200 个字"},
        ),
        ({"kind": "region", "parent": ""}, 422, {"parent": "大区须设在上级机构之下"}),
        ({"parent": "SP-上海"}, 422, {"parent": "服务中心不能设在授权服务商之下"}),
        ({"parent": "NOPE"}, 422, {"parent": "上级机构 NOPE 不存在"}),
        ({"kind": "galaxy"}, 422, {"kind": "请选择组织类型"}),
    ],
    ids=["taken-code", "bad-code-and-name", "region-at-the-top", "under-a-provider", "unknown-parent", "unknown-kind"],
)
def test_a_refused_organisation_keeps_what_was_typed_and_changes_nothing(
    client: TestClient,
    db: Session,
    tree: factories.OrganisationTree,
    admin_csrf: str,
    fields: dict[str, str],
    status: int,
    expected: dict[str, str],
) -> None:
    orgs, audit = _snapshot(db, Organisation), _audit_count(db)
    data = _org_form(admin_csrf, **fields)
    reply = client.post("/console/admin/organisations/new", data=data)
    assert reply.status_code == status
    assert _errors(reply.text) == expected
    assert f'id="code" name="code" value="{data["code"]}"' in reply.text and 'value="杭州"' in reply.text
    assert _snapshot(db, Organisation) == orgs and _audit_count(db) == audit


def test_editing_an_organisation_moves_it_and_records_what_changed(
    client: TestClient, db: Session, clock: FrozenClock, tree: factories.OrganisationTree, admin_csrf: str
) -> None:
    factories.organisation(
        db, clock=clock, code="SOUTH", name="华南大区", kind=OrganisationKind.REGION, parent_code="HQ"
    )
    db.commit()
    form = client.get(f"/console/admin/organisations/{tree.service_center.id}").text
    assert 'value="SC-上海"' in form and '<option value="EAST" selected>' in form
    # Its own branch is not offered as a parent.
    region_form = client.get(f"/console/admin/organisations/{tree.region.id}").text
    assert '<option value="SC-上海"' not in region_form and '<option value="EAST"' not in region_form
    mark = _last_audit_id(db)
    data = _org_form(admin_csrf, code="SC-上海", name="上海浦东服务中心", parent="SOUTH", city="上海")
    reply = client.post(f"/console/admin/organisations/{tree.service_center.id}", data=data, follow_redirects=False)
    assert reply.headers["location"] == f"/console/admin/organisations/{tree.service_center.id}?done=saved"
    assert _audit_rows(db, mark) == [
        ("organisation.updated", "organisation", str(tree.service_center.id), "root",
         {"name": "上海服务中心", "parent": "EAST"}, {"name": "上海浦东服务中心", "parent": "SOUTH"}),
    ]  # fmt: skip
    again = client.post(f"/console/admin/organisations/{tree.service_center.id}", data=data, follow_redirects=False)
    assert again.headers["location"].endswith("?done=unchanged") and len(_audit_rows(db, mark)) == 1


@pytest.mark.parametrize(
    ("fields", "status", "expected"),
    [
        ({"parent": "SP-上海"}, 422, {"parent": "不能把机构设在它自己或它的下级机构之下"}),
        ({"parent": "EAST"}, 422, {"parent": "不能把机构设在它自己或它的下级机构之下"}),
        ({"kind": "service_center"}, 422, {"kind": "下级机构 SC-上海（服务中心）不能设在服务中心之下"}),
        ({"code": "HQ"}, 409, {"code": "机构编码 HQ 已存在"}),
    ],
    ids=["under-its-own-child", "under-itself", "kind-its-children-refuse", "taken-code"],
)
def test_a_refused_organisation_edit_changes_nothing(
    client: TestClient,
    db: Session,
    tree: factories.OrganisationTree,
    admin_csrf: str,
    fields: dict[str, str],
    status: int,
    expected: dict[str, str],
) -> None:
    orgs, audit = _snapshot(db, Organisation), _audit_count(db)
    data = {
        "csrf_token": admin_csrf,
        "code": "EAST",
        "name": "华东大区",
        "kind": "region",
        "parent": "HQ",
        "city": "上海",
    }
    reply = client.post(f"/console/admin/organisations/{tree.region.id}", data=data | fields)
    assert reply.status_code == status
    assert _errors(reply.text) == expected
    assert _snapshot(db, Organisation) == orgs and _audit_count(db) == audit


# --- the audit trail -------------------------------------------------------------------------------------


def _record(
    db: Session, at: datetime, action: str, entity_type: str, entity_id: object, *, actor: Actor, **fields: Any
) -> None:
    """An audit entry appended at ``at``."""
    accounts_service.record_audit(
        db, clock=FrozenClock(at), actor=actor, action=action, entity_type=entity_type, entity_id=entity_id, **fields
    )


def test_the_trail_filters_by_actor_record_and_local_dates(
    client: TestClient, db: Session, clock: FrozenClock, admin_csrf: str
) -> None:
    agent = factories.user(db, clock=clock, role=Role.AGENT, username="li.na").actor
    # Just before and just after midnight in Shanghai (16:00 UTC): the local date decides the day.
    _record(db, local(2026, 11, 20, 23, 30), "ticket.contact", "ticket", 41, actor=agent, note="已电话联系 13812345678")
    _record(db, local(2026, 11, 21, 0, 30), "ticket.updated", "ticket", 41, actor=agent,
            before={"priority": "routine"}, after={"priority": "urgent"})  # fmt: skip
    _record(db, local(2026, 11, 21, 9, 0), "user.updated", "user", 7, actor=agent,
            before={"role": "agent", "organisation": None}, after={"role": "dispatcher", "organisation": "EAST"})  # fmt: skip
    db.commit()

    def shown(query: str) -> list[str]:
        page = client.get(f"/console/admin/audit?{query}")
        assert page.status_code == 200
        return re.findall(r'data-action="([^"]+)"', page.text)

    assert shown("actor=li.na") == ["user.updated", "ticket.updated", "ticket.contact"]  # newest first
    assert shown("actor=li.na&entity_type=ticket") == ["ticket.updated", "ticket.contact"]
    assert shown("entity_type=user&entity_id=7") == ["user.updated"]
    assert shown("actor=li.na&start=2026-11-21&end=2026-11-21") == ["user.updated", "ticket.updated"]
    assert shown("actor=li.na&end=2026-11-20") == ["ticket.contact"]
    page = client.get("/console/admin/audit?actor=li.na").text
    assert '<a href="/console/tickets/41">工单 #41</a>' in page
    assert '<a href="/console/admin/users/7">用户 #7</a>' in page
    assert "2026-11-20 23:30:00" in page and "2026-11-21 00:30:00" in page  # shown in Shanghai time
    assert "优先级：常规 → 紧急" in page
    assert "角色：客服坐席 → 调度员" in page and "组织：— → EAST" in page
    assert "备注：已电话联系 138****5678" in page and "13812345678" not in page
    assert "修改用户" in page and "联系处理" in page  # action labels (a ticket's by its timeline event)


def test_bad_dates_are_shown_by_their_fields(client: TestClient, admin_csrf: str) -> None:
    page = client.get("/console/admin/audit?start=2026-13-01&end=tomorrow")
    assert page.status_code == 200
    assert _errors(page.text) == {"start": "日期格式应为 年-月-日", "end": "日期格式应为 年-月-日"}
    assert 'value="2026-13-01"' in page.text and "请先修正筛选条件" in page.text
    backwards = client.get("/console/admin/audit?start=2026-11-21&end=2026-11-20").text
    assert _errors(backwards) == {"end": "结束日期不能早于开始日期"}


def test_the_trail_pages_newest_first(
    client: TestClient, db: Session, clock: FrozenClock, admin_csrf: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    actor = factories.user(db, clock=clock, role=Role.AGENT, username="li.na").actor
    for minute in range(5):
        _record(db, local(2026, 11, 21, 9, minute), f"ticket.step{minute}", "ticket", minute, actor=actor)
    db.commit()
    monkeypatch.setattr(admin_audit, "PAGE_SIZE", 2)
    pages = [client.get(f"/console/admin/audit?actor=li.na&page={n}").text for n in (1, 2, 3)]
    assert [re.findall(r'data-action="([^"]+)"', page) for page in pages] == [
        ["ticket.step4", "ticket.step3"], ["ticket.step2", "ticket.step1"], ["ticket.step0"],
    ]  # fmt: skip
    assert "第 1 / 3 页" in pages[0] and "共 5 条" in pages[0]


def test_the_api_and_the_console_share_the_query(client: TestClient, db: Session, clock: FrozenClock) -> None:
    admin = factories.user(db, clock=clock, role=Role.ADMIN, username="api.root", with_token=True)
    clock.advance(timedelta(minutes=1))
    _record(db, clock.now(), "ticket.contact", "ticket", 5, actor=admin.actor)
    db.commit()
    reply = client.get("/api/v1/audit?entity_type=ticket&entity_id=5", headers=admin.headers)
    assert reply.status_code == 200
    assert [(e["action"], e["entity_id"], e["actor_name"]) for e in reply.json()] == [
        ("ticket.contact", "5", "api.root")
    ]


def test_the_admin_pages_in_english_have_no_chinese_left(client: TestClient, db: Session, clock: FrozenClock) -> None:
    factories.user(db, clock=clock, role=Role.ADMIN, username="root", display_name="Root")
    db.commit()
    csrf = console_login(client, db, "root")
    client.post("/console/language", data={"csrf_token": csrf, "locale": "en"})
    refused = client.post(
        "/console/admin/users/new", data=_new_user(csrf, username="x", display_name="Li", organisation="")
    )
    pages = [
        client.get("/console/admin/users").text,
        refused.text,
        client.get("/console/admin/organisations").text,
        client.get("/console/admin/organisations/new").text,
        client.get("/console/admin/audit?start=2026-11-21&end=2026-11-20").text,
    ]
    for page in pages:
        main = page[page.index('<main id="main"') :]  # the header's navigation belongs to every package
        visible = re.sub(r"<[^>]+>", " ", main)
        assert re.findall(r"[\u4e00-\u9fff]+", visible) == []
    assert "Some entries need correcting" in refused.text and "The two passwords do not match" not in refused.text


# --- concurrent edits -------------------------------------------------------------------------------------


def _version(page: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found is not None
    return found.group(1)


def test_a_user_saved_by_someone_else_meanwhile_is_not_overwritten(
    client: TestClient, db: Session, clock: FrozenClock, tree: factories.OrganisationTree, admin_csrf: str
) -> None:
    made = factories.user(db, clock=clock, role=Role.AGENT, username="li.na", display_name="客服李娜")
    db.commit()
    path = f"/console/admin/users/{made.user.id}"
    drawn = _version(client.get(path).text)  # two admins open the same form
    first = {"csrf_token": admin_csrf, "display_name": "调度李娜", "role": "dispatcher", "organisation": "EAST"}
    assert client.post(path, data=first | {"version": drawn}, follow_redirects=False).status_code == 303
    users, audit = _snapshot(db, User), _audit_count(db)
    second = {"csrf_token": admin_csrf, "display_name": "客服李娜娜", "role": "agent", "organisation": ""}
    refused = client.post(path, data=second | {"version": drawn})
    assert refused.status_code == 409
    assert "已被他人修改（当前版本 2，提交版本 1），请核对后再保存" in refused.text
    assert 'value="客服李娜娜"' in refused.text  # what the second admin typed is kept
    assert _version(refused.text) == "2"  # saving again now is a decision taken knowing the other change
    assert _snapshot(db, User) == users and _audit_count(db) == audit
    assert client.post(path, data=second | {"version": "2"}, follow_redirects=False).status_code == 303
    db.expire_all()
    saved = db.get(User, made.user.id)
    assert saved is not None and (saved.display_name, saved.version) == ("客服李娜娜", 3)


def test_an_organisation_saved_by_someone_else_meanwhile_is_not_overwritten(
    client: TestClient, db: Session, clock: FrozenClock, tree: factories.OrganisationTree, admin_csrf: str
) -> None:
    path = f"/console/admin/organisations/{tree.service_center.id}"
    drawn = _version(client.get(path).text)
    first = _org_form(admin_csrf, code="SC-上海", name="上海浦东服务中心", parent="EAST", city="上海")
    assert client.post(path, data=first | {"version": drawn}, follow_redirects=False).status_code == 303
    organisations, audit = _snapshot(db, Organisation), _audit_count(db)
    second = _org_form(admin_csrf, code="SC-上海", name="上海徐汇服务中心", parent="EAST", city="上海")
    refused = client.post(path, data=second | {"version": drawn})
    assert (refused.status_code, 'value="上海徐汇服务中心"' in refused.text, _version(refused.text)) == (409, True, "2")
    assert _snapshot(db, Organisation) == organisations and _audit_count(db) == audit
