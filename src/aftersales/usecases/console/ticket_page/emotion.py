"""The emotion report on the ticket page: what triage read in the caller's words when the ticket was
opened (``Ticket.triage``: anger 0..1, sentiment -1..1, the anger cues), as a level the agent can act on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aftersales.core.i18n import N_
from aftersales.triage.classifier import HANDOFF_ANGER

UPSET_ANGER = 0.3  # below the hand-off threshold, yet cues enough that the agent should know
NEGATIVE_SENTIMENT = -0.3
POSITIVE_SENTIMENT = 0.3
CUES_PREFIX = "情绪线索："  # how ``triage.learning.analyse`` lists the cues among its reasons

LEVELS = {
    "angry": N_("愤怒"),
    "upset": N_("不满"),
    "negative": N_("情绪负面"),
    "calm": N_("平稳"),
    "positive": N_("满意"),
}
ADVICE = {
    "angry": N_("客户情绪激动：先致歉并安抚，确认诉求后给出明确的处理时间；必要时请主管介入。"),
    "upset": N_("客户有不满：先确认诉求，说明处理进度和时限。"),
}
BADGES = {"angry": "sla-breached", "upset": "sla-warning", "negative": "sla-warning"}
NEEDS_CARE = frozenset(BADGES)  # levels for which the report adds the customer's history and a script


@dataclass(frozen=True)
class EmotionReport:
    """Triage's reading of the caller: a level, the scores it came from and the phrases that raised anger."""

    level: str
    anger: float
    sentiment: float
    cues: list[str]
    source: str | None

    @property
    def label(self) -> str:
        return LEVELS[self.level]

    @property
    def advice(self) -> str | None:
        return ADVICE.get(self.level)

    @property
    def badge(self) -> str:
        return BADGES.get(self.level, "sla-on_track")


def level_of(anger: float, sentiment: float) -> str:
    """The level an agent reads: anger first (the hand-off threshold, then a lower one), then sentiment."""
    if anger >= HANDOFF_ANGER:
        return "angry"
    if anger >= UPSET_ANGER:
        return "upset"
    if sentiment <= NEGATIVE_SENTIMENT:
        return "negative"
    if sentiment >= POSITIVE_SENTIMENT:
        return "positive"
    return "calm"


def cues_of(triage: Mapping[str, Any]) -> list[str]:
    """The anger cues triage kept (``anger_cues``), else those listed among its reasons (older tickets)."""
    kept = triage.get("anger_cues")
    if isinstance(kept, list):
        return [str(cue) for cue in kept]
    for reason in triage.get("reasons") or []:
        if isinstance(reason, str) and reason.startswith(CUES_PREFIX):
            return [cue for cue in reason.removeprefix(CUES_PREFIX).split("、") if cue]
    return []


def emotion_report(triage: Mapping[str, Any] | None) -> EmotionReport | None:
    """The report for a ticket's triage record; None when triage recorded no anger or sentiment."""
    if not triage:
        return None
    anger, sentiment = triage.get("anger"), triage.get("sentiment")
    if not isinstance(anger, int | float) or not isinstance(sentiment, int | float):
        return None
    return EmotionReport(
        level=level_of(float(anger), float(sentiment)),
        anger=float(anger),
        sentiment=float(sentiment),
        cues=cues_of(triage),
        source=str(triage["source"]) if triage.get("source") else None,
    )
