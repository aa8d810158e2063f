"""Which survey questions a ticket gets (its kind and channel), which may be skipped, and how answers are
checked: pure rules, table-driven."""

from __future__ import annotations

import pytest

from aftersales.feedback import rules

ALL = ("overall", "ivr", "reach_human", "attitude", "punctuality", "tidiness", "problem_solving", "outcome")
SERVICE = ("overall", "attitude", "problem_solving", "outcome")
ON_SITE = ("overall", "attitude", "punctuality", "tidiness", "problem_solving", "outcome")


@pytest.mark.parametrize(
    ("kind", "channel", "questions"),
    [
        ("repair", "hotline", ALL),
        ("installation", "hotline", ALL),
        ("consultation", "hotline", ("overall", "ivr", "reach_human", "attitude", "problem_solving", "outcome")),
        ("complaint", "hotline", ("overall", "ivr", "reach_human", "attitude", "problem_solving", "outcome")),
        (
            "repair",
            "app",
            ("overall", "reach_human", "attitude", "punctuality", "tidiness", "problem_solving", "outcome"),
        ),
        ("consultation", "app", ("overall", "reach_human", "attitude", "problem_solving", "outcome")),
        ("repair", "web", ON_SITE),
        ("installation", "wechat", ON_SITE),
        ("installation", "api", ON_SITE),
        ("repair", "email", ON_SITE),
        ("repair", "import", ON_SITE),
        ("repair", "walk_in", SERVICE),  # brought to the counter: nobody came to the customer's place
        ("consultation", "web", SERVICE),
        ("complaint", "wechat", SERVICE),
        ("complaint", "return_visit", SERVICE),
        ("consultation", "walk_in", SERVICE),
    ],
)
def test_the_questions_follow_the_tickets_kind_and_channel(kind: str, channel: str, questions: tuple[str, ...]) -> None:
    assert rules.dimensions_for(kind, channel) == questions


def test_only_the_overall_verdict_is_required_and_every_question_has_a_label() -> None:
    assert [name for name in ALL if rules.is_required(name)] == ["overall"]
    assert set(rules.QUESTION_ORDER) == set(rules.DIMENSION_LABELS) == set(rules.DIMENSIONS + rules.ONSITE_DIMENSIONS)


@pytest.mark.parametrize(
    ("scores", "kind", "channel", "clean", "problems"),
    [
        # Partly answered: the skipped questions are simply absent, however they were left out.
        ({"overall": 4}, "repair", "hotline", {"overall": 4}, {}),
        ({"overall": "5", "ivr": "", "attitude": None, "outcome": " "}, "repair", "hotline", {"overall": 5}, {}),
        (
            {"overall": 2, "punctuality": "1", "tidiness": 5},
            "installation",
            "web",
            {"overall": 2, "punctuality": 1, "tidiness": 5},
            {},
        ),
        # The required question missing or empty.
        ({"attitude": 5}, "consultation", "web", {"attitude": 5}, {"overall": "请为「总体满意度」打分"}),
        ({"overall": ""}, "consultation", "web", {}, {"overall": "请为「总体满意度」打分"}),
        # A question the ticket does not have, and one nobody has.
        (
            {"overall": 5, "ivr": 3, "tidiness": 4},
            "consultation",
            "web",
            {"overall": 5},
            {"ivr": "本工单不涉及「语音导航是否清楚」", "tidiness": "本工单不涉及「现场整洁」"},
        ),
        ({"overall": 5, "speed": 3}, "repair", "hotline", {"overall": 5}, {"speed": "未知的评价项"}),
        # Values that are not a score from 1 to 5.
        (
            {"overall": 6, "ivr": 0, "attitude": "x", "outcome": True, "problem_solving": 4.5, "reach_human": "4.5"},
            "repair",
            "hotline",
            {},
            {
                "overall": "评分应为 1 到 5 的整数",
                "ivr": "评分应为 1 到 5 的整数",
                "attitude": "评分应为 1 到 5 的整数",
                "outcome": "评分应为 1 到 5 的整数",
                "problem_solving": "评分应为 1 到 5 的整数",
                "reach_human": "评分应为 1 到 5 的整数",
            },
        ),
        ({"overall": [5]}, "repair", "hotline", {}, {"overall": "评分应为 1 到 5 的整数"}),
    ],
)
def test_answers_are_checked_question_by_question(
    scores: dict[str, object], kind: str, channel: str, clean: dict[str, int], problems: dict[str, str]
) -> None:
    assert rules.check_scores(scores, kind=kind, channel=channel) == (clean, problems)


@pytest.mark.parametrize(
    ("scores", "anger", "reason"),
    [
        ({"overall": 4}, 0.0, None),
        ({"overall": 3, "tidiness": 2}, 0.0, "现场整洁 评分不高于 2 分"),
        ({"overall": 1, "attitude": 1}, 0.0, "总体满意度、服务态度 评分不高于 2 分"),
        ({"overall": 5}, 0.8, "评价中有明显不满"),
        ({"overall": 2}, 0.6, "总体满意度 评分不高于 2 分；评价中有明显不满"),
        ({"overall": 3}, 0.59, None),
    ],
)
def test_a_partial_answer_still_calls_for_a_follow_up_when_low_or_angry(
    scores: dict[str, int], anger: float, reason: str | None
) -> None:
    assert rules.follow_up_reason(scores, anger=anger) == reason
