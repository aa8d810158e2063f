"""The triage screens: intake rules (list in evaluation order, new, edit as last seen, delete after a
confirmation), model versions (metrics, activate and roll back after a confirmation) and the try-out box.
Bad input is refused field by field in Chinese and changes nothing; roles without the permission are
refused; every change is in the audit trail."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import AuditEntry
from aftersales.core.clock import FrozenClock
from aftersales.triage import service as triage_service
from aftersales.triage.models import IntakeRule, TriageModelVersion
from tests import factories
from tests.conftest import console_login
from tests.factories import triage as triage_factories


def _signed_in(client: TestClient, db: Session, clock: FrozenClock, role: Role) -> str:
    made = factories.user(db, clock=clock, role=role, username=f"triage_{role.value}")
    db.commit()
    return console_login(client, db, made.user.username)


def _state(db: Session) -> tuple[Any, ...]:
    """Every rule and model version as stored, and how long the audit trail is."""
    db.expire_all()
    rules = db.execute(
        select(IntakeRule.id, IntakeRule.name, IntakeRule.keywords, IntakeRule.kind, IntakeRule.priority,
               IntakeRule.position, IntakeRule.is_active).order_by(IntakeRule.id)
    ).all()  # fmt: skip
    models = db.execute(
        select(TriageModelVersion.version, TriageModelVersion.is_active).order_by(TriageModelVersion.version)
    ).all()
    return tuple(rules), tuple(models), db.scalar(select(func.count()).select_from(AuditEntry))


def _audits(db: Session, prefix: str) -> list[tuple[Any, ...]]:
    db.expire_all()
    rows = db.execute(
        select(AuditEntry.action, AuditEntry.entity_type, AuditEntry.entity_id, AuditEntry.actor_name,
               AuditEntry.before, AuditEntry.after)
        .where(AuditEntry.action.startswith(prefix)).order_by(AuditEntry.id)
    ).all()  # fmt: skip
    return [tuple(row) for row in rows]


def _field_error(page: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page)
    assert match is not None, field
    return match.group(1)


def _rule(db: Session, name: str) -> IntakeRule:
    db.expire_all()
    return db.scalars(select(IntakeRule).where(IntakeRule.name == name)).one()


def _form(csrf: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf, "name": "漏水加急", "keywords": "漏水\n渗水、滴水", "priority": "urgent"} | fields


# --- intake rules ----------------------------------------------------------------------------------------


def test_a_manager_sees_the_rules_in_order_and_adds_one(client: TestClient, db: Session, clock: FrozenClock) -> None:
    csrf = _signed_in(client, db, clock, Role.MANAGER)
    page = client.get("/console/triage/rules")
    assert page.status_code == 200
    assert '<a href="/console/triage/rules" aria-current="page">分诊规则</a>' in page.text
    names = re.findall(r'data-name="([^"]+)"', page.text)
    assert names == ["locked_out", "water_leak", "smoke_fire", "complaint", "installation", "repeat_fault", "fault"]
    leak = re.search(r'<tr data-rule="\d+" data-name="water_leak".*?</tr>', page.text, re.S)
    assert leak is not None
    assert "<td>11</td>" in leak.group(0) and "<td>漏水、跑水、水漫</td>" in leak.group(0)
    assert "<td>报修</td>" in leak.group(0) and '<span class="badge pri-urgent">紧急</span>' in leak.group(0)

    created = client.post(
        "/console/triage/rules", data=_form(csrf, kind="repair", position="5"), follow_redirects=False
    )
    assert created.status_code == 303 and created.headers["location"] == "/console/triage/rules?done=created"
    rule = _rule(db, "漏水加急")
    values = {"name": "漏水加急", "keywords": ["漏水", "渗水", "滴水"], "kind": "repair", "priority": "urgent",
              "position": 5, "is_active": True}  # fmt: skip
    assert triage_service.rule_values(rule) == values
    assert _audits(db, "triage_rule") == [
        ("triage_rule.added", "triage_rule", str(rule.id), "triage_manager", None, values)
    ]
    listed = client.get("/console/triage/rules?done=created").text
    assert "规则已创建" in listed
    assert re.findall(r'data-name="([^"]+)"', listed)[:2] == ["漏水加急", "locked_out"]  # position 5 comes first
    assert triage_service.classify(db, "家里热水器滴水了").priority == "urgent"


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"name": "  "}, "name", "请填写规则名称"),
        ({"name": "water_leak"}, "name", "已有同名规则，请换一个名称"),
        ({"keywords": " ,、 \n"}, "keywords", "至少需要一个关键词"),
        ({"keywords": "漏" * 51}, "keywords", "每个关键词不能超过 50 个字"),
        ({"priority": ""}, "kind", "规则须设置类型或优先级"),
        ({"kind": "party"}, "kind", "请选择有效的类型"),
        ({"priority": "asap"}, "priority", "请选择有效的优先级"),
        ({"position": "abc"}, "position", "顺序号须为 0 到 9999 之间的整数"),
        ({"position": "10000"}, "position", "顺序号须为 0 到 9999 之间的整数"),
    ],
)
def test_a_bad_rule_is_shown_field_by_field_and_changes_nothing(
    client: TestClient, db: Session, clock: FrozenClock, fields: dict[str, str], field: str, text: str
) -> None:
    csrf = _signed_in(client, db, clock, Role.ADMIN)
    before = _state(db)
    refused = client.post("/console/triage/rules", data=_form(csrf, **{"keywords": "我写的关键词", **fields}))
    assert refused.status_code == (409 if field == "name" and fields["name"] == "water_leak" else 422)
    assert _field_error(refused.text, field) == text
    assert f'id="{field}"' in refused.text and 'aria-invalid="true"' in refused.text
    if field != "keywords":
        assert ">我写的关键词</textarea>" in refused.text  # what was typed is kept
    assert _state(db) == before


def test_editing_a_rule_keeps_what_was_typed_when_someone_else_saved_first(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    rule = triage_service.add_rule(db, name="门锁报警", keywords=["一直报警"], kind=None, priority="complex")
    rule_id, old = rule.id, triage_service.rule_fingerprint(rule)
    csrf = _signed_in(client, db, clock, Role.ADMIN)
    page = client.get(f"/console/triage/rules/{rule_id}").text
    assert f'name="fingerprint" value="{old}"' in page and ">一直报警</textarea>" in page
    assert 'id="is_active" name="is_active" value="1" checked' in page
    data = _form(csrf, name="门锁报警", keywords="一直报警\n乱响", priority="urgent", position="30", fingerprint=old)
    saved = client.post(f"/console/triage/rules/{rule_id}", data=data, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/console/triage/rules?done=updated"
    changed = {"name": "门锁报警", "keywords": ["一直报警", "乱响"], "kind": None, "priority": "urgent",
               "position": 30, "is_active": False}  # fmt: skip
    assert triage_service.rule_values(_rule(db, "门锁报警")) == changed  # the box was not ticked: disabled
    assert _audits(db, "triage_rule.updated") == [
        ("triage_rule.updated", "triage_rule", str(rule_id), "triage_admin",
         {"name": "门锁报警", "keywords": ["一直报警"], "kind": None, "priority": "complex", "position": 100,
          "is_active": True}, changed),
    ]  # fmt: skip

    before = _state(db)
    stale = client.post(f"/console/triage/rules/{rule_id}", data=_form(csrf, keywords="我的版本", fingerprint=old))
    assert stale.status_code == 409
    assert "该规则已被他人修改，请查看最新内容后再保存" in stale.text
    current = triage_service.rule_fingerprint(_rule(db, "门锁报警"))
    assert ">我的版本</textarea>" in stale.text and f'name="fingerprint" value="{current}"' in stale.text
    taken = client.post(f"/console/triage/rules/{rule_id}", data=_form(csrf, name="water_leak", fingerprint=current))
    assert taken.status_code == 409 and _field_error(taken.text, "name") == "已有同名规则，请换一个名称"
    bad = client.post(f"/console/triage/rules/{rule_id}", data=_form(csrf, keywords="", fingerprint=current))
    assert bad.status_code == 422 and _field_error(bad.text, "keywords") == "至少需要一个关键词"
    assert _state(db) == before

    again = {"name": "门锁报警", "keywords": "一直报警、乱响", "priority": "urgent", "position": "30"}
    unchanged = client.post(
        f"/console/triage/rules/{rule_id}", data=_form(csrf, fingerprint=current, **again), follow_redirects=False
    )
    assert unchanged.headers["location"] == "/console/triage/rules?done=unchanged" and _state(db) == before
    assert client.get("/console/triage/rules/987654").status_code == 404


def test_delete_asks_first_and_refuses_a_stale_confirmation(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    rule = triage_service.add_rule(db, name="电池鼓包", keywords=["鼓包"], kind="repair", priority="urgent")
    rule_id, seen = rule.id, triage_service.rule_fingerprint(rule)
    csrf = _signed_in(client, db, clock, Role.ADMIN)
    confirm = client.get(f"/console/triage/rules/{rule_id}/delete").text
    assert "确定删除这条规则吗？" in confirm and "<dd>鼓包</dd>" in confirm and "<dd>紧急</dd>" in confirm
    assert f'name="fingerprint" value="{seen}"' in confirm
    triage_service.update_rule(
        db, rule_id=rule_id, name="电池鼓包", keywords=["鼓包", "胀气"], kind="repair", priority="urgent",
        position=100, is_active=True,
    )  # fmt: skip
    db.commit()
    before = _state(db)
    stale = client.post(f"/console/triage/rules/{rule_id}/delete", data={"csrf_token": csrf, "fingerprint": seen})
    assert stale.status_code == 409 and "该规则已被他人修改" in stale.text
    assert _state(db) == before
    current = triage_service.rule_fingerprint(_rule(db, "电池鼓包"))
    gone = client.post(
        f"/console/triage/rules/{rule_id}/delete",
        data={"csrf_token": csrf, "fingerprint": current},
        follow_redirects=False,
    )
    assert gone.status_code == 303 and gone.headers["location"] == "/console/triage/rules?done=deleted"
    assert db.scalar(select(IntakeRule.id).where(IntakeRule.id == rule_id)) is None
    [deleted] = _audits(db, "triage_rule.deleted")
    assert deleted[:5] == ("triage_rule.deleted", "triage_rule", "电池鼓包", "triage_admin",
                           {"name": "电池鼓包", "keywords": ["鼓包", "胀气"], "kind": "repair", "priority": "urgent",
                            "position": 100, "is_active": True})  # fmt: skip
    assert "规则已删除" in client.get("/console/triage/rules?done=deleted").text
    assert client.post(f"/console/triage/rules/{rule_id}/delete", data={"csrf_token": csrf}).status_code == 404


def test_roles_without_the_permission_are_refused(client: TestClient, db: Session, clock: FrozenClock) -> None:
    rule = triage_service.add_rule(db, name="门锁报警", keywords=["一直报警"], kind=None, priority="complex")
    csrf = _signed_in(client, db, clock, Role.AGENT)  # may triage, may not manage rules
    before = _state(db)
    for path in ("/console/triage/rules", f"/console/triage/rules/{rule.id}", "/console/triage/models"):
        assert client.get(path).status_code == 403
    assert client.post("/console/triage/rules", data=_form(csrf)).status_code == 403
    assert client.post(f"/console/triage/rules/{rule.id}/delete", data={"csrf_token": csrf}).status_code == 403
    home = client.get("/console/triage/try")
    assert home.status_code == 200 and 'href="/console/triage/rules"' not in home.text  # no tab, no navigation
    assert _state(db) == before

    client.cookies.clear()
    made = factories.user(db, clock=clock, role=Role.TECHNICIAN, username="triage_tech")
    db.commit()
    tech_csrf = console_login(client, db, made.user.username)
    assert client.get("/console/triage/try").status_code == 403
    assert client.post("/console/triage/try", data={"csrf_token": tech_csrf, "text": "漏水"}).status_code == 403


# --- model versions --------------------------------------------------------------------------------------


def test_versions_show_their_metrics_and_a_rollback_is_confirmed_and_audited(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    csrf = _signed_in(client, db, clock, Role.ADMIN)
    empty = client.get("/console/triage/models").text
    assert 'id="no-versions"' in empty and "当前没有启用的模型" in empty and "aftersales triage train" in empty
    triage_factories.model_version(db, clock=clock)
    clock.advance(timedelta(minutes=90))
    triage_factories.model_version(db, clock=clock)
    db.commit()
    page = client.get("/console/triage/models").text
    assert re.findall(r'data-version="(\d+)" data-active="(\w+)"', page) == [("2", "true"), ("1", "false")]
    assert "当前使用：v2" in page and "2026-11-22 11:30" in page and "2026-11-22 10:00" in page
    first = re.search(r'<tr data-version="1".*?</tr>', page, re.S)
    assert first is not None
    row = first.group(0)
    assert "<td>0.0%</td>" in row and "<td>100.0%</td>" in row  # kind accuracy, anger accuracy (held out)
    assert "12 条" in row and "随附语料" in row and ">回滚到 v1</a>" in row
    assert "<dt>评估测试集（条）</dt><dd>2</dd>" in row

    confirm = client.get("/console/triage/models/1/activate").text
    assert "回滚到 v1" in confirm and "确定把分诊模型从 v2 换成 v1 吗？" in confirm
    assert 'name="active" value="2"' in confirm
    assert client.get("/console/triage/models/987654/activate").status_code == 404

    before = _state(db)
    stale = client.post("/console/triage/models/1/activate", data={"csrf_token": csrf, "active": "1"})
    assert stale.status_code == 409 and "当前使用的版本已被他人更改" in stale.text
    current = client.post("/console/triage/models/2/activate", data={"csrf_token": csrf, "active": "2"})
    assert current.status_code == 409 and "v2 已是当前使用的版本" in current.text
    assert _state(db) == before

    done = client.post(
        "/console/triage/models/1/activate", data={"csrf_token": csrf, "active": "2"}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/console/triage/models?done=rolled_back"
    assert _state(db)[1] == ((1, True), (2, False))
    assert _audits(db, "triage_model") == [
        ("triage_model.activated", "triage_model", "1", "triage_admin", {"active_version": 2}, {"active_version": 1})
    ]
    back = client.get("/console/triage/models?done=rolled_back").text
    assert "已回滚到该版本" in back and "当前使用：v1" in back and ">启用 v2</a>" in back


# --- trying a text ---------------------------------------------------------------------------------------


def test_trying_a_text_shows_the_reading_and_keeps_nothing(client: TestClient, db: Session, clock: FrozenClock) -> None:
    triage_factories.model_version(db, clock=clock)
    csrf = _signed_in(client, db, clock, Role.AGENT)
    page = client.get("/console/triage/try").text
    assert '<label for="try-text">客户描述</label>' in page and "由模型 v1 和分诊规则判断。" in page
    before = _state(db)
    tried = client.post("/console/triage/try", data={"csrf_token": csrf, "text": "家里热水器漏水了，我要投诉！！！"})
    assert tried.status_code == 200
    assert '<dd id="result-priority" data-value="urgent"><span class="badge pri-urgent">紧急</span></dd>' in tried.text
    assert '<dd id="result-kind" data-value="repair">报修</dd>' in tried.text
    assert "规则覆盖优先级 → urgent" in tried.text and "「漏水」→ 优先级 urgent（规则 water_leak）" in tried.text
    assert '<dd id="result-handoff" data-value="true">' in tried.text and "投诉" in tried.text
    assert ">家里热水器漏水了，我要投诉！！！</textarea>" in tried.text
    assert _state(db) == before

    panel = client.post(
        "/console/triage/try", data={"csrf_token": csrf, "text": "谢谢师傅"}, headers={"HX-Request": "true"}
    )
    assert panel.status_code == 200 and panel.text.startswith('<div id="try-panel">')
    assert "<html" not in panel.text and 'data-value="positive"' in panel.text
    empty = client.post("/console/triage/try", data={"csrf_token": csrf, "text": "   "})
    assert empty.status_code == 422 and _field_error(empty.text, "text") == "请输入要分诊的文字"
    long = client.post("/console/triage/try", data={"csrf_token": csrf, "text": "漏" * 5001})
    assert long.status_code == 422 and _field_error(long.text, "text") == "内容过长（最多 5000 字）"
    assert _state(db) == before


def test_without_a_model_the_rules_alone_decide(client: TestClient, db: Session, clock: FrozenClock) -> None:
    csrf = _signed_in(client, db, clock, Role.MANAGER)
    assert "尚未启用模型：只按分诊规则判断。" in client.get("/console/triage/try").text
    tried = client.post("/console/triage/try", data={"csrf_token": csrf, "text": "新房子需要安装门锁"}).text
    assert '<dd id="result-kind" data-value="installation">安装</dd>' in tried
    assert '<span class="badge pri-routine">常规</span>' in tried and "尚未训练模型，仅按规则分诊" in tried


@pytest.mark.shipped_model
def test_going_back_to_the_shipped_model_is_confirmed_audited_and_keeps_the_versions(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    csrf = _signed_in(client, db, clock, Role.ADMIN)
    assert 'id="use-shipped"' not in client.get("/console/triage/models").text  # the shipped model answers
    assert "已在使用出厂模型" in client.get("/console/triage/models/shipped").text
    triage_factories.model_version(db, clock=clock)
    db.commit()
    page = client.get("/console/triage/models").text
    assert (
        "当前使用：v1" in page and '<a href="/console/triage/models/shipped" id="use-shipped">改回出厂模型</a>' in page
    )
    confirm = client.get("/console/triage/models/shipped").text
    assert "确定停用 v1、改回出厂模型吗？" in confirm and 'name="active" value="1"' in confirm

    before = _state(db)
    stale = client.post("/console/triage/models/shipped", data={"csrf_token": csrf, "active": "7"})
    assert stale.status_code == 409 and "当前使用的版本已被他人更改" in stale.text
    assert _state(db) == before

    done = client.post(
        "/console/triage/models/shipped", data={"csrf_token": csrf, "active": "1"}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/console/triage/models?done=shipped"
    assert _state(db)[1] == ((1, False),)  # kept, no longer active
    assert _audits(db, "triage_model") == [
        (
            "triage_model.shipped_restored",
            "triage_model",
            "1",
            "triage_admin",
            {"active_version": 1},
            {"active_version": None},
        )
    ]
    back = client.get("/console/triage/models?done=shipped").text
    assert "已改用出厂模型" in back and "当前使用：出厂模型" in back and ">启用 v1</a>" in back
    again = client.post("/console/triage/models/shipped", data={"csrf_token": csrf, "active": ""})
    assert again.status_code == 409 and "已在使用出厂模型" in again.text


def test_without_a_shipped_model_there_is_nothing_to_go_back_to(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    _signed_in(client, db, clock, Role.ADMIN)
    triage_factories.model_version(db, clock=clock)
    db.commit()
    assert 'id="use-shipped"' not in client.get("/console/triage/models").text
    assert client.get("/console/triage/models/shipped").status_code == 404
