"""Composing one message: product mention, tone, closing, register framing (app chat, WeChat, hotline, web
form, formal letter, terse) and noise, plus the labels that follow from what was chosen."""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from phrasebook import (
    ADDRESSES,
    BATCH_SIZES,
    CLOSINGS,
    DIALECT_TAILS,
    DIALECTS,
    EMOJI,
    ENGLISH,
    ENGLISH_CASE,
    FAMILY,
    FAMILY_NOUN,
    FILLERS,
    FORM_TITLES,
    FORMAL_CHANNEL,
    FORMAL_CLOSINGS,
    FORMAL_DATE,
    GENERIC_LOCK,
    LOCK,
    MENTIONS,
    NAMES,
    ONSITE_FAMILIES,
    OPENERS,
    PREFIX,
    REGISTERS,
    THIRD_PERSON,
    TONE_PRE,
    TONE_SUF,
    TONE_WEIGHTS,
    TYPOS,
    Phrase,
    is_code,
)

_ENDS = ("。", "！", "？", "!", "?", "~", "…", "：", "，", "、", "；", " ")


def join(parts: list[str]) -> str:
    """Join clauses with "，" unless the previous one already ends a sentence (or is an emoji)."""
    out = ""
    for part in parts:
        if not part:
            continue
        if not out:
            out = part
        elif (
            out.endswith(_ENDS)
            or not _is_text(out[-1])
            or not _is_text(part[0])
            or part.startswith(("（", "(", "，", "。", "！", "？"))
        ):
            out += part
        else:
            out += "，" + part
    return out


def _is_text(char: str) -> bool:
    return unicodedata.category(char)[0] in ("L", "N") or char in "）)[]"


@dataclass
class Draft:
    """A message being composed, with what decides its labels."""

    rng: random.Random
    story: str
    tone: str
    register: str
    family: str
    model: str | None
    history_angry: bool = False
    negative_slot: bool = False
    extras: list[str] = field(default_factory=list)


def choose_weighted(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def scoped(items: Sequence[str], family: str, remote: bool = False) -> list[str]:
    """Items like "onsite|text", "mailin|text", "lock|text" filtered for a family."""
    chosen = []
    for item in items:
        if "|" in item:
            scope, text = item.split("|", 1)
            onsite = family in ONSITE_FAMILIES
            if (
                scope == family
                or (scope == "onsite" and onsite)
                or (scope == "mailin" and not onsite)
                or (scope == "remote" and remote)
            ):
                chosen.append(text)
        else:
            chosen.append(item)
    return chosen


def pick_mention(
    rng: random.Random, products: tuple[str, ...], phrase: Phrase, terse: bool
) -> tuple[str | None, str | None]:
    """(mention text or None, model it identifies or None)."""
    specific = [p for p in products if p != LOCK]
    generic = LOCK in products
    template = phrase.mode == "template"
    allow_none = not template and (phrase.implied is not None or all(FAMILY[p] == "lock" for p in products))
    if phrase.mode == "named":
        if rng.random() < 0.6 or not specific:
            return None, None
        model = rng.choice(specific)
        return rng.choice([m for m in MENTIONS[model] if is_code(m)]), model
    options: dict[str, float] = {}
    if specific:
        options["specific"] = 0.5
    if generic:
        options["generic"] = 0.25
    if allow_none:
        options["none"] = 0.45 if terse else 0.25
    which = choose_weighted(rng, options)
    if which == "none":
        return None, None
    if which == "generic":
        return rng.choice(GENERIC_LOCK[1:5] if phrase.mode == "person" else GENERIC_LOCK), None
    model = rng.choice(specific)
    return rng.choice(MENTIONS[model]), model


def make_core(d: Draft, phrase: Phrase, mention: str | None, terse: bool) -> str:
    """The product mention combined with the symptom phrasing."""
    rng = d.rng
    text = phrase.text
    if phrase.mode == "template":
        filled = text.replace("{n}", rng.choice(BATCH_SIZES))
        if "{m2}" in filled:
            return filled
        return filled.replace("{m}", mention or FAMILY_NOUN[d.family])
    if mention is None:
        return text
    pre = "" if terse else rng.choice(PREFIX[d.family])
    code = is_code(mention)
    if phrase.mode == "named":
        pats = ["{s}，型号是{m}", "{s}（{m}）", "{s}，是{m}"]
    elif phrase.mode == "person":
        if d.family == "lock":
            pats = ["{s}，家里装的是{m}", "{s}，用的是{m}", "家里用的是{m}，{s}", "{s}（{m}）"]
        else:
            pats = ["{p}{m}，{s}", "{s}（{m}）"]
    else:
        pats = ["{p}{m}{s}", "{p}{m}，{s}"]
        if not terse:
            pats += ["{p}{m}出了点问题，{s}", "{p}{m}有个问题：{s}"]
            if code:
                pats += ["{s}，型号是{m}", "{s}（型号{m}）"]
    return rng.choice(pats).format(p=pre, m=mention, s=text)


def polish_core(core: str) -> str:
    # "门锁锁…" / "锁锁…" can appear when a generic mention meets a phrase starting with 锁.
    return core.replace("锁锁", "锁")


def tone_prefix(d: Draft) -> str:
    options = TONE_PRE.get(d.tone)
    if not options:
        return ""
    if d.tone in ("angry",) and d.rng.random() < 0.35:
        return ""
    if d.tone in ("negative",) and d.rng.random() < 0.5:
        return ""
    return d.rng.choice(options).format(noun=FAMILY_NOUN[d.family])


def tone_suffix(d: Draft, has_prefix: bool) -> str:
    options = TONE_SUF.get(d.tone)
    if not options:
        return ""
    if d.tone == "sarcastic" or (d.tone in ("angry", "tricky_negative") and not has_prefix):
        return d.rng.choice(options)
    if d.tone == "negative":  # said once: either as a prefix or here
        return "" if has_prefix else d.rng.choice(options)
    return d.rng.choice(options) if d.rng.random() < 0.5 else ""


def closing(d: Draft) -> str:
    tone = d.tone
    if d.story == "ru" and tone in ("neutral", "distress"):
        return d.rng.choice(CLOSINGS["urgent"])
    if tone in ("angry", "sarcastic"):
        return d.rng.choice(CLOSINGS["angry"])
    if tone in ("negative", "tricky_negative"):
        return d.rng.choice(CLOSINGS["negative"])
    if tone in ("positive", "tricky_positive"):
        return d.rng.choice(CLOSINGS["positive"])
    if tone == "polite":
        return d.rng.choice(CLOSINGS["polite"])
    return d.rng.choice(CLOSINGS["neutral"])


def phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randint(0, 9)}****{rng.randint(0, 9999):04d}"


