"""The stories: a fault told as a repair, urgent repair, repeated failure, question, complaint, installation
or thanks (first person, or as a hotline agent's note), and the non-fault topics."""

from __future__ import annotations

import random

from compose import (
    Draft,
    add_noise,
    allowed_products,
    extra_info,
    join,
    labels,
    make_core,
    phone,
    pick_mention,
    pick_register,
    polish_core,
    scoped,
    third_person,
    tone_for,
    tone_prefix,
    tone_suffix,
    wrap,
)
from phrasebook import (
    ADDRESSES,
    BACKGROUND,
    CONTEXT,
    CQ_GENERIC,
    DETAIL,
    FAMILY,
    FORMAL_CHANNEL,
    FORMAL_DATE,
    GENERIC_LOCK,
    IMPACT,
    IR_REQ,
    LOCK,
    LOCK_URGENCIES,
    MAILIN_REQ,
    MENTIONS,
    NAMES,
    NO_TRYING,
    NOTE_HEADERS,
    NOTE_REQ,
    NOTE_TONE,
    ONSITE_FAMILIES,
    ONSITE_REQ,
    PC_DEMAND,
    PC_DEMAND_ANGRY,
    PR_AGE,
    PR_DEMAND,
    PR_DEMAND_ANGRY,
    RC_HISTORY,
    RC_HISTORY_ANGRY,
    RC_REQ,
    REMOTE_REQ,
    SERVICE_NEGATIVE,
    STORIES,
    TERSE_URGENT,
    TIME_CONTEXT,
    TIMELINE,
    TONE_SUF,
    TOPIC_STORY,
    TRIED,
    TY_PRAISE,
    TY_RESOLVER,
    TY_WHEN,
    URGENT,
    URGENT_TIME,
    Fault,
    Phrase,
    Topic,
)

# --- fault messages ---------------------------------------------------------------------------------------


