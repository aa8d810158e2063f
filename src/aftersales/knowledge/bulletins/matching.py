"""Does a new ticket describe a known issue? Pure functions (text in, decision out), table-tested.

A ticket matches a bulletin when all of these hold:

1. **Product** — the ticket's model is among the affected models, or the bulletin lists none. A ticket
   without a model matches when its text names an affected model (``YL-S7``, ``ys7``, ``S7``).
2. **Version** — when the text names a version (``2.3.1``, ``v5.0``, ``固件 2.3``) and the bulletin lists
   affected versions, one named version is affected (a prefix counts: ``2.3`` ~ ``2.3.1``).
3. **Cues** — every cue hits. A cue is a set of alternatives written ``指纹|手指|指头``. An alternative
   hits when it is in the text (after NFKC and lower case); or all its finest jieba search-mode words
   (``lcut_for_search``, the same on both sides; 识别失败 → 识别 + 失败) are among the text's; or the text has a run of the
   same length that differs in exactly one character by a known input-method slip (``CONFUSABLE``:
   homophones and traditional forms such as 冲 for 充, 文 for 纹, 为 for 位 — so 冲不进 hits 充不进, but
   连不上 never hits 充不上). Synonyms (the 售后辞典 table) widen each alternative.
   Product names (指纹锁, 学习机…) are blanked out of the text first: they name the product, not the
   fault, so 指纹锁没电了 does not hit the cue 指纹.

A bulletin without cues is never linked automatically (only by hand). The score of a match (for the
agent's ordering, stored on the link) is 0.6 plus 0.4 × the share of the text's character bigrams
found in the bulletin's title, cause and cues.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from aftersales.knowledge import tokens

PRODUCT_NOUNS = (
    "人脸识别智能锁",
    "全自动推拉智能锁",
    "智能门锁",
    "智能锁",
    "指纹锁",
    "人脸锁",
    "猫眼锁",
    "密码锁",
    "电子锁",
    "全自动锁",
    "推拉锁",
    "学习平板",
    "学习机",
    "儿童电话手表",
    "电话手表",
    "儿童手表",
    "净水器",
    "净水机",
    "晾衣机",
    "晾衣架",
)
# Groups of characters typed for one another (pinyin input homophones, traditional forms) in customers'
# messages; one such slip per alternative is forgiven.
CONFUSABLE = (
    "充冲",
    "纹文闻紋",
    "位为未",
    "定订",
    "进近",
    "锁所鎖",
    "板版",
    "屏平",
    "刷涮",
    "识试識",
    "别別",
    "灵零靈",
    "电點電",
    "键建鍵",
    "应因應",
    "认人認",
    "账帐",
    "号好號",
    "响想響",
)
_SLIPS = frozenset((a, b) for group in CONFUSABLE for a in group for b in group if a != b)
_VERSION_PATTERNS = (
    re.compile(r"(?<![\d.])(\d+(?:\.\d+){2,3})(?![\d.])"),
    re.compile(r"(?:v|版本|固件|系统|app|升级到|更新到|升到)\s*(\d+(?:\.\d+)+)(?![\d.])"),
)
_CJK = re.compile(r"[\u4e00-\u9fff]+")
BASE_SCORE = 0.6


@dataclass(frozen=True)
class Alternative:
    """One way of saying a cue: its normalised text and jieba words."""

    text: str
    words: frozenset[str]


@dataclass(frozen=True)
class BulletinCues:
    """What matching needs of a bulletin, prepared once (the intake cache holds these)."""

    bulletin_id: int
    product_models: frozenset[str]
    versions: tuple[str, ...]
    cues: tuple[tuple[Alternative, ...], ...]
    profile: frozenset[str]


@dataclass(frozen=True)
class TicketText:
    """A ticket's description prepared once for every bulletin it is compared with."""

    text: str
    words: frozenset[str]
    bigrams: frozenset[str]
    versions: tuple[str, ...]


def normalise_model(model: str) -> str:
    """A product model as compared: NFKC, lower case, no spaces (``ＹＬ－Ｓ７`` → ``yl-s7``)."""
    return tokens.normalise(model).replace(" ", "")


def _split_alternatives(cue: str) -> list[str]:
    return [part for part in (tokens.normalise(piece) for piece in re.split(r"[|｜]", cue)) if part]


def _bigrams(text: str) -> set[str]:
    return {run[i : i + 2] for run in _CJK.findall(text) for i in range(len(run) - 1)}


