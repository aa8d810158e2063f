"""Pure quality and compensation rules: the default self-check list and its validation, stratified
sampling, inspection grading, score rollups, compensation proposals and approval limits.

No session, no clock, no I/O: callers pass ``now`` and plain values.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction

from aftersales.accounts.enums import Role
from aftersales.core.i18n import N_, Message

ON_SITE_KINDS = ("installation", "repair")


# --- Self-check ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckItem:
    """One item of the technician's self-check at completion."""

    code: str
    label: str
    group: str | None
    applies_to: tuple[str, ...]  # ticket kinds
    is_required: bool = True
    is_active: bool = True
    sort_order: int = 0


FIVE_STEP = "five_step"  # 五步服务规范
DEFAULT_CHECKLIST: tuple[CheckItem, ...] = (
    CheckItem("shoe_covers", "穿鞋套", FIVE_STEP, ON_SITE_KINDS, sort_order=10),
    CheckItem("self_introduction", "自我介绍", FIVE_STEP, ON_SITE_KINDS, sort_order=20),
    CheckItem("diagnosis_explained", "检测说明", FIVE_STEP, ON_SITE_KINDS, sort_order=30),
    CheckItem("site_protected", "现场清洁", FIVE_STEP, ON_SITE_KINDS, sort_order=40),
    CheckItem("usage_explained", "使用讲解", FIVE_STEP, ON_SITE_KINDS, sort_order=50),
    CheckItem("site_cleared", "清理现场", None, ON_SITE_KINDS, sort_order=60),
    CheckItem("lock_lubricated", "润滑锁体", None, ON_SITE_KINDS, sort_order=70),
    CheckItem("unlock_tested_three_times", "测试三次开锁", None, ON_SITE_KINDS, sort_order=80),
    CheckItem("warranty_explained", "讲解保修政策", None, ("installation",), sort_order=90),
    CheckItem("old_parts_returned", "旧件回收", None, ("repair",), is_required=False, sort_order=100),
)


def applicable_items(items: Iterable[CheckItem], kind: str) -> list[CheckItem]:
    """The active items that apply to a ticket of ``kind``, in display order."""
    chosen = [item for item in items if item.is_active and kind in item.applies_to]
    return sorted(chosen, key=lambda item: (item.sort_order, item.code))


def self_check_problems(items: Sequence[CheckItem], answers: Mapping[str, object]) -> dict[str, str]:
    """Field problems of a self-check: every required item answered yes/no, nothing unknown."""
    known = {item.code for item in items}
    problems: dict[str, str] = {}
    for code, value in answers.items():
        if code not in known:
            problems[code] = N_("不是此类工单的检查项")
        elif not isinstance(value, bool):
            problems[code] = N_("须为是或否")
    for item in items:
        if item.is_required and item.code not in answers:
            problems[item.code] = Message(N_("必填检查项「%(item)s」未填写"), {"item": item.label})
    return problems


# --- Sampling -----------------------------------------------------------------------------------------

SAMPLE_RATES: dict[str, Fraction] = {"regional": Fraction(1, 5), "hq": Fraction(1, 20)}
UNASSIGNED_STRATUM = "unassigned"


@dataclass(frozen=True)
class SampleUnit:
    """A closed ticket and its stratum (the provider organisation it was done by)."""

    ticket_id: int
    stratum: str


def stratum_of(organisation_id: int | None) -> str:
    """The stratum key of a ticket's provider organisation."""
    return f"org:{organisation_id}" if organisation_id is not None else UNASSIGNED_STRATUM


def allocate(sizes: Mapping[str, int], rate: Fraction) -> dict[str, int]:
    """Per-stratum quotas: largest remainder so the total is round(rate × population), then at least
    one per non-empty stratum, paid for by the strata most above their exact share."""
    if not 0 < rate <= 1:
        raise ValueError("rate must be in (0, 1]")
    strata = sorted(name for name, size in sizes.items() if size > 0)
    exact = {name: rate * sizes[name] for name in strata}
    target = math.floor(rate * sum(sizes[name] for name in strata) + Fraction(1, 2))
    quota = {name: math.floor(exact[name]) for name in strata}
    by_remainder = sorted(strata, key=lambda name: (-(exact[name] - quota[name]), name))
    for name in by_remainder[: target - sum(quota.values())]:
        quota[name] += 1
    for name in strata:
        quota[name] = max(quota[name], 1)
    excess = sum(quota.values()) - target
    while excess > 0:
        donors = [name for name in strata if quota[name] > 1]
        if not donors:
            break  # more providers than the target: coverage wins over the rate
        donor = min(donors, key=lambda name: (-(quota[name] - exact[name]), name))
        quota[donor] -= 1
        excess -= 1
    return quota