def body_parts(d: Draft, fault: Fault, phrase: Phrase, core: str, terse: bool) -> list[str]:
    """The story's clauses after the opener (first person)."""
    rng = d.rng
    story = d.story
    pre = tone_prefix(d) if not terse else ""
    fam = d.family
    parts: list[str] = []
    if terse:
        tails = {
            "rr": ("", "", "求修", "报修", "修一下"),
            "ru": ("！快来人",),
            "rc": ("，又坏了，修过两次了", "，修完又这样"),
            "cq": ("？正常吗", "，啥原因？", "，咋回事"),
            "pr": ("，我要投诉",),
            "pc": ("，修两次了，要求退货",) if not (fault.damage and fault.urgent) else ("，要求赔偿", "，谁来赔？"),
            "ir": ("",),
            "ty": ("的问题好了，谢谢👍", "，搞定了，谢谢"),
        }[story]
        tail = rng.choice(tails)
        if story == "ru":
            tail = rng.choice(TERSE_URGENT[fault.urgent])
        if story == "cq" and phrase.question:
            tail = "？"
        elif story == "cq" and not fault.generic_questions and fault.questions:
            tail = "，" + scoped(fault.questions, fam)[0]
        if story == "rc":
            d.negative_slot = True
        return [core + tail]
    contexts = TIME_CONTEXT if d.register in ("long", "formal") else CONTEXT
    if story == "rr":
        ctx = rng.choice(contexts) if rng.random() < 0.55 and phrase.mode != "person" else ""
        if pre.endswith("就是"):
            ctx = ""
        parts.append(pre + ctx + core)
        suf = tone_suffix(d, bool(pre))
        requests: list[str]
        if fault.remote:
            requests = REMOTE_REQ
        elif fam in ONSITE_FAMILIES:
            requests = ONSITE_REQ
        else:
            requests = MAILIN_REQ
        parts += [suf, rng.choice(requests)]
    elif story == "ru":
        table = URGENT[fault.urgent]
        parts.append(pre + rng.choice(URGENT_TIME) + core)
        if table["primary"]:
            parts.append(rng.choice(table["primary"]))
        if table["aggravators"] and (not table["primary"] or rng.random() < 0.45):
            parts.append(rng.choice(table["aggravators"]))
        parts.append(tone_suffix(d, bool(pre)))
        parts.append(rng.choice(scoped(table["requests"], fam)))
    elif story == "rc":
        parts.append(pre + core)
        onsite = fam in ONSITE_FAMILIES
        if d.tone == "angry" and rng.random() < 0.6:
            parts.append(rng.choice(RC_HISTORY_ANGRY))
            d.history_angry = True
        else:
            histories = [t for s, t in RC_HISTORY if s == "*" or (s == "o") == onsite]
            parts.append(rng.choice(histories))
        d.negative_slot = True
        if rng.random() < 0.3 or d.register == "long":
            parts.append(rng.choice(scoped(TIMELINE, fam)))
        parts += [tone_suffix(d, bool(pre) or d.history_angry), rng.choice(RC_REQ)]
    elif story == "cq":
        questions = list(phrase.questions) or scoped(fault.questions, fam)
        if not phrase.questions and not phrase.question and fault.generic_questions:
            questions += list(CQ_GENERIC)
        ctx = rng.choice(contexts) if rng.random() < 0.3 and not phrase.question and phrase.mode == "obj" else ""
        if pre.endswith("就是"):
            ctx = ""
        if phrase.question:
            lead = rng.choice(("请问", "想问一下", "问下", "")) if not pre else ""
            parts.append(pre + lead + core + "？")
            follow = rng.choice(questions) if questions and rng.random() < 0.6 else ""
            parts.append(follow)
            parts.append(tone_suffix(d, bool(pre)))
        else:
            parts.append(pre + ctx + core)
            parts.append(tone_suffix(d, bool(pre)))
            parts.append(rng.choice(questions))
    elif story == "pr":
        age = rng.choice(PR_AGE)
        if rng.random() < 0.5:
            parts.append(pre + age + "，" + core)
        else:
            parts += [pre + core, age + "！" if d.tone == "angry" else age]
        parts.append(tone_suffix(d, bool(pre)))
        demands = PR_DEMAND_ANGRY if d.tone == "angry" and rng.random() < 0.6 else PR_DEMAND
        parts.append(rng.choice(demands))
    elif story == "pc":
        if fault.damage and fault.urgent:
            parts.append(pre + core)
            parts.append(rng.choice(fault.damage))
        else:
            parts.append(pre + core)
            onsite = fam in ONSITE_FAMILIES
            if d.tone == "angry" and rng.random() < 0.5:
                parts.append(rng.choice(RC_HISTORY_ANGRY))
                d.history_angry = True
            else:
                histories = list(fault.history) or [t for s, t in RC_HISTORY if s == "*" or (s == "o") == onsite]
                parts.append(rng.choice(histories))
            if not fault.history and (rng.random() < 0.35 or d.register == "long"):
                parts.append(rng.choice(scoped(TIMELINE, fam)))
        parts.append(tone_suffix(d, bool(pre) or d.history_angry))
        demands = PC_DEMAND_ANGRY if d.tone == "angry" and rng.random() < 0.7 else PC_DEMAND
        parts.append(rng.choice(demands))
    elif story == "ir":
        parts.append(pre + core)
        parts.append(rng.choice(IR_REQ))
        if d.tone == "positive":
            parts.append(rng.choice(TONE_SUF["positive"]) if rng.random() < 0.4 else "")
        if rng.random() < 0.5:
            d.extras.append(extra_info(d))
    elif story == "ic":
        parts.append(pre + core)
        parts.append(rng.choice(fault.ic_requests))
        if rng.random() < 0.6:
            d.extras.append(f"联系人{rng.choice(NAMES)}，{phone(rng)}")
    elif story == "ty":
        when = rng.choice(TY_WHEN)
        if fault.id == "installation_request" or (fault.id == "door_compatibility"):
            resolvers = TY_RESOLVER["install"]
        elif fault.remote:
            resolvers = TY_RESOLVER["remote"]
        else:
            resolvers = TY_RESOLVER["onsite" if fam in ONSITE_FAMILIES else "mailin"]
        lead = pre if d.tone == "tricky_positive" else ""
        if phrase.stories == ("ty",) or rng.random() < 0.5:
            parts.append(when + core)
        else:
            parts.append(when + core + "的问题")
        parts.append(rng.choice(resolvers))
        parts.append(lead + rng.choice(TY_PRAISE))
    if story in ("rr", "ru", "rc") and rng.random() < 0.25:
        extra = extra_info(d)
        if story == "ru" and not extra.startswith(("地址", "电话")):
            extra = f"地址：{rng.choice(ADDRESSES)}"
        d.extras.append(extra)
    long = d.register == "long"
    if story in ("rr", "rc", "pr", "cq") and long and fault.id not in NO_TRYING:
        parts.insert(1, rng.choice(scoped(TRIED, fam)))
    lockout = story == "ru" and fault.urgent in ("access", "outside", "inside")
    if (story in ("rr", "rc", "pr", "pc", "cq") or lockout) and (long or rng.random() < 0.3) and d.register != "note":
        parts.insert(1, rng.choice(BACKGROUND[fam]))
    if long and story in ("rr", "rc", "pr", "pc") and fault.id not in NO_TRYING:
        parts.insert(2, rng.choice(IMPACT[fam]))
    if long and story in ("rr", "cq") and fault.id not in NO_TRYING and not phrase.question:
        parts.insert(1, rng.choice(DETAIL))
    if long and story in ("rr", "rc", "pc", "cq"):
        bought = f"{rng.choice(FORMAL_DATE)}在{rng.choice(FORMAL_CHANNEL)}买的"
        parts.insert(0, bought + rng.choice(("，", "，之前一直正常，", "，")))
    if long and story not in ("ty",):
        d.extras.append(extra_info(d, ("order", "time") if d.extras else ("addr_phone", "order", "phone")))
    if story == "pc" and rng.random() < 0.4:
        d.extras.append(rng.choice(("工单号", "订单号")) + str(rng.randint(10**9, 10**11)))
    return parts