def alternative_words(text: str) -> frozenset[str]:
    """The finest jieba words of an alternative (识别失败 → 识别, 失败), or none when they do not cover
    every character (没反应 loses the stop word 没: only the whole phrase may hit then)."""
    found = set(tokens.words(text))
    finest = {word for word in found if not any(other != word and other in word for other in found)}
    if not finest or any(not any(char in word for word in finest) for char in text if not char.isspace()):
        return frozenset()
    return frozenset(finest)


def compile_cues(
    *,
    bulletin_id: int,
    title: str,
    cause: str = "",
    product_models: Iterable[str] = (),
    versions: Iterable[str] = (),
    keywords: Iterable[str] = (),
    synonyms: Mapping[str, Sequence[str]] | None = None,
) -> BulletinCues:
    """Prepare a bulletin's cues (with synonyms) for matching."""
    cues: list[tuple[Alternative, ...]] = []
    for cue in keywords:
        texts: list[str] = []
        for text in _split_alternatives(cue):
            for candidate in (text, *(tokens.normalise(alias) for alias in (synonyms or {}).get(text, ()))):
                if candidate and candidate not in texts:
                    texts.append(candidate)
        if texts:
            cues.append(tuple(Alternative(text=text, words=alternative_words(text)) for text in texts))
    profile = _bigrams(tokens.normalise(" ".join([title, cause, *keywords])))
    return BulletinCues(
        bulletin_id=bulletin_id,
        product_models=frozenset(normalise_model(model) for model in product_models if model.strip()),
        versions=tuple(tokens.normalise(version).lstrip("v") for version in versions if version.strip()),
        cues=tuple(cues),
        profile=frozenset(profile),
    )


def prepare_text(description: str) -> TicketText:
    """Normalise a description, blank out product names, and tokenise it once."""
    text = tokens.normalise(description)
    versions = tuple(dict.fromkeys(match for pattern in _VERSION_PATTERNS for match in pattern.findall(text)))
    for noun in PRODUCT_NOUNS:
        text = text.replace(noun, " ")
    return TicketText(
        text=text, words=frozenset(tokens.words(text)), bigrams=frozenset(_bigrams(text)), versions=versions
    )


def _mentions_model(text: str, model_key: str) -> bool:
    short = model_key.rsplit("-", 1)[-1]
    prefix = re.escape(model_key[: -len(short)].rstrip("-"))
    optional_prefix = f"(?:{prefix}-?)?" if prefix else ""
    return re.search(rf"(?<![a-z0-9]){optional_prefix}{re.escape(short)}(?![a-z0-9])", text) is not None


def product_fits(cues: BulletinCues, *, product_model: str | None, text: TicketText) -> bool:
    """Rule 1: the ticket's product is affected (or named in the text when the ticket has none)."""
    if not cues.product_models:
        return True
    if product_model and product_model.strip():
        return normalise_model(product_model) in cues.product_models
    return any(_mentions_model(text.text, model) for model in cues.product_models)


def version_fits(cues: BulletinCues, text: TicketText) -> bool:
    """Rule 2: a version named in the text is an affected one (or no version is named)."""
    if not cues.versions or not text.versions:
        return True
    return any(
        named == affected or affected.startswith(named + ".") or named.startswith(affected + ".")
        for named in text.versions
        for affected in cues.versions
    )


def _one_slip(needle: str, text: str) -> bool:
    size = len(needle)
    for start in range(len(text) - size + 1):
        window = text[start : start + size]
        differing = [(a, b) for a, b in zip(needle, window, strict=True) if a != b]
        if len(differing) == 1 and differing[0] in _SLIPS:
            return True
    return False


def alternative_hits(alternative: Alternative, text: TicketText) -> bool:
    """Rule 3 for one alternative: substring, all jieba words, or one input-method slip."""
    if alternative.text in text.text:
        return True
    if alternative.words and alternative.words <= text.words:
        return True
    return len(alternative.text) >= 2 and _one_slip(alternative.text, text.text)


def match(cues: BulletinCues, *, product_model: str | None, text: TicketText) -> float | None:
    """The match score (0.6–1.0) when the ticket matches the bulletin, else None."""
    if not cues.cues or not product_fits(cues, product_model=product_model, text=text):
        return None
    if not version_fits(cues, text):
        return None
    if not all(any(alternative_hits(alternative, text) for alternative in cue) for cue in cues.cues):
        return None
    coverage = len(text.bigrams & cues.profile) / len(text.bigrams) if text.bigrams else 0.0
    return round(BASE_SCORE + (1 - BASE_SCORE) * coverage, 4)


def match_description(cues: BulletinCues, *, product_model: str | None, description: str) -> float | None:
    """``match`` on raw text (tests and one-off checks)."""
    return match(cues, product_model=product_model, text=prepare_text(description))