def stratified_sample(units: Iterable[SampleUnit], *, rate: Fraction, seed: int, salt: str = "") -> list[SampleUnit]:
    """Draw a stratified random sample, reproducible from ``seed`` (and ``salt``, e.g. the level).

    Each stratum draws with its own generator seeded by (salt, seed, stratum) over its sorted ticket
    ids, so one provider's draw does not depend on the others' populations.
    """
    by_stratum: dict[str, set[int]] = {}
    for unit in units:
        by_stratum.setdefault(unit.stratum, set()).add(unit.ticket_id)
    quota = allocate({name: len(ids) for name, ids in by_stratum.items()}, rate)
    chosen: list[SampleUnit] = []
    for name in sorted(by_stratum):
        generator = random.Random(f"{salt}:{seed}:{name}")
        picked = generator.sample(sorted(by_stratum[name]), quota[name])
        chosen.extend(SampleUnit(ticket_id, name) for ticket_id in picked)
    return sorted(chosen, key=lambda unit: unit.ticket_id)


# --- Inspection forms ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    code: str
    label: str
    weight: Fraction


CRITERIA: tuple[Criterion, ...] = (
    Criterion("service_standard", "服务规范", Fraction(1, 4)),
    Criterion("repair_quality", "维修质量", Fraction(3, 10)),
    Criterion("cleanliness", "现场清洁", Fraction(3, 20)),
    Criterion("communication", "客户沟通", Fraction(3, 20)),
    Criterion("timeliness", "时效", Fraction(3, 20)),
)
MAX_SCORE = 10
PASS_SCORE = 7.0  # weighted score out of 10
RED_LINE = 4  # any single criterion below this fails the inspection whatever the average
RECTIFICATION_DAYS = 3


@dataclass(frozen=True)
class Grade:
    weighted: float
    passed: bool
    weak: tuple[str, ...]  # criteria below the pass score, the rectification's subject


def score_problems(scores: Mapping[str, object]) -> dict[str, str]:
    """Field problems of an inspection's scores: every criterion an integer 0–10, nothing unknown."""
    known = {criterion.code for criterion in CRITERIA}
    problems: dict[str, str] = {code: N_("未知的评分项") for code in scores if code not in known}
    for criterion in CRITERIA:
        value = scores.get(criterion.code)
        if value is None:
            problems[criterion.code] = Message(N_("请为「%(criterion)s」打分"), {"criterion": criterion.label})
        elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SCORE:
            problems[criterion.code] = Message(
                N_("「%(criterion)s」须为 0 到 %(max)s 的整数"), {"criterion": criterion.label, "max": MAX_SCORE}
            )
    return problems


def grade(scores: Mapping[str, int]) -> Grade:
    """Weighted score (two decimals) and pass/fail of valid scores."""
    weighted = sum((criterion.weight * scores[criterion.code] for criterion in CRITERIA), Fraction(0))
    below_red_line = any(scores[criterion.code] < RED_LINE for criterion in CRITERIA)
    weak = tuple(criterion.code for criterion in CRITERIA if scores[criterion.code] < PASS_SCORE)
    score = round(float(weighted), 2)
    return Grade(weighted=score, passed=score >= PASS_SCORE and not below_red_line, weak=weak)


def criterion_labels(codes: Iterable[str]) -> str:
    """「服务规范」、「时效」 for a list of criterion codes."""
    labels = {criterion.code: criterion.label for criterion in CRITERIA}
    return "、".join(f"「{labels[code]}」" for code in codes)


def rectification_state(status: str, due_at: datetime, now: datetime) -> str:
    """open | overdue | done: an open task past its due time is overdue."""
    if status == "open" and due_at < now:
        return "overdue"
    return status


@dataclass(frozen=True)
class InspectionResult:
    key: int | None  # technician or provider organisation
    weighted: float
    passed: bool
    scores: Mapping[str, int]


@dataclass
class RollupRow:
    key: int | None
    inspections: int = 0
    passed: int = 0
    average_score: float = 0.0
    pass_rate: float = 0.0
    criteria: dict[str, float] = field(default_factory=dict)