def note_text(d: Draft, fault: Fault | None, core: str, slot: str) -> str:
    """A hotline agent's third-person record of the call."""
    rng = d.rng
    story = d.story
    if story == "rr" and fault is not None and fault.remote:
        key = "rr_remote"
    elif story == "rr" and d.family not in ONSITE_FAMILIES:
        key = "rr_mailin"
    else:
        key = story
    if story == "ty":
        parts = [rng.choice(NOTE_HEADERS) + "此前" + third_person(core) + "的问题已解决"]
    else:
        parts = [rng.choice(NOTE_HEADERS) + third_person(core)]
    if slot:
        parts.append(third_person(slot))
    if d.tone == "angry":
        parts.append(rng.choice(NOTE_TONE["angry_complaint" if story in ("pr", "pc") else "angry_repair"]))
    elif d.tone == "negative":
        parts.append(rng.choice(NOTE_TONE["negative"]))
    elif d.tone == "positive" and story != "ty":
        parts.append(rng.choice(NOTE_TONE["positive"]))
    if story == "ru" and d.family not in ONSITE_FAMILIES:
        key = "ru_mailin"
    if story == "ic" and fault is not None and fault.id == "door_compatibility":
        key = "ic_door"
    parts.append(rng.choice(NOTE_REQ[key]))
    return join(parts) + "。"


def compose_fault(rng: random.Random, fault: Fault, phrase: Phrase, story: str) -> dict[str, object]:
    register = pick_register(rng, story, phrase)
    terse = register == "terse"
    tone = tone_for(rng, story, register)
    if phrase.negative and tone != "negative":
        tone = "negative" if rng.random() < 0.5 else "neutral"
    if tone == "tricky_negative" and (phrase.question or fault.id in ("installation_request", "door_compatibility")):
        tone = "neutral"  # nothing in use yet to be unhappy with
    products = allowed_products(fault.products, phrase)
    if story == "ru" and fault.urgent in LOCK_URGENCIES:
        products = tuple(p for p in products if FAMILY[p] == "lock")
    assert products, (fault.id, phrase.text, story)
    mention, model = pick_mention(rng, products, phrase, terse)
    if model is None:
        model = phrase.implied
    if mention is not None and model is None:
        family = "lock"
    elif model is not None:
        family = FAMILY[model]
    else:
        family = FAMILY[products[0]] if products else "lock"
    if phrase.mode == "template" and mention is None:
        # only lock phrases fall back to the line's noun (generic, unidentifiable)
        mention = rng.choice(GENERIC_LOCK[:3])
    d = Draft(rng, story, tone, register, family, model)
    if register in ("form", "formal") and phrase.mode == "obj":
        core = phrase.text
    else:
        core = polish_core(make_core(d, phrase, mention, terse))
    if story == "pc" and fault.damage and fault.urgent:  # a past incident, not one going on now
        core = rng.choice(("上周", "前几天", "上个月", "前天")) + core
    if register == "note":
        slot = ""
        if story == "ru":
            table = URGENT[fault.urgent]
            slot = rng.choice(table["primary"] or table["aggravators"])
        elif story in ("rc", "pc"):
            slot = (
                rng.choice(fault.damage)
                if (story == "pc" and fault.damage and fault.urgent)
                else rng.choice(list(fault.history) or [t for s, t in RC_HISTORY if s == "*"])
            )
            d.negative_slot = True
        if story == "ty":
            d.tone = "positive"
        text = note_text(d, fault, core, slot)
    else:
        parts = body_parts(d, fault, phrase, core, terse)
        text = wrap(d, parts, mention, phrase, terse)
    text = add_noise(d, text)
    return labels(d, text, STORIES[story], fault.id, phrase.negative)


