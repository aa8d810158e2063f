"""Keyword intake rules: table of texts and the kind/priority they get."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.triage import rules, service
from aftersales.triage.defaults import DEFAULT_RULES
from aftersales.triage.errors import InvalidRuleError, RuleExistsError
from tests.conftest import UserFactory, ticket_body

SPECS = [
    rules.RuleSpec(name, tuple(keywords), kind, priority, position)
    for name, keywords, kind, priority, position in DEFAULT_RULES
]


@pytest.mark.parametrize(
    ("text", "kind", "priority"),
    [
        ("我被锁门外了，快来人", "repair", "urgent"),
        ("指纹锁打不开门了", "repair", "urgent"),
        ("热水器漏水了", "repair", "urgent"),
        ("电源冒烟，有焦味", "repair", "urgent"),
        ("新房子需要安装门锁", "installation", "routine"),
        ("我要投诉你们的师傅", "complaint", "routine"),
        ("投诉：门锁漏水没人管", "repair", "urgent"),  # urgent fault first; the complaint is noted in reasons
        ("门锁反复故障，修了又坏", "repair", "complex"),
        ("请问怎么设置临时密码", "consultation", "routine"),
        ("ＡＢＣ 故障", "repair", "routine"),
    ],
)
def test_default_rules(text: str, kind: str, priority: str) -> None:
    result = rules.classify(text, SPECS)
    assert (result.kind, result.priority) == (kind, priority)
    assert result.reasons


def test_full_width_and_spaces_do_not_hide_keywords() -> None:
    assert rules.normalise("１２３１５ 投 诉") == "12315投诉"
    assert rules.classify("我要打１２３１５", SPECS).kind == "complaint"


def test_rules_are_editable_and_take_effect(db: Session) -> None:
    assert service.classify(db, "门锁电池鼓包了").priority == "routine"
    service.add_rule(db, name="battery_swelling", keywords=["鼓包"], kind="repair", priority="urgent", position=5)
    assert (service.classify(db, "门锁电池鼓包了").kind, service.classify(db, "门锁电池鼓包了").priority) == (
        "repair",
        "urgent",
    )
    with pytest.raises(RuleExistsError):
        service.add_rule(db, name="battery_swelling", keywords=["x"], kind="repair", priority=None)
    with pytest.raises(InvalidRuleError):
        service.add_rule(db, name="empty", keywords=["  "], kind="repair", priority=None)
    with pytest.raises(InvalidRuleError):
        service.add_rule(db, name="nothing", keywords=["x"], kind=None, priority=None)
    service.delete_rule(db, name="battery_swelling")
    assert service.classify(db, "门锁电池鼓包了").priority == "routine"


def test_rules_api(client: TestClient, auth: dict[str, str], make_user: UserFactory) -> None:
    _, manager_token = make_user(Role.MANAGER, username="rules_mgr")
    manager = {"Authorization": f"Bearer {manager_token}"}
    rule = {"name": "door_alarm", "keywords": ["一直报警"], "priority": "urgent"}
    assert client.post("/api/v1/triage/rules", json=rule, headers=auth).status_code == 403
    assert client.post("/api/v1/triage/rules", json=rule, headers=manager).status_code == 201
    assert client.post("/api/v1/triage/rules", json={**rule, "priority": "asap"}, headers=manager).status_code == 422
    names = [item["name"] for item in client.get("/api/v1/triage/rules", headers=auth).json()]
    assert "door_alarm" in names and "locked_out" in names
    created = client.post("/api/v1/tickets", json=ticket_body(description="门锁一直报警，吵死了"), headers=auth).json()
    assert created["priority"] == "urgent"
    classified = client.post("/api/v1/triage/classify", json={"text": "门锁一直报警"}, headers=auth).json()
    assert classified["priority"] == "urgent"
    assert client.delete("/api/v1/triage/rules/door_alarm", headers=manager).status_code == 204
    assert client.delete("/api/v1/triage/rules/door_alarm", headers=manager).status_code == 404