def rollup(results: Iterable[InspectionResult]) -> list[RollupRow]:
    """Average weighted score, per-criterion averages and pass rate per key (unknown key last)."""
    grouped: dict[int | None, list[InspectionResult]] = {}
    for result in results:
        grouped.setdefault(result.key, []).append(result)
    rows = []
    for key, items in grouped.items():
        count = len(items)
        rows.append(
            RollupRow(
                key=key,
                inspections=count,
                passed=sum(1 for item in items if item.passed),
                average_score=round(sum(item.weighted for item in items) / count, 2),
                pass_rate=round(sum(1 for item in items if item.passed) / count, 4),
                criteria={
                    c.code: round(sum(item.scores.get(c.code, 0) for item in items) / count, 2) for c in CRITERIA
                },
            )
        )
    return sorted(rows, key=lambda row: (row.key is None, row.key or 0))


# --- Compensation -------------------------------------------------------------------------------------

COMPENSATION_KINDS = {"coupon": "代金券", "cash": "现金补偿", "extended_warranty": "延长保修", "gift": "礼品"}
MAX_COMPENSATION_CENTS = 1_000_000  # 10,000 元: anything larger is not a proactive gesture
REPEAT_REPAIR_WINDOW = timedelta(days=30)
# None: no limit. Roles missing here may not decide at all.
APPROVAL_LIMITS_CENTS: dict[Role, int | None] = {Role.ADMIN: None, Role.MANAGER: 50_000, Role.AGENT: 5_000}


@dataclass(frozen=True)
class CompensationRule:
    code: str
    kind: str
    amount_cents: int
    reason: str


COMPENSATION_RULES: dict[str, CompensationRule] = {
    "sla_breached": CompensationRule("sla_breached", "coupon", 5_000, "服务超时，赠送 50 元代金券"),
    "repeat_repair": CompensationRule(
        "repeat_repair", "extended_warranty", 10_000, "30 天内重复维修，赠送延保一年（折合 100 元）"
    ),
}


@dataclass(frozen=True)
class CompensationFacts:
    """What the rules look at for one ticket."""

    ticket_kind: str
    sla_breached: bool
    previous_repair_number: str | None  # a repair of the same product closed in the window, if any


def is_repeat_repair(*, reported_at: datetime, previous_closed_at: datetime) -> bool:
    """True when the earlier repair was closed within the 30 days before this one was reported."""
    return reported_at - REPEAT_REPAIR_WINDOW <= previous_closed_at <= reported_at


def propose(facts: CompensationFacts) -> list[CompensationRule]:
    """The compensation the rules suggest for a ticket (may be empty)."""
    proposals = []
    if facts.sla_breached:
        proposals.append(COMPENSATION_RULES["sla_breached"])
    if facts.ticket_kind == "repair" and facts.previous_repair_number is not None:
        rule = COMPENSATION_RULES["repeat_repair"]
        reason = f"{rule.reason}（上次维修工单 {facts.previous_repair_number}）"
        proposals.append(CompensationRule(rule.code, rule.kind, rule.amount_cents, reason))
    return proposals


def compensation_problems(*, kind: str, amount_cents: int, reason: str) -> dict[str, str]:
    """Field problems of a compensation entry."""
    problems: dict[str, str] = {}
    if kind not in COMPENSATION_KINDS:
        problems["kind"] = Message(N_("补偿类型须为：%(kinds)s"), {"kinds": "、".join(COMPENSATION_KINDS)})
    if not 0 < amount_cents <= MAX_COMPENSATION_CENTS:
        problems["amount_cents"] = Message(N_("金额须在 1 分到 %(max)s 元之间"), {"max": MAX_COMPENSATION_CENTS // 100})
    if not reason.strip() or len(reason.strip()) > 500:
        problems["reason"] = N_("补偿原因须为 1 到 500 字")
    return problems


def approval_problem(role: Role, amount_cents: int) -> str | None:
    """None when ``role`` may approve ``amount_cents``; else ``forbidden`` or ``over_limit``."""
    if role not in APPROVAL_LIMITS_CENTS:
        return "forbidden"
    limit = APPROVAL_LIMITS_CENTS[role]
    if limit is not None and amount_cents > limit:
        return "over_limit"
    return None


def yuan(amount_cents: int) -> str:
    """12345 → "123.45 元"."""
    return f"{amount_cents // 100}.{amount_cents % 100:02d} 元"