# --- topic messages (no fault) ----------------------------------------------------------------------------


def compose_topic(rng: random.Random, topic: Topic, phrase: Phrase) -> dict[str, object]:
    story = topic.story
    register = pick_register(rng, story, phrase)
    terse = register == "terse"
    weights_key = {"cq": "topic", "thanks": "thanks"}.get(story, story)
    tone = tone_for(rng, weights_key, register)
    products = allowed_products(topic.products, phrase)
    model: str | None = None
    core = phrase.text
    said = ""  # an up-front product mention ("买的是F3，")
    family = FAMILY[products[0]] if products else "lock"
    if "{m2}" in core:
        first, second = rng.sample([p for p in products if p != LOCK], 2)
        core = core.replace("{m}", rng.choice(MENTIONS[first])).replace("{m2}", rng.choice(MENTIONS[second]))
        family = "lock"
    elif "{m}" in core:
        specific = [p for p in products if p != LOCK]
        if rng.random() < 0.8 or LOCK not in products:
            chosen = rng.choice(specific)
            core = core.replace("{m}", rng.choice(MENTIONS[chosen]))
            model, family = chosen, FAMILY[chosen]
        else:
            core = core.replace("{m}", rng.choice(GENERIC_LOCK[:5]))
    elif not terse and rng.random() < 0.3:
        chosen = rng.choice([p for p in products if p != LOCK])
        mention = rng.choice(MENTIONS[chosen])
        if story in ("pr", "pc"):
            lead = rng.choice(("报修的是{m}，", "（产品：{m}）", "我家{m}报修，"))
        else:
            lead = rng.choice(("买的是{m}，", "我家用的是{m}，", "（{m}）", "{m}："))
        said = lead.format(m=mention)
        model, family = chosen, FAMILY[chosen]
    if model is None and phrase.implied and "{m2}" not in phrase.text:
        model = phrase.implied
    d = Draft(rng, story, tone, register, family, model)
    if register == "note":
        key = {"cq": "cq", "pr": "pr", "pc": "pc", "thanks": "ty"}[story]
        header = rng.choice(NOTE_HEADERS)
        parts = [header + third_person(said + core)]
        if tone == "angry":
            parts.append(rng.choice(NOTE_TONE["angry_complaint"]))
        elif tone == "positive" and story == "cq":
            parts.append(rng.choice(NOTE_TONE["positive"]))
        elif story in ("pr", "pc") and rng.random() < 0.5:
            parts.append(rng.choice(NOTE_TONE["negative"]))
        if story == "cq":
            parts.append(rng.choice(("已告知", "已解答", "已转相关部门", "")))
        else:
            parts.append(rng.choice(NOTE_REQ[key]))
        if story == "thanks":
            d.tone = "positive"
        text = join(parts) + "。"
    else:
        pre = tone_prefix(d) if not terse else ""
        parts = []
        if story == "cq":
            if tone == "tricky_neutral" and not pre.endswith("就是"):
                pre += rng.choice(("就是", "只是"))
            if pre.endswith(("就是", "只是")):
                pre += rng.choice(("想问问", "想问一下", "想确认下"))
            quiet = pre or terse or register == "hotline"
            lead = "" if quiet else rng.choice(("", "请问", "问一下", "想咨询下", "你好，请问"))
            parts.append(said + pre + lead + core + ("？" if not terse or rng.random() < 0.5 else ""))
            if tone == "positive" and rng.random() < 0.5:
                parts.append(rng.choice(TONE_SUF["positive"]))
        elif story in ("pr", "pc"):
            parts.append(said + pre + core)
            if not terse:
                suffix = tone_suffix(d, bool(pre))
                if tone == "negative" and suffix:
                    suffix = rng.choice(SERVICE_NEGATIVE)
                parts.append(suffix)
            if tone == "angry" and rng.random() < 0.6:
                parts.append(rng.choice(PR_DEMAND_ANGRY if story == "pr" else PC_DEMAND_ANGRY))
            else:
                parts.append(rng.choice(topic.follow))
            if rng.random() < 0.3 and not terse:
                d.extras.append(extra_info(d))
        else:  # thanks
            name = rng.choice(("刘", "王", "张", "陈", "黄", "李"))
            parts.append(said + pre + core.replace("王师傅", f"{name}师傅"))
            if rng.random() < 0.5 and not terse:
                parts.append(rng.choice(TY_PRAISE))
        text = wrap(d, parts, None, phrase, terse)
    text = add_noise(d, text)
    row = labels(d, text, TOPIC_STORY[story], None, False)
    row["_multi"] = "{m2}" in phrase.text
    return row
