"""The emotion report on the ticket page: the level read from triage's anger and sentiment (table-driven),
the cues it kept, and the page showing it to staff when triage recorded them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.core.clock import FrozenClock
from aftersales.knowledge.enums import ArticleStatus, ArticleType, Audience
from aftersales.tickets.enums import TicketKind
from aftersales.tickets.models import Ticket
from aftersales.usecases.console.ticket_page.emotion import EmotionReport, cues_of, emotion_report, level_of
from tests import factories
from tests.conftest import UserFactory, console_login
from tests.factories import knowledge as knowledge_factories

ANGRY = "门锁第三次坏了，气死我了，再不修好我就打12315"


@pytest.mark.parametrize(
    ("anger", "sentiment", "level"),
    [
        (0.9, -0.8, "angry"),
        (0.6, 0.0, "angry"),  # the hand-off threshold
        (0.59, 0.0, "upset"),
        (0.3, 0.5, "upset"),  # anger outranks a pleasant word
        (0.29, -0.3, "negative"),
        (0.0, -0.29, "calm"),
        (0.0, 0.0, "calm"),
        (0.0, 0.3, "positive"),
    ],
)
def test_the_level_reads_anger_first_then_sentiment(anger: float, sentiment: float, level: str) -> None:
    assert level_of(anger, sentiment) == level


def test_cues_come_from_what_triage_kept_else_from_its_reasons() -> None:
    assert cues_of({"anger_cues": ["12315", "气死"], "reasons": ["情绪线索：别的"]}) == ["12315", "气死"]
    assert cues_of({"reasons": ["模型：类型 repair（0.90）", "情绪线索：12315、气死"]}) == ["12315", "气死"]
    assert cues_of({"reasons": ["尚未训练模型，仅按规则分诊"]}) == []


def test_a_report_needs_both_scores() -> None:
    assert emotion_report(None) is None
    assert emotion_report({"kind": "repair", "reasons": []}) is None
    assert emotion_report({"anger": 0.7, "sentiment": None}) is None
    triage = {"anger": 0.97, "sentiment": -1.0, "anger_cues": ["12315"], "source": "rules"}
    assert emotion_report(triage) == EmotionReport("angry", 0.97, -1.0, ["12315"], "rules")


def test_the_agent_sees_the_emotion_report_of_an_angry_caller(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="emo1")
    angry = factories.ticket(db, clock=clock, kind=None, priority=None, description=ANGRY)
    calm = factories.ticket(db, clock=clock, customer_name="李四", phone="13900139000")  # kind given: no triage
    db.commit()
    stored = db.get(Ticket, angry.id)
    assert stored is not None and stored.triage is not None
    assert stored.triage["anger_cues"] == ["12315", "气死", "第三次"]
    assert stored.triage["anger"] >= 0.6
    console_login(client, db, "emo1")
    page = client.get(f"/console/tickets/{angry.id}").text
    assert '<section class="card" aria-labelledby="emotion-title" id="emotion" data-emotion="angry">' in page
    assert '客户情绪 <span class="badge sla-breached">愤怒</span>' in page
    assert "<mark>12315</mark>、<mark>气死</mark>、<mark>第三次</mark>" in page
    assert f"愤怒程度 {stored.triage['anger']:.2f}（0–1）" in page
    assert "客户情绪激动：先致歉并安抚" in page
    assert 'id="emotion"' not in client.get(f"/console/tickets/{calm.id}").text


def test_for_an_angry_caller_the_report_adds_their_history_and_a_script(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    make_user(Role.AGENT, username="emo2")
    script = knowledge_factories.article(
        db,
        clock=clock,
        title="客户情绪激动时的安抚话术",
        body="先致歉，再确认诉求，给出明确时限。",
        questions=("客户很生气说要打12315怎么安抚", "门锁又坏了客户气死了怎么沟通"),
        status=ArticleStatus.PUBLISHED,
        audience=Audience.AGENT,
        type=ArticleType.SCRIPT,
    )
    earlier = factories.ticket(db, clock=clock, kind=TicketKind.COMPLAINT, description="上次维修师傅态度很差")
    clock.advance(timedelta(days=3))
    angry = factories.ticket(db, clock=clock, kind=None, priority=None, description=ANGRY)
    calm = factories.ticket(db, clock=clock, customer_name="李四", phone="13900139000")
    db.commit()
    console_login(client, db, "emo2")
    page = client.get(f"/console/tickets/{angry.id}").text
    assert angry.kind == TicketKind.COMPLAINT  # triage read 12315 as a complaint: two complaints in all
    history = "客户往来：工单 2 张（含本单），未闭环 2 张，重开 0 次，投诉 2 张"
    assert f'<p id="emotion-history" data-tickets="2">{history}</p>' in page
    assert f'<a href="/console/tickets/{earlier.id}">{earlier.number}</a>' in page
    assert f'<a href="/console/tickets/{angry.id}">' not in page  # the list holds the other tickets only
    assert f'建议话术：<a href="/console/knowledge/{script.id}">客户情绪激动时的安抚话术</a>' in page
    assert 'id="emotion-history"' not in client.get(f"/console/tickets/{calm.id}").text