def extra_info(d: Draft, kinds: tuple[str, ...] = ("addr", "order", "phone", "time", "addr_phone")) -> str:
    rng = d.rng
    kind = rng.choice(kinds)
    if kind == "addr":
        return f"地址：{rng.choice(ADDRESSES)}{rng.randint(1, 30)}栋{rng.randint(1, 32)}0{rng.randint(1, 6)}"
    if kind == "order":
        label = rng.choice(("订单号", "单号", "京东订单", "工单号"))
        return f"{label}{rng.choice(('：', ':', ' '))}{rng.randint(10**11, 10**13 - 1)}"
    if kind == "phone":
        return f"电话{phone(rng)}"
    if kind == "time":
        return rng.choice(("明天上午在家", "今天下午三点后有人", "周六全天在家", "晚上7点后方便"))
    return f"{rng.choice(ADDRESSES)}，{rng.choice(NAMES)}，{phone(rng)}"


def tone_for(rng: random.Random, story: str, register: str) -> str:
    weights = dict(TONE_WEIGHTS[story])
    if register == "note":
        for tone in ("tricky_neutral", "tricky_negative", "sarcastic", "distress", "tricky_positive"):
            weights.pop(tone, None)
    if register == "terse":
        weights = {"positive": 1} if story in ("ty", "thanks") else {"neutral": 1}
    return choose_weighted(rng, weights)


def pick_register(rng: random.Random, story: str, phrase: Phrase) -> str:
    weights = dict(REGISTERS)
    if len(phrase.text) <= 6:  # short phrasings often arrive as short messages
        weights["terse"] = 5
    if story in ("ty", "thanks"):
        weights.pop("form")
    if story in ("ic",):
        weights.pop("terse")
    return choose_weighted(rng, weights)


def third_person(text: str) -> str:
    for first, third in THIRD_PERSON:
        text = text.replace(first, third)
    return text


def allowed_products(products: tuple[str, ...], phrase: Phrase) -> tuple[str, ...]:
    chosen = products
    if phrase.families:
        chosen = tuple(p for p in chosen if FAMILY[p] in phrase.families)
    if phrase.implied:
        chosen = tuple(p for p in chosen if p == phrase.implied or (p == LOCK and FAMILY[phrase.implied] == "lock"))
    return chosen


