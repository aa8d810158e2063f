"""Pure compensation rules: proposals, the repeat-repair window, approval limits by role, input checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aftersales.accounts.enums import Role
from aftersales.quality import rules
from aftersales.quality.rules import CompensationFacts

REPORTED = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (CompensationFacts("repair", sla_breached=False, previous_repair_number=None), []),
        (CompensationFacts("repair", sla_breached=True, previous_repair_number=None), [("sla_breached", "coupon", 5000)]),
        (CompensationFacts("repair", sla_breached=False, previous_repair_number="SH1"),
         [("repeat_repair", "extended_warranty", 10000)]),
        (CompensationFacts("repair", sla_breached=True, previous_repair_number="SH1"),
         [("sla_breached", "coupon", 5000), ("repeat_repair", "extended_warranty", 10000)]),
        (CompensationFacts("installation", sla_breached=False, previous_repair_number="SH1"), []),
    ],
)  # fmt: skip
def test_proposals(facts: CompensationFacts, expected: list[tuple[str, str, int]]) -> None:
    assert [(p.code, p.kind, p.amount_cents) for p in rules.propose(facts)] == expected


def test_the_repeat_repair_reason_names_the_earlier_ticket() -> None:
    [proposal] = rules.propose(CompensationFacts("repair", sla_breached=False, previous_repair_number="SH20261101-7"))
    assert proposal.reason == "30 天内重复维修，赠送延保一年（折合 100 元）（上次维修工单 SH20261101-7）"


@pytest.mark.parametrize(
    ("closed_before", "expected"),
    [
        (timedelta(0), True),
        (timedelta(days=30), True),
        (timedelta(days=30, seconds=1), False),
        (timedelta(seconds=-1), False),  # closed after this one was reported: not a previous repair
    ],
)
def test_the_repeat_repair_window(closed_before: timedelta, expected: bool) -> None:
    assert rules.is_repeat_repair(reported_at=REPORTED, previous_closed_at=REPORTED - closed_before) is expected


@pytest.mark.parametrize(
    ("role", "amount", "expected"),
    [
        (Role.AGENT, 5000, None),
        (Role.AGENT, 5001, "over_limit"),
        (Role.MANAGER, 50000, None),
        (Role.MANAGER, 50001, "over_limit"),
        (Role.ADMIN, 1_000_000, None),
        (Role.DISPATCHER, 1, "forbidden"),
        (Role.INSPECTOR, 1, "forbidden"),
        (Role.TECHNICIAN, 1, "forbidden"),
        (Role.CUSTOMER, 1, "forbidden"),
    ],
)
def test_approval_limits(role: Role, amount: int, expected: str | None) -> None:
    assert rules.approval_problem(role, amount) == expected


def test_compensation_problems() -> None:
    assert rules.compensation_problems(kind="coupon", amount_cents=5000, reason="超时") == {}
    assert rules.compensation_problems(kind="voucher", amount_cents=0, reason=" ") == {
        "kind": "补偿类型须为：coupon、cash、extended_warranty、gift",
        "amount_cents": "金额须在 1 分到 10000 元之间",
        "reason": "补偿原因须为 1 到 500 字",
    }
    assert "amount_cents" in rules.compensation_problems(kind="cash", amount_cents=1_000_001, reason="x")


def test_yuan() -> None:
    assert [rules.yuan(value) for value in (0, 5, 5000, 12345)] == ["0.00 元", "0.05 元", "50.00 元", "123.45 元"]
