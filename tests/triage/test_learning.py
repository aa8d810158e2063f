"""Trained triage: anger handoff, polite thanks, rules as overrides, versions with rollback, retraining
on history moving predictions, the API shape. A small hand-written corpus keeps these fast; the shipped
corpus is measured by ``aftersales triage evaluate``."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.core.clock import FrozenClock
from aftersales.triage import classifier, learning
from aftersales.triage.classifier import Example
from aftersales.triage.models import TriageModelVersion
from tests.conftest import UserFactory
from tests.factories.triage import TINY_CORPUS

SMALL = list(TINY_CORPUS)


def _train(db: Session, clock: FrozenClock, **kwargs: object) -> TriageModelVersion:
    return learning.train_and_store(db, clock=clock, actor_name="test", corpus=SMALL, reviews=0, **kwargs)  # type: ignore[arg-type]


def test_without_a_model_rules_and_cues_still_decide(db: Session) -> None:
    angry = learning.analyse(db, "我要去12315投诉你们！！！")
    assert angry.handoff is True and angry.anger >= 0.9 and {"12315", "投诉", "!!!"} <= set(angry.anger_cues)
    polite = learning.analyse(db, "客服态度很好，问题解决了，谢谢")
    assert polite.handoff is False and polite.sentiment > 0 and polite.anger == 0


def test_negated_cues_do_not_count() -> None:
    assert classifier.find_cues("我不投诉，只想问问进度", classifier.ANGER_CUES) == []
    assert [cue for cue, _ in classifier.find_cues("我要投诉", classifier.ANGER_CUES)] == ["投诉"]
    assert [cue for cue, _ in classifier.find_cues("打１２３１５！", classifier.ANGER_CUES)] == ["12315"]


def test_trained_model_hands_off_anger_and_keeps_thanks_positive(db: Session, clock: FrozenClock) -> None:
    record = _train(db, clock)
    assert (record.version, record.is_active, record.trained_on) == (1, True, len(SMALL))
    assert set(record.metrics) >= {
        "kind_accuracy",
        "priority_macro_f1",
        "fault_type_top3",
        "near_duplicates_dropped_from_test",
    }
    angry = learning.analyse(db, "我要去12315投诉你们！！！")
    assert angry.handoff is True and angry.anger >= 0.9 and angry.sentiment < 0
    polite = learning.analyse(db, "客服态度很好，问题解决了，谢谢")
    assert polite.handoff is False and polite.sentiment > 0
    locked = learning.analyse(db, "被锁门外了，门打不开")
    assert (locked.kind, locked.priority) == ("repair", "urgent")


def test_rules_override_the_model(db: Session, clock: FrozenClock) -> None:
    _train(db, clock)
    from aftersales.triage import service as triage_service

    triage_service.add_rule(db, name="漏水紧急", keywords=["漏水"], kind=None, priority="urgent", position=1)
    triage_service.invalidate_rules_cache()
    result = learning.analyse(db, "净水器有点漏水")
    assert result.priority == "urgent" and any("规则覆盖优先级" in reason for reason in result.reasons)


def test_retraining_on_history_moves_predictions_and_rollback_restores(db: Session, clock: FrozenClock) -> None:
    _train(db, clock)
    text = "晾衣架升降卡住不动了"
    before = learning.analyse(db, text).kind
    target = "installation" if before != "installation" else "consultation"
    history = [Example(f"晾衣架升降卡住不动了{'，' * i}第{i}次", target, "complex", group=f"h{i}") for i in range(12)]
    learning.train_and_store(db, clock=clock, actor_name="test", corpus=SMALL + history, reviews=0)
    assert learning.analyse(db, text).kind == target
    learning.activate_version(db, version=1)
    assert learning.analyse(db, text).kind == before
    versions = list(db.scalars(select(TriageModelVersion.version).where(TriageModelVersion.is_active.is_(True))))
    assert versions == [1]


def test_triage_api(client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory) -> None:
    _train(db, clock)
    db.commit()
    _, token = make_user(Role.AGENT, username="tagent")
    reply = client.post(
        "/api/v1/triage", json={"text": "我要去12315投诉你们！！！"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {
        "kind",
        "priority",
        "product_model",
        "fault_type",
        "confidence",
        "sentiment",
        "anger",
        "handoff",
        "reasons",
    }
    assert body["handoff"] is True and -1 <= body["sentiment"] < 0 and 0.9 <= body["anger"] <= 1
    bad = client.post("/api/v1/triage", json={"text": ""}, headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 422