def wrap(d: Draft, parts: list[str], mention: str | None, phrase: Phrase, terse: bool) -> str:
    """Register framing: opener, closing, form fields, formal letter, hotline fillers."""
    rng = d.rng
    register = d.register
    if terse:
        return join(parts)
    if register == "form":
        body = join([*parts, closing(d)])
        product = mention if (mention and phrase.mode == "obj") else rng.choice(("未填写", "请选择", "其他"))
        if phrase.mode != "obj" and mention and rng.random() < 0.5:
            product = "见描述"
        fields = [f"【{rng.choice(FORM_TITLES)}】产品：{product}", f"问题描述：{body}"]
        fields.append(f"联系电话：{phone(rng)}")
        if rng.random() < 0.6 and not any(extra.startswith("地址") for extra in d.extras):
            fields.append(f"地址：{rng.choice(ADDRESSES)}")
        fields += [extra for extra in d.extras if not extra.startswith("电话")]
        return "；".join(fields)
    if register == "formal":
        lead = rng.choice(OPENERS["formal"])
        if phrase.mode == "obj":
            noun = mention or ("智能门锁" if d.family == "lock" else "产品")
            if noun in ("锁", "大门的锁"):
                noun = "智能门锁"
            date = "" if d.story in ("pr", "pc") else rng.choice(FORMAL_DATE)
            purchase = f"本人{date}在{rng.choice(FORMAL_CHANNEL)}购买了贵司{noun}一台"
            parts = [purchase, *parts]
        end = rng.choice(FORMAL_CLOSINGS) if d.tone in ("neutral", "polite") else closing(d)
        has_contact = any("联系人" in extra or "****" in extra for extra in d.extras)
        contact = f"联系人：{rng.choice(NAMES)}，电话：{phone(rng)}" if rng.random() < 0.7 and not has_contact else ""
        text = lead + join([*parts, *d.extras]) + ("。" if not join(parts).endswith(_ENDS) else "")
        return join([text, end, contact])
    opener = rng.choice(OPENERS["chat" if register == "long" else register])
    if d.tone in ("angry", "sarcastic") and opener in ("亲，", "hi，", "hello，", "[抱拳]"):
        opener = ""
    if d.story in ("cq",) and register == "chat" and d.tone != "tricky_neutral" and rng.random() < 0.3:
        opener = rng.choice(("请问", "请问一下，", "想咨询一下，", "问一下，"))
    tail = [closing(d)]
    if register == "hotline":
        parts = [insert_filler(rng, p) if rng.random() < 0.4 else p for p in parts]
        text = opener + join([*parts, *d.extras])
        return join([text, *tail])
    text = opener + join([*parts, *d.extras, *tail])
    if register == "wechat" and rng.random() < 0.5:
        text = voice(rng, text)
    return text


def insert_filler(rng: random.Random, clause: str) -> str:
    if not clause:
        return clause
    return rng.choice(FILLERS) + rng.choice(("，", "", "…")) + clause


def voice(rng: random.Random, text: str) -> str:
    """WeChat voice-to-text: commas and full stops become spaces, a filler or two."""
    text = re.sub(r"[，。、；]", " ", text).strip()
    if rng.random() < 0.5:
        words = text.split(" ")
        at = rng.randrange(len(words))
        words.insert(at, rng.choice(FILLERS))
        text = " ".join(w for w in words if w)
    return text


def add_noise(d: Draft, text: str) -> str:
    rng = d.rng
    text = text.replace("请问一下，请问", "请问一下，").replace("问一下，请问", "问一下，")
    if rng.random() < 0.22:
        candidates = [pair for pair in TYPOS if pair[0] in text]
        for wrong in rng.sample(candidates, min(len(candidates), rng.choice((1, 1, 2)))):
            text = text.replace(wrong[0], wrong[1], 1)
    if rng.random() < 0.18:
        dialect = rng.choice(sorted(DIALECTS))
        changed = False
        for standard, regional in DIALECTS[dialect]:
            if standard in text and rng.random() < 0.8:
                text = text.replace(standard, regional)
                changed = True
        if not changed and d.register in ("chat", "wechat") and text[-1:] not in "！？!?":
            text = text.rstrip("。") + rng.choice(DIALECT_TAILS[dialect])
    if rng.random() < 0.15:
        for zh, en in ENGLISH:
            text = re.sub(r"(?<!好)" + re.escape(zh), en, text, count=1)
        if d.register in ("chat", "wechat") and rng.random() < 0.4 and d.tone in ("neutral", "polite", "positive"):
            text = rng.choice(("sorry打扰一下，", "hello，", "hi～")) + text if rng.random() < 0.5 else text + " pls"
    for word, variants in ENGLISH_CASE:
        if word in text and rng.random() < 0.4:
            text = text.replace(word, rng.choice(variants))
    if d.register in ("chat", "wechat") and rng.random() < 0.3:
        options: Sequence[str] = EMOJI.get(d.tone, ())
        if d.story == "ru" and d.tone in ("neutral", "polite"):
            options = ("🙏", "[抱拳]")
        if options:
            emoji = rng.choice(options)
            text = text + emoji if rng.random() < 0.7 else emoji + text
    if d.register == "chat" and rng.random() < 0.1:
        text = text.replace("，", rng.choice((",", " ", "。。")))
    return text


def labels(
    d: Draft, text: str, kind_priority: tuple[str, str], fault: str | None, negative_phrase: bool
) -> dict[str, object]:
    anger = 1 if d.tone in ("angry", "sarcastic") or d.history_angry else 0
    negative = d.tone in ("negative", "tricky_negative", "distress") or d.negative_slot or negative_phrase
    if anger or negative or d.story in ("pr", "pc"):
        sentiment = "negative"
    elif d.tone in ("positive", "tricky_positive") or d.story in ("ty", "thanks"):
        sentiment = "positive"
    else:
        sentiment = "neutral"
    kind, priority = kind_priority
    return {
        "text": text,
        "kind": kind,
        "priority": priority,
        "product_model": d.model,
        "fault_type": fault,
        "sentiment": sentiment,
        "anger": anger,
    }
