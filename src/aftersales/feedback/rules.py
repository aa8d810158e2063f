"""Pure feedback rules: when a return visit is due, the survey's dimensions and their validation, when
an answer needs a follow-up ticket, the signed survey link, and when a promise needs an alert."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from aftersales.accounts import policy
from aftersales.accounts.enums import Permission
from aftersales.core.i18n import N_, Message

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The seeds' six dimensions, plus two for jobs done at the customer's place.
DIMENSIONS = ("overall", "reach_human", "ivr", "attitude", "problem_solving", "outcome")
ONSITE_DIMENSIONS = ("punctuality", "tidiness")
# The dimensions' names in the follow-up ticket's description (stored text) and in the problems of an answer.
DIMENSION_LABELS = {
    "overall": N_("总体满意度"),
    "reach_human": N_("转人工是否顺畅"),
    "ivr": N_("语音导航是否清楚"),
    "attitude": N_("服务态度"),
    "problem_solving": N_("问题解决能力"),
    "outcome": N_("处理结果"),
    "punctuality": N_("上门准时"),
    "tidiness": N_("现场整洁"),
}
# The order the questions are asked in: the overall verdict first, then the customer's path through the
# service (getting through, the people, the visit, the result).
QUESTION_ORDER = (
    "overall",
    "ivr",
    "reach_human",
    "attitude",
    "punctuality",
    "tidiness",
    "problem_solving",
    "outcome",
)
# The one answer a survey cannot do without; every other question may be skipped.
REQUIRED_DIMENSIONS = frozenset({"overall"})
# Which tickets a question applies to. The phone menu is only met on the hotline; "reaching a person" on
# the hotline and in the app, whose assistant hands the customer over to an agent. Punctuality and
# tidiness only where someone came to the customer's place: an on-site kind not brought to a counter.
IVR_CHANNELS = frozenset({"hotline"})
REACH_HUMAN_CHANNELS = frozenset({"hotline", "app"})
ONSITE_KINDS = frozenset({"installation", "repair"})
COUNTER_CHANNELS = frozenset({"walk_in"})
SCORE_RANGE = N_("评分应为 1 到 5 的整数")
LOW_SCORE = 2  # a score at or below this opens a follow-up ticket
ANGER_THRESHOLD = 0.6
# Who runs return visits (calls, surveys taken on the phone) and who may read them: never the technician
# or provider whose work is being judged, nor the customer.
# (rows visit.record and visit.read of the policy table).
VISIT_ROLES = policy.roles_allowed(Permission.VISIT_RECORD)
VISIT_READERS = policy.roles_allowed(Permission.VISIT_READ)
MAX_ATTEMPTS = 3  # calls without reaching the customer before the visit ends as unreachable
LINK_LIFETIME = timedelta(days=7)
VISIT_HOUR = time(10, 0)  # next-day visits are due at 10:00 local time
SAME_DAY_KINDS = {"complaint": timedelta(hours=2)}  # a complaint is followed up the same day
ATTEMPT_OUTCOMES = ("reached", "no_answer", "busy", "refused", "wrong_number")
QUEUE_PAGE_SIZE = 30
QUEUE_OWNERS = ("mine", "unassigned")  # the queue's filters besides "everyone's"


def applies(dimension: str, *, kind: str, channel: str) -> bool:
    """Whether a question makes sense for a ticket of this kind that came in through this channel."""
    if dimension == "ivr":
        return channel in IVR_CHANNELS
    if dimension == "reach_human":
        return channel in REACH_HUMAN_CHANNELS
    if dimension in ONSITE_DIMENSIONS:
        return kind in ONSITE_KINDS and channel not in COUNTER_CHANNELS
    return dimension in DIMENSIONS


def dimensions_for(kind: str, channel: str) -> tuple[str, ...]:
    """The survey's questions for a ticket of this kind and channel, in the order they are asked."""
    return tuple(name for name in QUESTION_ORDER if applies(name, kind=kind, channel=channel))


def is_required(dimension: str) -> bool:
    """Whether the question must be answered (the others may be skipped)."""
    return dimension in REQUIRED_DIMENSIONS


