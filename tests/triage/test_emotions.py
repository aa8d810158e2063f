"""Feelings named outright: an intensified one ("非常生气") is anger enough for a hand-off or a follow-up, a
bare one a weak cue, a negated one none — the cue lexicon's negation rules, table-driven."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from aftersales.triage import classifier, learning


@pytest.mark.parametrize(
    ("text", "cues", "anger"),
    [
        ("非常生气", [("非常生气", 0.8)], 0.8),
        ("我真的非常非常生气！", [("真的非常非常生气", 0.8)], 0.8),
        ("师傅迟到两小时，很气愤", [("很气愤", 0.8)], 0.8),
        ("特别 失望", [("特别 失望", 0.8)], 0.8),
        ("太气人了", [("太气人", 0.8)], 0.8),
        ("ＴＡ说的让我十分恼火", [("十分恼火", 0.8)], 0.8),
        ("对处理结果很不满意", [("很不满", 0.8)], 0.8),
        ("有点生气", [("生气", 0.5)], 0.5),
        ("有些失望", [("失望", 0.35)], 0.35),
        ("我不生气，只是想问问", [], 0.0),
        ("并不是很生气", [], 0.0),
        ("没有太失望", [], 0.0),
        ("别生气", [], 0.0),
        ("服务很好，非常满意", [], 0.0),
        ("不太满意", [], 0.0),
        # The feeling with other cues: each counted once, combined as 1 − Π(1 − w).
        ("非常生气，再也不买了", [("再也不买", 0.75), ("非常生气", 0.8)], 0.95),
        ("生气！非常生气！", [("非常生气", 0.8)], 0.8),
    ],
)
def test_named_feelings_are_anger_cues(text: str, cues: list[tuple[str, float]], anger: float) -> None:
    found = classifier.find_cues(text, classifier.ANGER_CUES)
    assert found == cues
    assert round(classifier.cue_score(found), 4) == anger


def test_intensified_anger_is_caught_without_a_model(db: Session) -> None:
    analysis = learning.analyse(db, "维修后还是坏的，非常生气")
    assert analysis.anger == 0.8 and analysis.handoff is True and analysis.anger_cues == ["非常生气"]
    assert analysis.sentiment == -0.8
    calm = learning.analyse(db, "不生气，谢谢师傅")
    assert calm.anger == 0.0 and calm.handoff is False
