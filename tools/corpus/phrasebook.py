"""The corpus generator's vocabulary: label values, products, stories and weights (here), and the phrase
tables read from ``phrases/*.json`` next to this file (faults, topics, slots, noise, checks)."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PHRASES = Path(__file__).resolve().parent / "phrases"

KINDS = ("consultation", "installation", "repair", "complaint")
PRIORITIES = ("urgent", "complex", "routine")
SENTIMENTS = ("negative", "neutral", "positive")
MODELS = ("YL-S7", "YL-F3", "YL-P1", "YL-A9", "YL-T10", "YL-W2", "YL-R5", "YL-C2")
LOCK = "LOCK"  # a mention of the lock product line only ("智能锁"): not identifiable
FAMILY = {
    "YL-S7": "lock",
    "YL-F3": "lock",
    "YL-P1": "lock",
    "YL-A9": "lock",
    "YL-T10": "tablet",
    "YL-W2": "watch",
    "YL-R5": "purifier",
    "YL-C2": "airer",
    LOCK: "lock",
}
ONSITE_FAMILIES = {"lock", "purifier", "airer"}

# story key -> (kind, priority)
STORIES = {
    "rr": ("repair", "routine"),
    "ru": ("repair", "urgent"),
    "rc": ("repair", "complex"),
    "cq": ("consultation", "routine"),
    "pr": ("complaint", "routine"),
    "pc": ("complaint", "complex"),
    "ir": ("installation", "routine"),
    "ic": ("installation", "complex"),
    "ty": ("consultation", "routine"),  # thanks / praise after a resolution (no new request)
}
# chance that a phrasing without an explicit story list is told as this story
STORY_CHANCE = {"rr": 1.0, "ru": 0.7, "rc": 0.6, "cq": 0.6, "pr": 0.35, "pc": 0.35, "ty": 0.3, "ir": 1.0, "ic": 1.0}
VARIANTS = {"rr": 3, "ru": 5, "rc": 3, "cq": 3, "pr": 3, "pc": 3, "ir": 8, "ic": 7, "ty": 3}
TOPIC_STORY = {
    "cq": ("consultation", "routine"),
    "pr": ("complaint", "routine"),
    "pc": ("complaint", "complex"),
    "thanks": ("consultation", "routine"),
}
LOCK_URGENCIES = ("access", "outside", "inside", "alarm")
TONE_WEIGHTS = {
    "rr": {
        "neutral": 3,
        "polite": 3,
        "negative": 2,
        "angry": 1.3,
        "sarcastic": 0.5,
        "tricky_neutral": 1.2,
        "tricky_negative": 0.8,
    },
    "ru": {"neutral": 3, "polite": 1.5, "distress": 2.5, "angry": 1.5},
    "rc": {"neutral": 1.5, "negative": 2, "angry": 1.5, "sarcastic": 0.6},
    "cq": {"neutral": 4, "polite": 3, "tricky_neutral": 1.2, "tricky_negative": 0.6},
    "pr": {"negative": 3, "angry": 2, "sarcastic": 0.8},
    "pc": {"negative": 2, "angry": 3, "sarcastic": 0.6},
    "ir": {"neutral": 3, "polite": 3, "positive": 1.6},
    "ic": {"neutral": 3, "polite": 2, "positive": 0.5},
    "ty": {"positive": 4, "tricky_positive": 1.5},
    # non-fault topics
    "topic": {"neutral": 4, "polite": 3, "positive": 1.5, "tricky_neutral": 1.0},
    "thanks": {"positive": 4, "tricky_positive": 1.2},
}
REGISTERS = {"chat": 4, "wechat": 2, "hotline": 1.4, "note": 1, "form": 1, "formal": 1, "terse": 0.9, "long": 1.2}


@dataclass(frozen=True)
class Phrase:
    """One symptom phrasing. ``mode``: obj (the product is the subject), person (a person is the subject),
    named (the phrase already names the product), template (``{m}`` marks where the product goes)."""

    text: str
    families: tuple[str, ...] = ()
    implied: str | None = None
    stories: tuple[str, ...] = ()
    mode: str = "obj"
    question: bool = False
    negative: bool = False
    questions: tuple[str, ...] = ()
    mild: bool = False  # an intermittent / slow symptom: never told as "locked out now"


@dataclass(frozen=True)
class Fault:
    id: str
    products: tuple[str, ...]
    stories: tuple[str, ...]
    phrases: tuple[Phrase, ...]
    urgent: str = ""
    questions: tuple[str, ...] = ()  # "fam|question" or plain question
    damage: tuple[str, ...] = ()  # past consequences, for complaints about an urgent incident
    remote: bool = False  # fixed remotely / in the back office rather than on site
    ic_requests: tuple[str, ...] = ()
    generic_questions: bool = True  # CQ_GENERIC fits ("这种情况正常吗？")
    history: tuple[str, ...] = ()  # replaces RC_HISTORY for repeated-visit stories


@dataclass(frozen=True)
class Topic:
    id: str
    story: str  # cq (consultation), pr / pc (service complaint), thanks
    products: tuple[str, ...]
    phrases: tuple[Phrase, ...]
    follow: tuple[str, ...] = ()


def load(name: str) -> dict[str, Any]:
    """One phrase file, without its ``about`` note."""
    data: dict[str, Any] = json.loads((PHRASES / name).read_text(encoding="utf-8"))
    data.pop("about", None)
    return data


def phrase(row: dict[str, Any]) -> Phrase:
    text = row["text"]
    return Phrase(
        text=text,
        families=tuple(row.get("families", ())),
        implied=row.get("implied"),
        stories=tuple(row.get("stories", ())),
        mode="template" if "{m}" in text else row.get("mode", "obj"),
        question=row.get("question", False),
        negative=row.get("negative", False),
        questions=tuple(row.get("questions", ())),
        mild=row.get("mild", False),
    )


def fault(row: dict[str, Any]) -> Fault:
    return Fault(
        id=row["id"],
        products=tuple(row["products"]),
        stories=tuple(row["stories"]),
        phrases=tuple(phrase(p) for p in row["phrases"]),
        urgent=row.get("urgent", ""),
        questions=tuple(row.get("questions", ())),
        damage=tuple(row.get("damage", ())),
        remote=row.get("remote", False),
        ic_requests=tuple(row.get("ic_requests", ())),
        generic_questions=row.get("generic_questions", True),
        history=tuple(row.get("history", ())),
    )


def topic(row: dict[str, Any]) -> Topic:
    return Topic(
        id=row["id"],
        story=row["story"],
        products=tuple(row["products"]),
        phrases=tuple(phrase(p) for p in row["phrases"]),
        follow=tuple(row.get("follow", ())),
    )


_faults = load("faults.json")
FAULTS = tuple(fault(row) for row in _faults["faults"])
NO_TRYING = frozenset(_faults["no_trying"])  # faults whose long messages skip tried / impact / detail
TOPICS = tuple(topic(row) for row in load("topics.json")["topics"])

_slots = load("slots.json")
MENTIONS: dict[str, list[str]] = _slots["mentions"]
GENERIC_LOCK: list[str] = _slots["generic_lock"]
PREFIX: dict[str, list[str]] = _slots["prefix"]
FAMILY_NOUN: dict[str, str] = _slots["family_noun"]
URGENT: dict[str, dict[str, list[str]]] = _slots["urgent"]
TERSE_URGENT: dict[str, list[str]] = _slots["terse_urgent"]
TIME_CONTEXT: list[str] = _slots["time_context"]
CONTEXT: list[str] = [*TIME_CONTEXT, *_slots["context_extra"]]
BACKGROUND: dict[str, list[str]] = _slots["background"]
URGENT_TIME: list[str] = _slots["urgent_time"]
ONSITE_REQ: list[str] = _slots["onsite_req"]
MAILIN_REQ: list[str] = _slots["mailin_req"]
REMOTE_REQ: list[str] = _slots["remote_req"]
RC_REQ: list[str] = _slots["rc_req"]
RC_HISTORY: list[list[str]] = _slots["rc_history"]
RC_HISTORY_ANGRY: list[str] = _slots["rc_history_angry"]
CQ_GENERIC: list[str] = _slots["cq_generic"]
PR_AGE: list[str] = _slots["pr_age"]
PR_DEMAND: list[str] = _slots["pr_demand"]
PR_DEMAND_ANGRY: list[str] = _slots["pr_demand_angry"]
PC_DEMAND: list[str] = _slots["pc_demand"]
PC_DEMAND_ANGRY: list[str] = _slots["pc_demand_angry"]
IR_REQ: list[str] = _slots["ir_req"]
TY_WHEN: list[str] = _slots["ty_when"]
TY_RESOLVER: dict[str, list[str]] = _slots["ty_resolver"]
TY_PRAISE: list[str] = _slots["ty_praise"]
TONE_PRE: dict[str, list[str]] = _slots["tone_pre"]
TONE_SUF: dict[str, list[str]] = _slots["tone_suf"]
SERVICE_NEGATIVE: list[str] = _slots["service_negative"]
TIMELINE: list[str] = _slots["timeline"]
TRIED: list[str] = _slots["tried"]
IMPACT: dict[str, list[str]] = _slots["impact"]
DETAIL: list[str] = _slots["detail"]
OPENERS: dict[str, list[str]] = _slots["openers"]
CLOSINGS: dict[str, list[str]] = _slots["closings"]
FORMAL_CLOSINGS: list[str] = _slots["formal_closings"]
FORM_TITLES: list[str] = _slots["form_titles"]
NOTE_HEADERS: list[str] = _slots["note_headers"]
NOTE_REQ: dict[str, list[str]] = _slots["note_req"]
NOTE_TONE: dict[str, list[str]] = _slots["note_tone"]
THIRD_PERSON: list[list[str]] = _slots["third_person"]
FORMAL_DATE: list[str] = _slots["formal_date"]
FORMAL_CHANNEL: list[str] = _slots["formal_channel"]
ADDRESSES: list[str] = _slots["addresses"]
NAMES: list[str] = _slots["names"]
BATCH_SIZES: list[str] = _slots["batch_sizes"]

_noise = load("noise.json")
TYPOS: list[list[str]] = _noise["typos"]
DIALECTS: dict[str, list[list[str]]] = _noise["dialects"]
DIALECT_TAILS: dict[str, list[str]] = _noise["dialect_tails"]
ENGLISH: list[list[str]] = _noise["english"]
ENGLISH_CASE: list[tuple[str, list[str]]] = [(word, spellings) for word, spellings in _noise["english_case"]]
EMOJI: dict[str, list[str]] = _noise["emoji"]
FILLERS: list[str] = _noise["fillers"]

_checks = load("checks.json")
ANGER_MARKERS: list[str] = _checks["anger_markers"]
STRONG_ANGER: list[str] = _checks["strong_anger"]
POSITIVE_MARKERS: list[str] = _checks["positive_markers"]

_ASCII_LETTER = re.compile(r"[A-Za-z]")


def is_code(mention: str) -> bool:
    """A mention that spells the model code (any casing or width)."""
    return bool(_ASCII_LETTER.search(unicodedata.normalize("NFKC", mention)))