def visit_due(kind: str, resolved_at: datetime) -> datetime:
    """When the return visit is due: the next day at 10:00 local time, sooner for complaints."""
    if kind in SAME_DAY_KINDS:
        return resolved_at + SAME_DAY_KINDS[kind]
    local = resolved_at.astimezone(SHANGHAI)
    return datetime.combine(local.date() + timedelta(days=1), VISIT_HOUR, tzinfo=SHANGHAI)


def check_scores(scores: dict[str, object], *, kind: str, channel: str) -> tuple[dict[str, int], dict[str, str]]:
    """The answered scores as integers, and the problems per field (empty when all is well). An optional
    question left empty (missing, None or "") is skipped; a question the ticket does not have is refused."""
    wanted = dimensions_for(kind, channel)
    problems: dict[str, str] = {}
    clean: dict[str, int] = {}
    for name in scores:
        if name not in DIMENSION_LABELS:
            problems[name] = N_("未知的评价项")
        elif name not in wanted:
            problems[name] = Message(
                N_("本工单不涉及「%(dimension)s」"), {"dimension": Message(DIMENSION_LABELS[name])}
            )
    for name in wanted:
        value = scores.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if is_required(name):
                problems[name] = Message(
                    N_("请为「%(dimension)s」打分"), {"dimension": Message(DIMENSION_LABELS[name])}
                )
            continue
        number = _score(value)
        if number is None:
            problems[name] = SCORE_RANGE
            continue
        clean[name] = number
    return clean, problems


def _score(value: object) -> int | None:
    """1..5 from an int or its decimal text, else None (booleans and 4.5 are not scores)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if 1 <= number <= 5 else None


def follow_up_reason(scores: dict[str, int], *, anger: float) -> str | None:
    """Why the answer opens a follow-up ticket, or None."""
    low = [DIMENSION_LABELS[name] for name, value in scores.items() if value <= LOW_SCORE]
    reasons = []
    if low:
        reasons.append(f"{'、'.join(low)} 评分不高于 {LOW_SCORE} 分")
    if anger >= ANGER_THRESHOLD:
        reasons.append("评价中有明显不满")
    return "；".join(reasons) or None


def sign_link(key: bytes, visit_id: int, expires_at: datetime, nonce: str) -> str:
    """The survey link's token: visit id, expiry and an HMAC over both and the visit's nonce."""
    expires = int(expires_at.timestamp())
    digest = hmac.new(key, f"{visit_id}.{expires}.{nonce}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{visit_id}.{expires}.{digest}"


def read_link(token: str) -> tuple[int, int, str] | None:
    """(visit id, expiry as a Unix time, signature) from a token, or None when it is malformed."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(parts[2]) != 32:
        return None
    return int(parts[0]), int(parts[1]), parts[2]


def link_matches(key: bytes, token: str, *, nonce: str) -> bool:
    """True when the token was signed with this key for this visit's nonce (constant-time)."""
    parsed = read_link(token)
    if parsed is None:
        return False
    visit_id, expires, signature = parsed
    digest = hmac.new(key, f"{visit_id}.{expires}.{nonce}".encode(), hashlib.sha256).hexdigest()[:32]
    return hmac.compare_digest(digest, signature)


def participation(done: int, unreachable: int) -> float | None:
    """Share of finished visits where the customer answered."""
    finished = done + unreachable
    return round(done / finished, 4) if finished else None


def promise_alert(*, due_at: datetime, now: datetime, acknowledged: bool, fulfilled: bool) -> str | None:
    """Why a promise needs its one alert now (past due and not acknowledged, or not kept), or None."""
    if fulfilled or now < due_at:
        return None
    return "超过期限仍未确认" if not acknowledged else "已确认但逾期未兑现"


def promise_state(*, status: str, due_at: datetime, acknowledged: bool, now: datetime) -> str:
    """How a promise stands for the people who read it: fulfilled or cancelled once closed; else overdue
    when past its due time, else acknowledged or open (waiting for whoever must act to confirm it)."""
    if status != "open":
        return status
    if now >= due_at:
        return "overdue"
    return "acknowledged" if acknowledged else "open"
