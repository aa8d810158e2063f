"""The service network screens (administrators): the list of service points, a new point with its
organisation, editing a point, assigning a technician to it, a technician's profile (skills, shift, home
base, active). Bad input is shown by its field with what was typed and changes nothing; roles without
``network.manage`` get the refusal page."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry, Organisation, User
from aftersales.core.clock import FrozenClock
from aftersales.dispatch.network.models import ServicePoint, Technician
from tests import factories
from tests.conftest import UserFactory, console_login


def _field_error(page: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="{re.escape(field)}-error">([^<]*)</p>', page)
    assert match is not None, f"no error for {field}"
    return match.group(1)


def _audit(db: Session) -> list[tuple[str, str]]:
    db.expire_all()
    return [(entry.action, entry.entity_type) for entry in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def _counts(db: Session) -> tuple[int, int, int, int]:
    db.expire_all()
    return (
        db.scalar(select(func.count()).select_from(Organisation)) or 0,
        db.scalar(select(func.count()).select_from(ServicePoint)) or 0,
        db.scalar(select(func.count()).select_from(Technician)) or 0,
        db.scalar(select(func.count()).select_from(AuditEntry)) or 0,
    )


@pytest.fixture
def network(db: Session, clock: FrozenClock) -> factories.OrganisationTree:
    """A Shenzhen tree whose service centre serves Nanshan and Futian, with one technician."""
    tree = factories.organisation_tree(db, clock=clock, prefix="N", city="深圳")
    factories.service_point(db, organisation_id=tree.service_center.id, adcodes=["440305", "440304"])
    factories.technician(
        db, clock=clock, username="net_tech", organisation_code=tree.service_center.code,
        skills=("lock:repair", "*:installation"),
    )  # fmt: skip
    db.commit()
    return tree


@pytest.fixture
def admin(client: TestClient, db: Session, make_user: UserFactory, network: factories.OrganisationTree) -> str:
    make_user(Role.ADMIN, username="net_admin")
    return console_login(client, db, "net_admin")


NEW_POINT = {
    "code": "N-SZ-BA",
    "name": "宝安快修点",
    "organisation_kind": "service_center",
    "parent": "NEAST",
    "city": "深圳市",
    "kind": "quick_repair_point",
    "longitude": "",
    "latitude": "",
    "adcodes": ["440306"],
    "other_adcodes": "440309",
    "radius_km": "",
    "capacity_per_day": "30",
    "city_type": "suburban",
    "opens": "09:00",
    "closes": "21:00",
}


def test_the_list_shows_each_point_with_its_area_capacity_and_people(
    client: TestClient, admin: str, network: factories.OrganisationTree
) -> None:
    page = client.get("/console/network")
    assert page.status_code == 200
    row = page.text.split('<tr data-point="NSC-深圳">')[1].split("</tr>")[0]
    assert '<a href="/console/network/points/NSC-深圳">深圳服务中心</a>' in row
    assert "NSC-深圳 · 服务中心" in row
    assert '深圳<br><span class="muted">南山区、福田区</span>' in row
    assert "113.9500, 22.5400" in row
    assert '<span class="skill-tag" data-skill="*:installation">全部产品·安装</span>' in row
    assert '<span class="skill-tag" data-skill="lock:repair">智能门锁·报修</span>' in row
    assert "<td>50</td>" in row and "<td>08:00–20:00</td>" in row and ">1 人</a>" in row
    # The provider of the tree has no point yet: it is offered for one.
    assert '<a href="/console/network/points/NSP-深圳">深圳安居服务商（NSP-深圳）</a>' in page.text
    assert page.text.count('<a href="/console/network" aria-current="page">') == 2  # navigation and tab


def test_the_districts_of_a_city_follow_what_is_typed(client: TestClient, admin: str) -> None:
    fragment = client.get("/console/network/districts", params={"city": "深圳市", "adcodes": ["440305"]}).text
    assert re.findall(r'value="(\d{6})"', fragment) == ["440303", "440304", "440305", "440306", "440307", "440308"]
    assert 'value="440305" checked> 南山区' in fragment
    assert "未识别城市的区县" in client.get("/console/network/districts", params={"city": "火星市"}).text


def test_an_admin_opens_a_point_in_shenzhen_and_assigns_a_technician(
    client: TestClient, db: Session, clock: FrozenClock, admin: str
) -> None:
    newcomer = factories.user(db, clock=clock, role=Role.TECHNICIAN, username="net_newcomer")
    db.commit()
    mark = len(_audit(db))
    form = client.get("/console/network/new").text
    assert '<option value="NEAST">华东大区（NEAST）</option>' in form
    reply = client.post("/console/network/new", data={"csrf_token": admin, **NEW_POINT}, follow_redirects=False)
    assert (reply.status_code, reply.headers["location"]) == (303, "/console/network/points/N-SZ-BA?created=1")
    organisation = db.scalars(select(Organisation).where(Organisation.code == "N-SZ-BA")).one()
    point = db.get(ServicePoint, organisation.id)
    assert point is not None
    assert (organisation.name, organisation.kind, organisation.city) == ("宝安快修点", "service_center", "深圳市")
    # Coordinates left blank: the city centre cpca knows.
    assert (point.kind, point.longitude, point.latitude) == ("quick_repair_point", 114.057939, 22.543527)
    assert (point.adcodes, point.radius_km, point.capacity_per_day) == (["440306", "440309"], None, 30)
    assert (point.city_type, point.opens, point.closes) == ("suburban", "09:00", "21:00")
    assert _audit(db)[mark:] == [("organisation.created", "organisation"), ("service_point.set", "organisation")]
    page = client.get(reply.headers["location"]).text
    assert "网点已创建，现在可以为它分配技术员" in page
    assert 'value="440306" checked> 宝安区' in page and 'name="other_adcodes" value="440309"' in page
    assert '<option value="net_newcomer">师傅张伟（net_newcomer · 未分配）</option>' in page
    assigned = client.post(
        "/console/network/points/N-SZ-BA/technicians",
        data={"csrf_token": admin, "username": "net_newcomer"},
        follow_redirects=False,
    )
    assert assigned.headers["location"] == "/console/network/points/N-SZ-BA?assigned=net_newcomer"
    db.expire_all()
    assert db.get(User, newcomer.user.id).organisation_id == organisation.id  # type: ignore[union-attr]
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "technician.assigned")).one()
    assert (entry.before, entry.after) == ({"organisation": None}, {"organisation": "N-SZ-BA"})
    shown = client.get(assigned.headers["location"]).text
    assert "已将 net_newcomer 分配到此网点" in shown
    assert '<tr data-technician="net_newcomer">' in shown and "未建档" in shown


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"code": ""}, "code", "此项必填"),
        ({"name": ""}, "name", "此项必填"),
        ({"city": ""}, "city", "此项必填"),
        ({"parent": ""}, "parent", "请选择上级机构"),
        ({"organisation_kind": "hq"}, "organisation_kind", "请选择有效的选项"),
        ({"code": "NSC-深圳"}, "code", "机构编码 NSC-深圳 已存在"),
        ({"city": "火星市"}, "longitude", "请填写坐标，或填写系统能识别的城市"),
        ({"longitude": "114.1", "latitude": "北纬"}, "longitude", "经度和纬度都请填写数字"),
        ({"longitude": "2.35", "latitude": "48.85"}, "longitude", "坐标 (2.35, 48.85) 不在中国境内"),
        ({"other_adcodes": "4403"}, "other_adcodes", "区县编码为 6 位数字，多个用空格或逗号分隔"),
        ({"radius_km": "500"}, "radius_km", "服务半径应在 0 到 200 公里之间"),
        ({"capacity_per_day": "0"}, "capacity_per_day", "每日接单能力请填写 1 以上的整数"),
        ({"kind": "warehouse"}, "kind", "未知的网点类型 warehouse"),
        ({"city_type": "island"}, "city_type", "未知的城市类型 island"),
        ({"opens": "21:00", "closes": "09:00"}, "opens", "营业时间应为 HH:MM-HH:MM 且开始早于结束"),
        ({"adcodes": [], "other_adcodes": ""}, "adcodes", "服务区域需要区县编码或服务半径"),
    ],
)
def test_a_bad_new_point_is_shown_by_its_field_and_changes_nothing(
    client: TestClient, db: Session, admin: str, changes: dict[str, Any], field: str, error: str
) -> None:
    before = _counts(db)
    reply = client.post("/console/network/new", data={"csrf_token": admin, **NEW_POINT, **changes})
    # A code in use is a conflict with what exists (409); anything else is bad input (422).
    assert reply.status_code == (409 if error.endswith("已存在") else 422), reply.text[:500]
    assert _field_error(reply.text, field) == error
    assert f'id="{field}"' not in reply.text or 'aria-invalid="true"' in reply.text
    typed_name = changes.get("name", NEW_POINT["name"])
    assert f'name="name" value="{typed_name}"' in reply.text
    assert _counts(db) == before


def test_an_admin_edits_a_point(
    client: TestClient, db: Session, admin: str, network: factories.OrganisationTree
) -> None:
    page = client.get("/console/network/points/NSC-深圳").text
    assert 'value="440305" checked> 南山区' in page and 'value="440303"> 罗湖区' in page
    assert '<tr data-technician="net_tech">' in page and "全部产品·安装" in page
    form = {
        "csrf_token": admin, "kind": "service_center", "longitude": "113.95", "latitude": "22.54",
        "adcodes": ["440305", "440303"], "other_adcodes": "", "radius_km": "12.5", "capacity_per_day": "80",
        "city_type": "urban", "opens": "08:30", "closes": "20:30",
    }  # fmt: skip
    reply = client.post("/console/network/points/NSC-深圳", data=form, follow_redirects=False)
    assert (reply.status_code, unquote(reply.headers["location"])) == (303, "/console/network?saved=NSC-深圳")
    point = db.get(ServicePoint, network.service_center.id)
    db.refresh(point)
    assert point is not None
    assert (point.adcodes, point.radius_km, point.capacity_per_day, point.opens) == (
        ["440305", "440303"], 12.5, 80, "08:30",
    )  # fmt: skip
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "service_point.set")).one()
    assert entry.before is not None and entry.after is not None
    assert (entry.before["capacity_per_day"], entry.after["capacity_per_day"]) == (50, 80)
    assert "网点 NSC-深圳 已保存" in client.get(reply.headers["location"]).text
    bad = client.post("/console/network/points/NSC-深圳", data={**form, "capacity_per_day": "很多"})
    assert bad.status_code == 422
    assert _field_error(bad.text, "capacity_per_day") == "每日接单能力请填写 1 以上的整数"
    assert 'name="capacity_per_day" value="很多"' in bad.text
    db.refresh(point)
    assert point.capacity_per_day == 80


def test_assigning_someone_who_is_not_a_field_user_is_refused(
    client: TestClient, db: Session, admin: str, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="net_agent")
    before = _counts(db)
    for username in ("net_agent", "", "nobody"):
        reply = client.post(
            "/console/network/points/NSC-深圳/technicians", data={"csrf_token": admin, "username": username}
        )
        assert reply.status_code == 422
        assert _field_error(reply.text, "username") == "请选择技术员"
    assert _counts(db) == before


TECH_FORM = {
    "point": "NSC-深圳",
    "skills": ["lock:repair", "lock:installation", "tablet:repair"],
    "longitude": "113.93",
    "latitude": "22.53",
    "shift_start": "09:00",
    "shift_end": "19:00",
    "break_start": "12:00",
    "break_end": "13:00",
    "days_off": "2026-12-01 2026-12-02",
    "max_jobs_per_day": "6",
    "certificates": "门锁安装上岗证，高空作业证",
    "van_code": "粤B-D2001",
    "active": "1",
}


def test_an_admin_edits_a_technicians_profile(client: TestClient, db: Session, admin: str) -> None:
    page = client.get("/console/network/technicians/net_tech").text
    assert 'id="skill-lock-repair" name="skills" value="lock:repair" checked' in page
    assert 'id="skill-all-installation" name="skills" value="*:installation" checked' in page
    assert "服务区域随所属网点：南山区、福田区" in page
    reply = client.post(
        "/console/network/technicians/net_tech", data={"csrf_token": admin, **TECH_FORM}, follow_redirects=False
    )
    assert (reply.status_code, reply.headers["location"]) == (303, "/console/network/technicians/net_tech?saved=1")
    db.expire_all()
    user = db.scalars(select(User).where(User.username == "net_tech")).one()
    profile = db.get(Technician, user.id)
    assert profile is not None
    assert profile.skills == ["lock:repair", "lock:installation", "tablet:repair"]
    assert (profile.shift_start, profile.shift_end, profile.break_start, profile.break_end) == (
        "09:00", "19:00", "12:00", "13:00",
    )  # fmt: skip
    assert (profile.days_off, profile.max_jobs_per_day) == (["2026-12-01", "2026-12-02"], 6)
    assert (profile.certificates, profile.van_code) == (["门锁安装上岗证", "高空作业证"], "粤B-D2001")
    assert (profile.home_longitude, profile.home_latitude, user.is_active) == (113.93, 22.53, True)
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "technician.profile_set")).one()
    assert entry.before is not None and entry.after is not None
    assert (entry.before["skills"], entry.after["skills"]) == (
        ["lock:repair", "*:installation"], ["lock:repair", "lock:installation", "tablet:repair"],
    )  # fmt: skip
    assert "技术员档案已保存" in client.get(reply.headers["location"]).text
    # Deactivated: the account is disabled (and audited by accounts) in the same save.
    off = {**TECH_FORM, "active": ""}
    client.post("/console/network/technicians/net_tech", data={"csrf_token": admin, **off}, follow_redirects=False)
    db.expire_all()
    assert db.scalars(select(User.is_active).where(User.username == "net_tech")).one() is False
    assert [action for action, _ in _audit(db)][-2:] == ["technician.profile_set", "user.disabled"]
    listed = client.get("/console/network/technicians?point=NSC-深圳").text
    assert '<tr data-technician="net_tech" data-active="false">' in listed and "已停用" in listed


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"skills": []}, "skills", "请至少选择一项技能"),
        ({"skills": ["locks"]}, "skills", "技能格式应为 产品线:类型，如 lock:repair（locks）"),
        ({"point": ""}, "point", "请选择所属网点"),
        ({"point": "NSP-深圳"}, "point", "请选择所属网点"),
        ({"longitude": "东经"}, "longitude", "经度和纬度都请填写数字"),
        ({"longitude": "2.35", "latitude": "48.85"}, "longitude", "坐标 (2.35, 48.85) 不在中国境内"),
        ({"shift_start": "19:00", "shift_end": "09:00"}, "shift_start", "班次应为 HH:MM-HH:MM 且开始早于结束"),
        ({"break_start": "07:00", "break_end": "08:00"}, "break_start", "午休应为 HH:MM-HH:MM，且在班次之内"),
        ({"days_off": "2026-12-32"}, "days_off", "休息日格式应为 年-月-日，多个用空格或逗号分隔"),
        ({"max_jobs_per_day": "0"}, "max_jobs_per_day", "每日最多接单数应在 1 到 50 之间"),
        ({"max_jobs_per_day": "51"}, "max_jobs_per_day", "每日最多接单数应在 1 到 50 之间"),
    ],
)
def test_a_bad_profile_is_shown_by_its_field_and_changes_nothing(
    client: TestClient, db: Session, admin: str, changes: dict[str, Any], field: str, error: str
) -> None:
    user = db.scalars(select(User).where(User.username == "net_tech")).one()
    profile = db.get(Technician, user.id)
    assert profile is not None
    kept = (list(profile.skills), profile.shift_start, profile.max_jobs_per_day, user.organisation_id, user.is_active)
    before = _counts(db)
    reply = client.post("/console/network/technicians/net_tech", data={"csrf_token": admin, **TECH_FORM, **changes})
    assert reply.status_code == 422, reply.text[:500]
    assert _field_error(reply.text, field) == error
    assert 'name="van_code" value="粤B-D2001"' in reply.text  # what was typed is kept
    db.expire_all()
    user = db.scalars(select(User).where(User.username == "net_tech")).one()
    profile = db.get(Technician, user.id)
    assert profile is not None
    assert (list(profile.skills), profile.shift_start, profile.max_jobs_per_day, user.organisation_id,
            user.is_active) == kept  # fmt: skip
    assert _counts(db) == before


def test_a_new_profile_starts_at_the_point(client: TestClient, db: Session, clock: FrozenClock, admin: str) -> None:
    factories.user(db, clock=clock, role=Role.TECHNICIAN, username="net_fresh", organisation_code="NSC-深圳")
    db.commit()
    page = client.get("/console/network/technicians/net_fresh").text
    assert "还没有技术员档案：保存后即可参与派单。" in page
    assert 'name="longitude" value="113.95"' in page and 'name="shift_start" value="08:00"' in page
    assert client.get("/console/network/technicians/net_admin").status_code == 422  # not a field user
    assert client.get("/console/network/technicians/nobody").status_code == 404
    assert client.get("/console/network/points/NOWHERE").status_code == 404


@pytest.mark.parametrize("role", [Role.MANAGER, Role.DISPATCHER, Role.AGENT, Role.TECHNICIAN])
def test_roles_without_network_manage_are_refused_and_change_nothing(
    client: TestClient, db: Session, make_user: UserFactory, network: factories.OrganisationTree, role: Role
) -> None:
    make_user(role, username=f"net_{role.value}")
    csrf = console_login(client, db, f"net_{role.value}")
    before = _counts(db)
    for path in ("/console/network", "/console/network/new", "/console/network/technicians/net_tech"):
        page = client.get(path)
        assert page.status_code == 403 and "您的角色无权访问此页面" in page.text
    for path, data in (
        ("/console/network/new", NEW_POINT),
        ("/console/network/points/NSC-深圳", NEW_POINT),
        ("/console/network/technicians/net_tech", TECH_FORM),
    ):
        assert client.post(path, data={"csrf_token": csrf, **data}).status_code == 403
    assert "/console/network" not in client.get("/console/").text
    assert _counts(db) == before


def test_the_network_pages_in_english(client: TestClient, db: Session, admin: str) -> None:
    client.post("/console/language", data={"csrf_token": admin, "locale": "en"}, follow_redirects=False)
    listed = client.get("/console/network").text
    assert "Service points" in listed and "Smart locks·Repair" in listed
    profile = client.get("/console/network/technicians/net_tech").text
    assert "Home base longitude" in profile and "Save profile" in profile
    assert "<legend>Skills</legend>" in profile
