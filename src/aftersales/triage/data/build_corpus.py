"""Deterministic generator of the labelled Chinese after-sales message corpus (``corpus.jsonl``).

    python src/aftersales/triage/data/build_corpus.py           # rewrite corpus.jsonl, print the counts
    python src/aftersales/triage/data/build_corpus.py --check   # fail if corpus.jsonl is not what we'd write

Plain Python, stdlib only, one seeded ``random.Random``: the output is byte-identical on every run.
Every phrase below was written for this project (no copied data). Messages are composed from independent
slot lists: a scenario skeleton (fault + symptom phrasing + kind/priority story) picks the labels, and each
message of the skeleton draws its own product mention, opener, context, consequence, request, tone, closing,
register (app chat, WeChat, web form, hotline transcript, agent note, formal letter, terse) and noise
(typos, homophones, regional words, emoji, English). Messages of one skeleton share a ``group`` id so an
evaluation can split by group. See README.md next to this file for the labelling rules.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

SEED = 20261122
HERE = Path(__file__).resolve().parent
OUT = HERE / "corpus.jsonl"

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
FAMILY_NOUN = {"lock": "锁", "tablet": "平板", "watch": "手表", "purifier": "净水器", "airer": "晾衣架"}

# ---------------------------------------------------------------------------------------------------------
# Product mentions
# ---------------------------------------------------------------------------------------------------------

MENTIONS: dict[str, tuple[str, ...]] = {
    "YL-S7": (
        "YL-S7",
        "yl-s7",
        "YLS7",
        "S7",
        "s7",
        "YL S7",
        "YLS-7",
        "ＹＬ－Ｓ７",
        "YL-S7人脸识别智能锁",
        "S7人脸锁",
        "人脸识别锁",
        "人脸锁",
        "刷脸的那款锁",
        "YL-S7智能锁",
    ),
    "YL-F3": ("YL-F3", "yl-f3", "YLF3", "F3", "f3", "YL F3", "YL-F3指纹锁", "F3指纹锁", "F3那款指纹锁", "YL_F3"),
    "YL-P1": ("YL-P1", "yl-p1", "YLP1", "P1", "YL-P1猫眼锁", "猫眼锁", "带猫眼的锁", "可视猫眼锁", "P1猫眼锁"),
    "YL-A9": (
        "YL-A9",
        "yl-a9",
        "YLA9",
        "A9",
        "YL-A9全自动锁",
        "全自动智能锁",
        "全自动推拉锁",
        "推拉式全自动锁",
        "A9全自动",
    ),
    "YL-T10": (
        "YL-T10",
        "yl-t10",
        "YLT10",
        "T10",
        "YL-T1O",
        "学习平板",
        "平板",
        "学习机",
        "T10平板",
        "学习平板电脑",
        "平版",
    ),
    "YL-W2": ("YL-W2", "yl-w2", "YLW2", "W2", "电话手表", "儿童手表", "手表", "儿童电话手表", "W2手表", "w2"),
    "YL-R5": ("YL-R5", "yl-r5", "YLR5", "R5", "净水器", "净水机", "厨下净水器", "R5净水器", "YL-R5净水器"),
    "YL-C2": ("YL-C2", "yl-c2", "YLC2", "C2", "晾衣架", "晾衣机", "电动晾衣架", "智能晾衣机", "C2晾衣架", "凉衣架"),
}
GENERIC_LOCK = ("门锁", "智能锁", "指纹锁", "电子锁", "密码锁", "锁", "智能门锁", "大门的锁")
PREFIX = {
    "lock": ("我家", "家里的", "我们家", "我家的", "大门上的", "家里那把", "我爸妈家的", "出租屋的", "", ""),
    "tablet": ("孩子的", "给孩子买的", "我家", "女儿的", "儿子的", "家里的", "", ""),
    "watch": ("孩子的", "给孩子买的", "女儿的", "儿子的", "我家孩子的", "", ""),
    "purifier": ("家里的", "厨房的", "我家", "", ""),
    "airer": ("家里的", "阳台的", "我家", "", ""),
}
_ASCII_LETTER = re.compile(r"[A-Za-z]")


def is_code(mention: str) -> bool:
    """A mention that spells the model code (any casing or width)."""
    return bool(_ASCII_LETTER.search(unicodedata.normalize("NFKC", mention)))


# ---------------------------------------------------------------------------------------------------------
# Scenario data: faults, their symptom phrasings and stories
# ---------------------------------------------------------------------------------------------------------

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


@dataclass(frozen=True)
class Phrase:
    """One symptom phrasing. ``mode``: obj (the product is the subject), person (a person is the subject),
    named (the phrase already names the product), template (``{m}`` marks where the product goes)."""

    text: str
    fam: tuple[str, ...] = ()
    implied: str | None = None
    stories: tuple[str, ...] = ()
    mode: str = "obj"
    question: bool = False
    neg: bool = False
    qs: tuple[str, ...] = ()
    mild: bool = False  # an intermittent / slow symptom: never told as "locked out now"


def P(
    text: str,
    fam: str = "",
    imp: str | None = None,
    st: str = "",
    mode: str = "obj",
    q: bool = False,
    neg: bool = False,
    qs: tuple[str, ...] = (),
    mild: bool = False,
) -> Phrase:
    if "{m}" in text:
        mode = "template"
    return Phrase(text, tuple(fam.split()), imp, tuple(st.split()), mode, q, neg, qs, mild)


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


ALL_LOCKS = ("YL-S7", "YL-F3", "YL-P1", "YL-A9", LOCK)
WIFI_LOCKS = ("YL-S7", "YL-P1", "YL-A9", LOCK)
S7, A9, P1, T10, W2, R5, C2 = "YL-S7", "YL-A9", "YL-P1", "YL-T10", "YL-W2", "YL-R5", "YL-C2"

FAULTS: tuple[Fault, ...] = (
    Fault(
        "fingerprint_unrecognized",
        ALL_LOCKS,
        ("rr", "ru", "rc", "cq", "pr", "pc", "ty"),
        (
            P("指纹识别不了"),
            P("按指纹老是提示验证失败"),
            P("指纹要按好几次才能开", mild=True),
            P("录好的指纹突然不认了"),
            P("手指放上去一点反应都没有"),
            P("指纹时灵时不灵", mild=True),
            P("老人的指纹一直识别不出来"),
            P("天一冷指纹就刷不开"),
            P("指纹不灵了"),
        ),
        urgent="access",
        questions=(
            "是不是要重新录一下指纹？怎么操作？",
            "是手指太干的原因吗？有没有什么办法？",
            "能不能多录几个手指备用？",
            "指纹头需要清洁吗？用什么擦比较好？",
            "老人手指纹路浅，有没有别的开门方式推荐？",
        ),
    ),
    Fault(
        "face_unrecognized",
        (S7, LOCK),
        ("rr", "ru", "rc", "cq", "pr", "ty"),
        (
            P("人脸识别不了", imp=S7),
            P("刷脸一直提示识别失败", imp=S7),
            P("人站在门口半天都扫不出脸", imp=S7, mode="person"),
            P("晚上光线暗的时候刷脸很难识别", imp=S7, mild=True),
            P("戴着眼镜就识别不了人脸", imp=S7, mode="person"),
            P("人脸识别要等好几秒才开", imp=S7, mild=True),
            P("家里人录的人脸全都不认了", imp=S7),
        ),
        urgent="access",
        questions=(
            "是不是要重新录入人脸？",
            "识别距离能调吗？",
            "晚上识别慢是正常的吗？",
            "人脸识别能临时关掉吗？",
            "摄像头要怎么清洁？",
        ),
    ),
    Fault(
        "password_forgotten",
        (*ALL_LOCKS, T10),
        ("rr", "ru", "cq", "ty"),
        (
            P("管理员密码忘了", fam="lock", st="rr cq ty"),
            P("开门密码忘记了", fam="lock"),
            P("改了新密码第二天就忘了", fam="lock", st="rr ru cq"),
            P("老人把密码记混了，一直输错", fam="lock", mode="person", st="ru cq"),
            P("密码输错好几次，现在键盘被锁住了", fam="lock", mode="person", st="rr ru"),
            P("家长模式的密码忘了", fam="tablet", st="rr cq ty"),
            P("锁屏密码忘记了，进不去系统", fam="tablet", st="rr cq"),
            P("孩子偷偷改了开机密码，现在谁都进不去", fam="tablet", st="rr cq"),
        ),
        urgent="access",
        questions=(
            "lock|怎么重置管理员密码？",
            "lock|恢复出厂设置会把指纹也清掉吗？",
            "lock|能远程帮我改个密码吗？",
            "tablet|需要带购买凭证去网点解锁吗？",
            "tablet|能不能不恢复出厂就解开？孩子的资料还在里面",
            "tablet|有没有办法用手机验证码重置？",
        ),
        generic_questions=False,
    ),
    Fault(
        "battery_low",
        (*ALL_LOCKS, W2),
        ("rr", "ru", "rc", "cq", "pr", "ty"),
        (
            P("一直提示电量低，请更换电池", fam="lock", mild=True),
            P("开门的时候滴滴响，说电量不足", fam="lock", mild=True),
            P("电池换了不到两个月又没电了", fam="lock", st="rr rc cq"),
            P("电量掉得特别快", fam="lock watch", mild=True),
            P("换了新电池还是提示低电量", fam="lock", st="rr rc cq"),
            P("充满电用不到半天就没电了", fam="watch"),
            P("没电了，按什么都没反应", fam="lock", st="ru"),
            P("电池没电了，应急充电口也找不到", fam="lock", st="ru cq"),
        ),
        urgent="access",
        questions=(
            "lock|用几号电池？碱性的还是充电的？",
            "lock|一般多久换一次电池？",
            "lock|应急充电口在哪？用什么线？",
            "lock|电量低了还能开几次门？",
            "watch|是不是电池老化了？能换电池吗？",
            "watch|有什么省电的设置吗？",
        ),
        generic_questions=False,
    ),
    Fault(
        "locked_out",
        ALL_LOCKS,
        ("ru", "cq", "pc", "ty"),
        (
            P("被锁在门外了，怎么都打不开", mode="person", st="ru ty pc"),
            P("门打不开了，人进不去", mode="person", st="ru ty"),
            P("指纹、密码、钥匙都试了，就是开不了门", mode="person", st="ru pc"),
            P("出门倒个垃圾，回来门就打不开了", mode="person", st="ru ty"),
            P("应急钥匙也拧不动，进不了家", mode="person", st="ru pc"),
            P("孩子放学回来开不了门", mode="person", st="ru ty"),
            P("下班回家门打不开，一家人在楼道里等着", mode="person", st="ru"),
            P("怎么都开不了门了", mode="person", st="ru"),
            P("门打不开了", mode="person", st="ru"),
            P("万一被锁在门外了怎么办", mode="person", q=True, st="cq"),
            P("要是锁坏了打不开门，有没有应急的办法", mode="person", q=True, st="cq"),
        ),
        urgent="outside",
        questions=(
            "提前问一下。",
            "家里老人经常一个人出门，有点担心。",
            "机械钥匙放家里了，想备个方案。",
            "应急供电口在哪？",
        ),
        damage=(
            "在外面等了三个多小时才进去",
            "最后自己找开锁公司花了300块",
            "开锁师傅把锁芯都撬坏了",
            "孩子在门口冻了一个小时",
        ),
        generic_questions=False,
    ),
    Fault(
        "lock_jammed",
        ALL_LOCKS,
        ("rr", "ru", "rc", "cq", "pr", "pc", "ty"),
        (
            P("锁舌卡住了，门关不严", st="rr rc pr ty"),
            P("关门的时候锁舌弹不出来，锁不上", st="rr rc pr pc ty"),
            P("钥匙插进去转不动", st="rr rc cq"),
            P("门要用力推才能锁上", st="rr cq pr ty"),
            P("反锁旋钮拧起来特别紧", st="rr rc cq"),
            P("反锁之后从里面拧不开了", st="ru ty"),
            P("锁体卡死了，里面的把手也压不下去", st="ru pc"),
            P("锁舌缩不回去，门拉不开", st="ru ty"),
        ),
        urgent="inside",
        questions=("是不是要上点润滑油？用什么油？", "能自己调一下锁扣吗？", "是不是门变形了？"),
        damage=("老人在屋里被关了两个多小时", "最后只能叫消防来破门", "上班迟到被扣了钱"),
    ),
    Fault(
        "card_unrecognized",
        ALL_LOCKS,
        ("rr", "ru", "rc", "cq", "pr", "ty"),
        (
            P("刷卡没反应"),
            P("门卡刷了提示无效卡"),
            P("新配的门卡录不进去"),
            P("涮卡开不了门"),
            P("NFC卡要贴好久才能识别", mild=True),
            P("以前能刷的卡突然都不认了"),
        ),
        urgent="access",
        questions=(
            "门卡能自己添加吗？在哪里设置？",
            "是不是卡消磁了？",
            "能用手机NFC代替门卡吗？",
            "补一张卡多少钱？",
        ),
    ),
    Fault(
        "handle_loose",
        ALL_LOCKS,
        ("rr", "rc", "cq", "pr", "ty"),
        (
            P("把手松了，晃得厉害"),
            P("外面的把手掉下来了"),
            P("把手往下耷拉，回不了位"),
            P("把手按下去空转，锁舌不动"),
            P("推拉把手有点松动", imp=A9),
            P("把手的螺丝老是松", st="rr cq pr"),
        ),
        questions=("能自己拧紧吗？需要什么工具？", "把手是单独卖的吗？多少钱？", "是不是装的时候没装好？"),
        generic_questions=False,
    ),
    Fault(
        "false_alarm",
        ALL_LOCKS,
        ("rr", "ru", "rc", "cq", "pr"),
        (
            P("莫名其妙地报警"),
            P("防撬报警响个不停"),
            P("没人碰也会嘀嘀嘀地叫"),
            P("手机老是收到撬锁警报，其实根本没人"),
            P("门没关好就一直报警，关好了也不停"),
            P("报警声突然响起来，按什么都关不掉"),
        ),
        urgent="alarm",
        questions=(
            "报警能关掉吗？",
            "报警音量能调小一点吗？",
            "是不是电池快没电了引起的？",
            "防撬报警的灵敏度能调吗？",
        ),
    ),
    Fault(
        "app_offline",
        (*WIFI_LOCKS, C2),
        ("rr", "rc", "cq", "pr", "ty"),
        (
            P("APP上一直显示离线"),
            P("手机app连不上"),
            P("换了路由器之后就连不上wifi了"),
            P("远程开锁用不了，提示设备不在线", fam="lock"),
            P("APP里收不到开门记录了", fam="lock"),
            P("APP上点升降没反应，显示离线", fam="airer"),
            P("配网一直失败，卡在百分之九十九"),
        ),
        remote=True,
        questions=(
            "怎么重新配网？",
            "是哪里设置得不对吗？",
            "是不是只支持2.4G的wifi？",
            "换了wifi密码要怎么重新连？",
            "5G的wifi能连吗？",
        ),
    ),
    Fault(
        "temporary_password",
        WIFI_LOCKS,
        ("rr", "rc", "cq", "pr", "ty"),
        (
            P(
                "想给保洁阿姨设个临时密码",
                mode="person",
                st="cq ty",
                qs=("临时密码在APP哪里设置？", "能设置成每周固定几天有效吗？", "能设置成多次有效吗？"),
            ),
            P(
                "想给来家里的亲戚开个临时密码",
                mode="person",
                st="cq",
                qs=("临时密码在APP哪里设置？", "能设置成一周内有效吗？"),
            ),
            P("APP生成的临时密码输进去提示错误", st="rr rc pr cq ty"),
            P("临时密码用了一次就失效了", st="rr cq"),
            P(
                "租客退房了，想把之前发的临时密码作废",
                mode="person",
                st="cq",
                qs=("在APP哪里删除？", "删掉以后租客还能开吗？"),
            ),
            P("发给快递员的临时密码开不了门", st="rr pr"),
            P("远程发的临时密码显示已过期", st="rr cq rc"),
        ),
        remote=True,
        questions=(
            "临时密码在APP哪里设置？",
            "能设置成一周内有效吗？",
            "能设置成多次有效吗？",
            "临时密码会不会不安全？",
        ),
        generic_questions=False,
    ),
    Fault(
        "doorbell_camera",
        (P1, S7, LOCK),
        ("rr", "rc", "cq", "pr", "ty"),
        (
            P("猫眼屏幕看不到外面，一片黑", imp=P1),
            P("有人按门铃屋里不响"),
            P("可视门铃的画面一直花屏"),
            P("猫眼拍的视频特别模糊", imp=P1),
            P("按门铃手机上收不到视频通话"),
            P("猫眼的夜视用不了，晚上全是黑的", imp=P1),
            P("逗留抓拍老是误报，手机一直推送"),
        ),
        questions=(
            "录像能保存多久？",
            "门铃声音能调大吗？",
            "逗留抓拍的灵敏度怎么调？",
            "是不是要开通云存储才能看？",
        ),
    ),
    Fault(
        "keypad_unresponsive",
        ALL_LOCKS,
        ("rr", "ru", "rc", "pr", "ty"),
        (
            P("密码键盘按了没反应"),
            P("触摸屏不亮了，按数字没反应"),
            P("有几个数字按键失灵了"),
            P("键盘灯时亮时不亮", mild=True),
            P("输密码的时候数字自己乱跳", mild=True),
            P("键盘要使劲按才有反应", mild=True),
        ),
        urgent="access",
    ),
    Fault(
        "auto_lock",
        (A9, S7, LOCK),
        ("rr", "rc", "cq", "pr", "ty"),
        (
            P("关门后不会自动上锁"),
            P("门关上了锁舌不自动弹出来"),
            P("自动上锁要等好久"),
            P("APP显示已上锁，其实根本没锁上"),
            P("全自动开门的时候锁体没反应", imp=A9),
            P("关门后提示未上锁，一直在叫"),
        ),
        questions=(
            "自动上锁的延迟时间能调吗？",
            "怎么关掉自动上锁？",
            "是不是要校准一下门磁？",
            "是哪里设置得不对吗？",
        ),
    ),
    Fault(
        "screen_broken",
        (T10, W2),
        ("rr", "rc", "cq", "pr", "pc", "ty"),
        (
            P("屏幕摔碎了"),
            P("屏幕裂了一道缝"),
            P("屏幕花屏，有彩色竖线"),
            P("屏幕有一块触摸不灵"),
            P("屏幕上有好几块亮斑"),
            P("屏幕进水后显示不正常"),
        ),
        questions=("换个屏多少钱？", "碎屏在保修范围内吗？", "换屏要多久？", "有没有碎屏险？"),
        generic_questions=False,
    ),
    Fault(
        "not_charging",
        (T10, W2),
        ("rr", "rc", "cq", "pr", "pc", "ty"),
        (
            P("充不进电"),
            P("充不近电了"),
            P("插上充电器一点反应都没有"),
            P("充电口接触不良，要扶着才能充"),
            P("充了一晚上电量还是不涨"),
            P("边充电电量边往下掉"),
            P("磁吸充电线吸不住，充不上电", fam="watch"),
        ),
        questions=("能用别的充电器吗？", "充电头要几瓦的？", "电池坏了能单独换吗？"),
    ),
    Fault(
        "no_power",
        (T10, W2, *ALL_LOCKS),
        ("rr", "ru", "rc", "pr", "pc", "ty"),
        (
            P("开不了机", fam="tablet watch", st="rr rc pr ty"),
            P("长按电源键也没反应", fam="tablet watch", st="rr rc pc"),
            P("突然黑屏以后就再也开不了机", fam="tablet watch", st="rr pr pc ty"),
            P("用着用着自动关机，之后怎么都开不了", fam="tablet watch", st="rr rc pc"),
            P("面板全黑了，换了新电池也没反应", fam="lock", st="rr rc pr ty"),
            P("面板全黑，按什么都没反应，应急供电也没用", fam="lock", st="ru"),
            P("整个锁一点电都没有，电池是刚换的", fam="lock", st="ru rr"),
        ),
        urgent="access",
    ),
    Fault(
        "app_install_blocked",
        (T10,),
        ("rr", "cq", "pr", "ty"),
        (
            P("装不了第三方APP"),
            P("应用商店里搜不到学校要求的软件"),
            P("下载的安装包点了没反应"),
            P("一装APP就提示家长管控禁止安装"),
            P("微信装不上"),
            P("老师让装的网课软件装不了"),
        ),
        remote=True,
        questions=(
            "怎么才能装学校要求的APP？",
            "家长管控在哪里关？",
            "能不能加个白名单？",
            "是不是要升级系统？",
        ),
    ),
    Fault(
        "account_binding",
        (T10, W2, *WIFI_LOCKS),
        ("rr", "rc", "cq", "pr", "ty"),
        (
            P("扫码绑定一直提示已被其他账号绑定", st="rr rc pr cq ty"),
            P("二手买的，要解绑原来机主的账号", mode="person", st="cq"),
            P("想把爷爷奶奶的手机也绑定上", mode="person", st="cq"),
            P("旧手机丢了，解绑不了", mode="person", st="cq rr"),
            P("管理员账号想转给家里其他人", st="cq"),
            P("绑定的时候一直提示网络错误", st="rr rc pr"),
            P("换了手机号，原来的账号登不上了", mode="person", st="cq rr ty"),
        ),
        remote=True,
        questions=(
            "解绑要提供什么资料？",
            "一个设备最多能绑几个家长？",
            "怎么把管理员转给别人？",
            "在APP哪里操作？",
        ),
        generic_questions=False,
    ),
    Fault(
        "system_freeze",
        (T10, W2),
        ("rr", "rc", "cq", "pr", "pc", "ty"),
        (
            P("用着用着就卡死了"),
            P("经常自己重启"),
            P("点什么都卡，反应特别慢"),
            P("开机后一直停在LOGO界面"),
            P("上网课的时候老是死机", fam="tablet"),
            P("更新系统后变得特别卡"),
        ),
        questions=(
            "怎么清理内存？",
            "恢复出厂设置会丢孩子的学习资料吗？",
            "能退回到旧版本系统吗？",
        ),
    ),
    Fault(
        "watch_no_signal",
        (W2,),
        ("rr", "rc", "cq", "pr", "pc", "ty"),
        (
            P("一直显示无服务"),
            P("打不了电话也接不到电话"),
            P("插了卡也没信号"),
            P("信号时有时无，老是断网"),
            P("显示未插入SIM卡"),
            P("4G图标不亮，只能连wifi"),
            P("手表没信号", imp=W2, mode="named"),
        ),
        questions=(
            "要用哪种手机卡？",
            "移动的物联网卡能用吗？",
            "是不是要开通VoLTE？",
            "手表卡要开流量吗？",
        ),
    ),
    Fault(
        "watch_positioning",
        (W2,),
        ("rr", "rc", "cq", "pr", "pc", "ty"),
        (
            P("定位不准，差了好几公里"),
            P("定位老是飘，显示在河里"),
            P("定位一直不更新"),
            P("孩子明明在学校，手表定位显示在家", imp=W2, mode="named"),
            P("APP上刷新不出定位"),
            P("室内定位偏差特别大"),
        ),
        questions=("定位多久刷新一次？能调吗？", "室内定位不准是正常的吗？", "怎么开启精准定位？"),
    ),
    Fault(
        "sos_unreachable",
        (W2,),
        ("ru", "rr", "rc", "cq", "pr", "pc", "ty"),
        (
            P("孩子的手表一直打不通", imp=W2, mode="named", st="ru ty pc"),
            P("孩子手表关机了，联系不上", imp=W2, mode="named", st="ru ty"),
            P("孩子按了SOS，我这边没收到求救电话", imp=W2, mode="named", st="ru ty pc"),
            P("手表打不通，定位也刷不出来，找不到孩子", imp=W2, mode="named", st="ru"),
            P("孩子说按了SOS没反应，电话拨不出去", imp=W2, mode="named", st="ru"),
            P("孩子的电话手表联系不上了", imp=W2, mode="named", st="ru"),
            P("在家测试了一下SOS，我手机没收到求救短信", imp=W2, mode="named", st="rr rc"),
            P("SOS紧急联系人设置了但是不生效", imp=W2, mode="named", st="rr cq pr"),
            P("SOS紧急联系人怎么设置", imp=W2, mode="named", q=True, st="cq"),
        ),
        urgent="sos",
        questions=("一次能设几个紧急联系人？", "提前设置好放心一点。", "孩子下周开始自己上学。"),
        damage=("差点报警，最后在小区里找到的", "找了整整两个小时", "吓得我腿都软了"),
    ),
    Fault(
        "water_leak",
        (R5,),
        ("ru", "pc", "ty"),
        (
            P("净水器漏水了，柜子底下全是水", imp=R5, mode="named", st="ru pc ty"),
            P("接头那里一直在滴水", st="ru pc"),
            P("滤芯座那里漏水", imp=R5, st="ru ty"),
            P("进水管接口突然喷水", st="ru pc ty"),
            P("废水管脱落了，水流了一地", st="ru"),
            P("机器底下在渗水，地板都湿了", st="ru pc"),
            P("滤瓶裂了，一直往外冒水", imp=R5, st="ru"),
        ),
        urgent="water",
        damage=(
            "橱柜板都泡坏了",
            "楼下邻居天花板渗水，赔了人家800",
            "木地板泡得起鼓了",
            "厨房地柜全泡烂了",
        ),
    ),
    Fault(
        "filter_replacement",
        (R5,),
        ("cq", "rr", "rc", "pr", "ty"),
        (
            P("滤芯灯亮红灯了，提示要换滤芯", imp=R5, st="cq ty"),
            P("滤芯到期了", imp=R5, st="cq"),
            P("换了新滤芯还是一直提示要更换", imp=R5, st="rr rc pr cq"),
            P("新买的滤芯装不上去", imp=R5, st="rr cq pr"),
            P("滤芯寿命显示0%了", imp=R5, st="cq"),
            P("滤芯多久换一次", imp=R5, q=True, st="cq"),
            P("滤芯复位按了没用", imp=R5, st="rr rc cq"),
        ),
        questions=(
            "滤芯在哪买？一套多少钱？",
            "可以自己换吗？有没有教程？",
            "滤芯寿命怎么复位？",
            "原装滤芯和第三方的有什么区别？",
        ),
        generic_questions=False,
    ),
    Fault(
        "low_water_pressure",
        (R5,),
        ("rr", "rc", "cq", "pr", "pc", "ty"),
        (
            P("出水特别小，接一杯水要好久"),
            P("纯水龙头出水越来越慢", imp=R5),
            P("完全不出水了"),
            P("出水断断续续的"),
            P("制水特别慢，等半天才出一点"),
            P("水压低的时候就不出水"),
        ),
        questions=(
            "出水慢是不是要换滤芯了？",
            "冬天出水慢正常吗？",
            "是不是家里水压不够？",
            "能加个增压泵吗？",
        ),
    ),
    Fault(
        "water_quality",
        (R5,),
        ("rr", "cq", "pr", "pc", "ty"),
        (
            P("出来的水有股怪味"),
            P("用TDS笔测出来数值很高"),
            P("水喝起来有点苦"),
            P("纯水里有黑色小颗粒"),
            P("出来的水发黄"),
            P("换完滤芯后水有股塑料味", imp=R5),
        ),
        questions=(
            "TDS多少算正常？",
            "刚换滤芯有味道正常吗？要冲多久？",
            "这水还能直接喝吗？",
            "是不是滤芯有问题？",
        ),
    ),
    Fault(
        "airer_stuck",
        (C2,),
        ("rr", "rc", "cq", "pr", "pc", "ty"),
        (
            P("升降卡住不动了"),
            P("降到一半就停了"),
            P("晾衣杆一边高一边低", imp=C2),
            P("按遥控只能升不能降"),
            P("升到顶以后降不下来"),
            P("晾衣杆升降的时候会卡一下", imp=C2),
            P("晾衣架卡住了", imp=C2, mode="named"),
        ),
        questions=(
            "是不是衣服挂太多了？最多能承重多少？",
            "钢丝绳要怎么调？",
            "有没有手动降下来的办法？",
        ),
    ),
    Fault(
        "motor_noise",
        (C2, R5, A9, LOCK),
        ("rr", "rc", "cq", "pr", "ty"),
        (
            P("电机声音特别大", fam="airer purifier lock"),
            P("升降的时候嘎吱嘎吱响", fam="airer"),
            P("开门关门的时候电机咔咔响", fam="lock"),
            P("半夜制水的时候嗡嗡响，吵得睡不着", fam="purifier"),
            P("有异响，像齿轮打滑一样", fam="airer lock"),
            P("运转的时候有刺耳的噪音", fam="airer purifier"),
        ),
        questions=("这个声音是正常的吗？", "能不能调成静音模式？", "是不是要加润滑油？"),
    ),
    Fault(
        "installation_request",
        (*ALL_LOCKS, R5, C2),
        ("ir", "ic", "cq", "ty"),
        (
            P("新买了{m}，想约师傅上门安装", st="ir"),
            P("{m}刚到货，什么时候能安排安装", st="ir"),
            P("想预约安装{m}", st="ir"),
            P("搬新家了，想把{m}拆了装到新房子", st="ir"),
            P("装修快完了，{m}想约个时间来装", st="ir"),
            P("旧锁想换成{m}，能上门拆旧装新吗", fam="lock", st="ir"),
            P("给爸妈买了个{m}，装在老家，那边有师傅能装吗", st="ir"),
            P("下单三天了还没人联系安装{m}", st="ir", neg=True),
            P("约好了明天安装{m}，想改到周末", st="ir"),
            P("出租房想装个{m}，房东已经同意了", st="ir"),
            P("新房下个月交房，想提前预约安装{m}", st="ir"),
            P("老房子换了新门，{m}需要重新装一下", st="ir"),
            P("双十一买的{m}终于到了，约个安装", st="ir"),
            P("家里的旧锁已经拆了，就等着装{m}", fam="lock", st="ir"),
            P("{m}的安装师傅能不能晚上来", st="ir"),
            P("帮我爸妈家约个{m}安装，我人在外地", st="ir"),
            P("想在厨房水槽下面加装一台{m}", fam="purifier", st="ir"),
            P("阳台顶是石膏板吊顶，{m}能装吗", fam="airer", st="ir cq", q=True),
            P("在京东买的{m}包安装吗", st="cq", q=True),
            P("安装{m}要收费吗", st="cq", q=True),
            P("安装{m}需要自己准备什么", st="cq", q=True),
            P("{m}已经装好了", st="ty"),
            P("我们小区物业统一采购了{n}套{m}，需要集中安装", fam="lock", st="ic"),
            P("公寓项目一共{n}间，都要装{m}", st="ic"),
            P("公司新办公室{n}个门都要换{m}", fam="lock", st="ic"),
            P("民宿{n}个房间要统一装{m}", fam="lock airer", st="ic"),
            P("学校宿舍楼{n}间要装{m}", fam="lock airer", st="ic"),
            P("我们是装修公司，{n}户业主都订了{m}，需要批量安装", st="ic"),
            P("工地项目{n}套{m}，要按楼栋分批安装", st="ic"),
            P("幼儿园每个班都要装一台{m}，一共{n}台", fam="purifier", st="ic"),
            P("酒店式公寓{n}套都要装{m}", st="ic"),
            P("单位食堂和{n}个办公室都要装{m}", fam="purifier", st="ic"),
            P("养老院{n}个房间要统一换{m}，要求老人也方便用", fam="lock", st="ic"),
            P("我们是长租公寓，首批{n}套{m}，后面还会陆续加", st="ic"),
        ),
        questions=("门是防盗门。", "家在二楼，有电梯。", "想先了解清楚再下单。", ""),
        ic_requests=(
            "需要你们出个安装方案和报价",
            "希望先装一套样板看看效果",
            "需要对接一下项目负责人",
            "工期比较紧，下个月底前要装完",
            "能不能派个项目经理来现场看看？",
            "要开增值税专票",
            "请安排专人对接",
        ),
        generic_questions=False,
    ),
    Fault(
        "door_compatibility",
        ALL_LOCKS,
        ("cq", "ic", "pc", "ty"),
        (
            P("我家是老式防盗门，能装{m}吗", st="cq", q=True),
            P("门厚只有4公分，能装{m}吗", st="cq", q=True),
            P("原来的锁是天地钩的，能换{m}吗", st="cq", q=True),
            P("木门能装{m}吗", st="cq", q=True),
            P("师傅上门说锁体尺寸不匹配，装不上", st="ic pc"),
            P(
                "开孔和原来的锁不一样，得重新开孔",
                st="ic cq",
                qs=("重新开孔要额外收费吗？", "开孔会不会影响防盗门的质量？"),
            ),
            P("师傅说我家门太薄，要加装垫板才能装", mode="person", st="ic ty"),
            P("门是向外开的，师傅说装不了", mode="person", st="ic pc"),
            P("防火门要改锁体，师傅说得先量尺寸再订配件", mode="person", st="ic"),
            P("师傅来装的时候发现门框是歪的，锁扣对不上", mode="person", st="ic"),
        ),
        questions=("门是向内开的。", "门大概6公分厚。", "想先确认一下再下单。", "门的照片发你们了。"),
        ic_requests=(
            "要换锁体的话得再约一次上门，麻烦安排",
            "需要先来量一下尺寸再装吗？",
            "配件到了请通知我约第二次上门",
            "麻烦协调一下配件和师傅的时间",
        ),
        generic_questions=False,
        history=(
            "已经上门两次了，每次都说装不了",
            "约了三次安装都没装上",
            "等配件等了半个月，师傅来了还是装不上",
        ),
    ),
    Fault(
        "smoke_or_burning",
        (*ALL_LOCKS, T10, W2, R5, C2),
        ("ru", "pc", "ty"),
        (
            P("充电的时候冒烟了", fam="tablet watch", st="ru pc ty"),
            P("闻到一股烧焦的味道", st="ru ty"),
            P("电池仓那里发烫，还有焦味", fam="lock", st="ru pc"),
            P("充电器插头烧黑了", fam="tablet watch", st="ru"),
            P("电机那里冒烟了", fam="airer", st="ru pc ty"),
            P("手表特别烫，背面鼓起来了，还有焦味", imp=W2, mode="named", st="ru pc"),
            P("电源适配器冒烟了，有股焦味", fam="purifier airer", st="ru ty"),
            P("面板里面冒出一股烟", fam="lock", st="ru"),
        ),
        urgent="smoke",
        damage=("把书桌烧黑了一块", "孩子手都烫红了", "差点引起火灾", "墙都熏黑了"),
    ),
)

# Urgent situations: (primary statements — one is always said, aggravators, requests per family group).
URGENT: dict[str, dict[str, tuple[str, ...]]] = {
    "access": {
        "primary": (
            "现在人在门外进不去",
            "我被关在门外了",
            "家里老人在外面等着进不了门",
            "孩子一个人在门口进不去",
            "我们全家都进不了门",
        ),
        "aggravators": ("大冬天的在楼道里站了半小时了", "拎着一堆菜进不了家门", "屋里还炖着汤呢", "手机也快没电了"),
        "requests": (
            "快派人来开一下！",
            "马上派师傅过来！",
            "能不能半小时内到？",
            "赶紧安排人！",
            "现在怎么办？",
            "有没有应急办法？在线等",
            "求尽快上门",
        ),
    },
    "outside": {
        "primary": (),
        "aggravators": (
            "大冬天的在楼道里站了半小时了",
            "拎着一堆菜进不了家门",
            "屋里还炖着汤呢",
            "孩子在旁边一直哭",
            "手机也快没电了",
        ),
        "requests": (
            "快派人来开一下！",
            "马上派师傅过来！",
            "能不能半小时内到？",
            "赶紧安排人！",
            "现在怎么办？",
            "有没有应急办法？在线等",
        ),
    },
    "inside": {
        "primary": (
            "家里老人被关在屋里出不来",
            "我妈一个人在家，从里面开不了门",
            "我被困在屋里出不去",
            "孩子一个人在家出不来",
            "一家人都被关在屋里了",
        ),
        "aggravators": ("还赶着去医院", "孩子一直在哭", "上班要迟到了", "老人有心脏病"),
        "requests": ("快派人来！", "马上派师傅过来！", "能不能半小时内到？", "赶紧安排人！", "现在怎么办？"),
    },
    "alarm": {
        "primary": (
            "现在是半夜两点，一直响停不下来",
            "大半夜的响个不停",
            "凌晨一点多突然响起来",
            "晚上十一点多响到现在",
        ),
        "aggravators": ("整栋楼都被吵醒了", "孩子都吓哭了", "邻居都来敲门了", "拆电池都不管用"),
        "requests": (
            "怎么才能让它停下来？",
            "有没有办法远程关掉？",
            "马上派人来处理！",
            "能不能教我先把报警关了？",
        ),
    },
    "water": {
        "primary": (),
        "aggravators": ("水都流到客厅了", "橱柜板已经泡了", "怕漏到楼下去", "家里就我一个人，不会弄"),
        "requests": (
            "快派人来！",
            "总阀在哪关？急！",
            "已经关了总阀，赶紧派师傅来修",
            "能不能今天就来？",
            "快点安排人，水还在流",
        ),
    },
    "smoke": {
        "primary": (),
        "aggravators": ("吓得赶紧把电断了", "家里有老人孩子，很害怕", "味道现在还没散", "不敢再用了"),
        "requests": (
            "还能用吗？要不要报警？",
            "现在怎么处理？会不会有危险？",
            "onsite|赶紧派人来看看！",
            "onsite|马上安排人来检查！",
            "mailin|要马上寄回去检测吗？",
            "mailin|会不会爆炸？你们得给个处理办法",
        ),
    },
    "sos": {
        "primary": (
            "孩子放学一个多小时了还没到家",
            "天都黑了孩子还没回来",
            "孩子一个人去上兴趣班，现在联系不上",
            "老师说孩子早就出校门了",
        ),
        "aggravators": ("已经去学校附近找了", "打了十几个电话都不通", "家里老人也联系不上他"),
        "requests": (
            "帮我查一下手表什么情况！",
            "能不能后台定位一下？",
            "怎么才能联系上孩子？",
            "后台能看到手表最后在线的位置吗？",
            "快帮我查查！",
        ),
    },
}

LOCK_URGENCIES = ("access", "outside", "inside", "alarm")
TERSE_URGENT = {
    "access": ("，人进不去了！急", "，进不了家门，快来人", "，被关在门外了！", "，人在门外，急急急"),
    "outside": ("！快来人", "！急", "，急急急", "，快派人！"),
    "inside": ("，人出不来了！急", "，老人被关屋里了，快来人"),
    "alarm": ("，半夜响个不停！快来人", "，大半夜停不下来，急"),
    "water": ("！快来人", "，水流了一地，急", "，急急急"),
    "smoke": ("！急", "，快来人看看！", "，吓死了，急"),
    "sos": ("，孩子联系不上了！急", "，找不到孩子，急急急"),
}

# ---------------------------------------------------------------------------------------------------------
# Story slots
# ---------------------------------------------------------------------------------------------------------

TIME_CONTEXT = ("这两天", "从昨天开始", "最近一周", "今天早上", "最近", "前几天开始", "这阵子", "上周开始")
CONTEXT = (*TIME_CONTEXT, "用了半年多了，最近", "买了一年多，这几天", "刚买不到一个月，", "去年装的，最近")
BACKGROUND = {
    "lock": (
        "家里老人腿脚不方便，平时全靠指纹开门",
        "我平时上班早出晚归，家里就老人和孩子",
        "这锁装在大门上，天天都要用",
        "我们是老小区，门也是老式的防盗门",
        "家里老人不会用手机，只会按指纹",
    ),
    "tablet": (
        "孩子马上要期末考试了，每天都要用平板上网课",
        "平板是专门给孩子上网课买的",
        "平时就孩子在用，很爱惜",
    ),
    "watch": (
        "孩子刚上一年级，每天放学自己走回家",
        "手表是专门给孩子买来联系用的",
        "孩子平时都戴着，不怎么摔",
    ),
    "purifier": (
        "家里有小宝宝，每天冲奶粉都要用",
        "净水器装在厨房水槽下面",
        "我们这边水质本来就不太好",
    ),
    "airer": ("家里人多，每天都要晾很多衣服", "晾衣架装在封闭阳台上", "南方天气潮，衣服全靠这个晾"),
}
URGENT_TIME = ("刚才", "刚刚", "今天晚上", "现在", "")
ONSITE_REQ = (
    "麻烦安排师傅上门看一下",
    "能派个师傅来修一下吗？",
    "帮我报个修",
    "请尽快安排维修",
    "什么时候能上门？",
    "周末能上门修吗？",
    "在保修期内，麻烦安排上门维修",
    "麻烦约个师傅过来看看",
    "需要换配件的话大概多少钱？",
    "帮忙处理一下，我明天下午在家",
    "师傅啥时候能来？",
    "明天上午上门OK吗？",
)
MAILIN_REQ = (
    "怎么寄修？",
    "寄修地址发我一下",
    "附近有没有维修网点？",
    "要寄回去修吗？大概多久能修好？",
    "还在保修期，能免费修吗？",
    "帮我登记个维修",
    "麻烦安排一下维修",
)
REMOTE_REQ = (
    "麻烦后台帮我处理一下",
    "能不能远程帮我看看？",
    "麻烦技术帮忙查一下",
    "请尽快帮我解决",
    "帮我看看是哪里的问题",
)
RC_REQ = (
    "这次能不能派个技术好点的师傅？",
    "能不能直接换个新的？",
    "希望这次能彻底解决",
    "麻烦升级处理一下",
    "到底是什么问题，给个准话",
    "请安排主管跟进",
    "别再让我一趟趟地等了",
)
# (scope, text): scope o = on-site families, m = mail-in families, * = any
RC_HISTORY = (
    ("o", "上个月师傅刚来修过，现在又这样了"),
    ("o", "已经上门修过两次了，还是没好"),
    ("*", "之前换过一次配件，没用多久又出现同样的问题"),
    ("m", "寄修回来没几天又坏了"),
    ("*", "前后报修好几次了，每次说修好了，用几天又不行"),
    ("*", "师傅看过说要换配件，等了两周也没消息"),
    ("*", "去年修过一次，这个月又开始了"),
    ("m", "返厂修了一次，拿回来还是老样子"),
)
RC_HISTORY_ANGRY = (
    "这都第三次了！",
    "修了三次了还这样？？？",
    "第四次报修了，你们到底能不能修好？",
    "来来回回修了四五次了，烦不烦啊！",
)
CQ_GENERIC = (
    "这种情况正常吗？",
    "有没有办法自己处理？",
    "自己能弄好吗？不想麻烦师傅跑一趟。",
    "请问是什么原因？",
    "这是怎么回事？",
    "不知道是什么原因？",
    "不知道自己能不能弄？",
    "也不晓得是啥原因？",
)
PR_AGE = ("才买了两个月", "买了还不到三个月", "刚用了半个月", "新买不到一周", "才用了一个多月")
PR_DEMAND = (
    "这质量我要投诉。",
    "我要投诉你们的产品质量。",
    "必须给我个说法。",
    "我要投诉，请质量部门重视一下。",
    "我要投诉，这么快就出问题说不过去吧。",
    "你们质量是怎么把关的？我要投诉。",
)
PR_DEMAND_ANGRY = (
    "我要去12315投诉你们！",
    "再不处理就曝光你们！",
    "骗子公司，我要投诉！",
    "差评！必须投诉！",
    "我要投诉到消协！",
)
PC_DEMAND = (
    "要求退货退款。",
    "要求换一台新的，不然就退货。",
    "要求赔偿损失。",
    "我要求退款，不想再修了。",
    "你们售后和经销商互相推，到底谁来负责？",
    "要求给个书面的处理方案和赔偿。",
)
PC_DEMAND_ANGRY = (
    "退钱！！",
    "再不退款我就打12315！",
    "不退钱我就找媒体曝光",
    "必须赔偿，否则法院见！",
    "我已经在黑猫投诉上发帖了，必须退货退款",
    "不给解决我就去消协投诉",
)
IR_REQ = (
    "这周六上午家里有人",
    "最好周末，工作日要上班",
    "明天下午两点以后都可以",
    "什么时候能安排？",
    "麻烦尽快联系我约时间",
    "需要提前准备什么吗？",
    "师傅会自带工具吧？",
    "能晚上七点以后来吗？",
    "越快越好",
    "下周一到周三都行",
    "不知道最快什么时候能来？",
    "周六上午可以吗？",
    "周末上门OK吗？",
)
TY_WHEN = ("上次", "前两天", "昨天", "之前反映的", "上周")
TY_RESOLVER = {
    "onsite": (
        "刘师傅上门很快就修好了",
        "师傅换了个配件就好了",
        "师傅第二天一早就来处理好了",
        "师傅当天就上门弄好了",
        "师傅一来就搞掂了",
    ),
    "mailin": ("寄修回来已经好了", "给换了新机，孩子很开心", "维修网点半天就修好了"),
    "remote": ("客服远程教我弄好了", "按客服说的方法已经搞定了", "后台帮我处理好了"),
    "install": ("师傅装得又快又好", "师傅上门很准时，半小时就装好了", "师傅装完还教我们怎么用"),
}
TY_PRAISE = (
    "服务很专业，谢谢！",
    "态度特别好，点赞👍",
    "非常满意，谢谢你们！",
    "效率很高，感谢！",
    "辛苦了，谢谢🙏",
    "给你们五星好评！",
    "师傅很耐心，非常感谢",
    "售后真的很靠谱，满意",
)

# Tones: prefixes / suffixes. "{noun}" is the product family's noun.
TONE_PRE = {
    "negative": ("唉，", "说实话有点失望，", "真的很闹心，", "挺无奈的，"),
    "distress": ("急急急！", "救命，", "急死了😭", "崩溃了，"),
    "angry": ("什么破{noun}！", "气死我了！", "无语了！！！", "垃圾东西！", "真是服了！"),
    "sarcastic": ("呵呵，", "真行啊，", "厉害了，"),
    "tricky_neutral": (
        "不是要投诉哈，",
        "不是不满意，就是",
        "没有说不好用的意思，",
        "东西还不错，就是",
        "整体用着还行，就是",
        "也不是什么大问题，",
    ),
    "positive": (
        "你们服务一直挺好的，",
        "上次师傅服务很好👍，",
        "用了一年多了很满意，",
        "客服态度一直很好，",
        "朋友推荐的，说你们售后很靠谱，",
        "之前的问题处理得很快，很满意，",
    ),
    "tricky_positive": ("一点都没让我失望，", "没想到这么快就解决了，", "说实话没想到售后这么好，"),
}
TONE_SUF = {
    "negative": ("太影响使用了。", "这体验真的不太好。", "有点失望。", "用得很糟心。", "感觉质量一般。", "😓"),
    "tricky_negative": ("不太好用。", "没想象中那么好用。", "不是很满意。", "用着不太顺手。", "这个不太行啊。"),
    "distress": ("怎么办啊😭", "急死人了", "😭😭"),
    "angry": (
        "这是人买的东西吗？？？",
        "坑人啊！",
        "质量也太垃圾了吧！",
        "你们就是这么做产品的？？？",
        "😡😡",
        "简直无语！！！",
        "买你们家东西真是倒了霉了",
        "再也不买你们家的了！",
        "气死人！！！",
    ),
    "sarcastic": ("你们家质量可真好啊。", "真是让人'惊喜'。", "这就是你们说的大品牌？呵呵", "佩服佩服。"),
    "positive": ("谢谢你们！", "你们的服务真的很赞👍", "点赞！", "感谢感谢🙏", "很满意，会推荐给朋友"),
}
SERVICE_NEGATIVE = ("太让人失望了。", "这体验真的不太好。", "真的很闹心。", "😓")
# long complaint narratives (added to some repeated-failure stories)
TIMELINE = (
    "onsite|3月5号报的修，8号师傅上门说要换配件，20号才换好，结果这个月又不行了",
    "onsite|第一次是上个月10号报的修，第二次是20号，每次师傅来看看就走了",
    "前后打了七八个电话，每次都说会有人联系，结果一直没人管",
    "onsite|师傅说配件要从总部调货，让我等一周，现在都快一个月了",
    "mailin|上次寄修等了半个多月才寄回来，用了不到十天又出问题",
    "mailin|4月初寄过去的，5月中才寄回来，孩子一个多月没东西用",
)
TRIED = (
    "自己按说明书试了一遍，还是不行",
    "看了网上的教程也弄不好",
    "lock|电池也换成新的了，没用",
    "lock|把电池拆下来重新装了一遍，还是老样子",
    "tablet|重启过好几次了，也恢复过出厂设置，都没用",
    "watch|关机重启、重新插卡都试过了",
    "purifier|总阀关了重新开也不行",
    "airer|断电重启过，遥控器也换了电池",
)
IMPACT = {
    "lock": ("家里老人进出很不方便", "每天出门都提心吊胆的", "现在每次都得用机械钥匙开"),
    "tablet": ("孩子的网课都耽误了", "作业都没法在上面做了", "孩子天天问什么时候能修好"),
    "watch": ("孩子上学的时候完全联系不上，很担心", "现在只能让孩子借同学手机打电话"),
    "purifier": ("现在只能买桶装水喝", "做饭都得用自来水烧"),
    "airer": ("衣服都没地方晾", "每次只能手动拉着晾衣杆"),
}
DETAIL = (
    "早上出门还好好的，晚上回来就这样了",
    "一开始只是偶尔这样，这几天越来越频繁",
    "家里好几个人都试过了，都一样",
    "之前也出现过一次，后来自己好了，这次一直不好",
)
NO_TRYING = {
    "password_forgotten",
    "temporary_password",
    "account_binding",
    "app_install_blocked",
    "screen_broken",
    "handle_loose",
    "door_compatibility",
    "installation_request",
    "smoke_or_burning",
    "water_leak",
    "locked_out",
    "filter_replacement",
    "water_quality",
    "battery_low",
    "lock_jammed",
}
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

OPENERS = {
    "chat": ("", "", "", "在吗？", "你好，", "您好，", "客服，", "hi，", "亲，", "hello，", "客服在吗？"),
    "wechat": ("", "", "在不在", "你好", "[抱拳]", "在吗"),
    "hotline": ("喂，你好，", "喂？是售后吗？", "你好你好，", "哎，你好，", "喂，你好，我想问一下，"),
    "formal": ("您好：", "尊敬的客服：", "你好，"),
}
CLOSINGS = {
    "neutral": ("", "", "", "谢谢", "谢谢！", "麻烦了", "多谢", "🙏", "等回复"),
    "polite": ("谢谢！", "麻烦您了🙏", "辛苦了，谢谢", "谢谢啦", "劳驾了", "多谢多谢"),
    "urgent": ("快点！", "在线等！", "拜托了🙏", "急！", ""),
    "angry": ("", "赶紧的！", "尽快给我回复！", "😡"),
    "negative": ("", "尽快处理吧。", "希望快点解决。"),
    "positive": ("", "谢谢！", "👍"),
}
FORMAL_CLOSINGS = ("望尽快处理，谢谢。", "盼复。", "请予以处理，谢谢！", "烦请尽快安排，谢谢。")
FORM_TITLES = ("在线留言", "售后服务申请", "官网服务表单", "服务请求")
NOTE_HEADERS = ("客户来电反映：", "【热线记录】客户反映", "来电人称", "客户致电称", "【来电】")
NOTE_REQ = {
    "rr": ("要求上门维修", "要求尽快安排师傅", "希望安排维修"),
    "rr_mailin": ("要求寄修", "需要维修，已告知寄修流程", "希望尽快修好"),
    "rr_remote": ("要求后台协助处理", "需技术远程排查"),
    "ru": ("情况紧急，要求马上派人", "客户要求尽快处理", "需紧急处理"),
    "ru_mailin": ("客户要求尽快处理", "需紧急处理", "情况紧急，已安排专人跟进"),
    "rc": ("此前已维修过，问题反复出现，要求彻底解决", "多次维修未果，要求升级处理"),
    "cq": ("咨询原因和处理方法", "咨询能否自行处理", "咨询处理办法"),
    "pr": ("对产品质量不满，要求投诉", "客户要求登记投诉"),
    "pc": ("要求退货退款", "要求赔偿", "要求给出处理方案并赔偿"),
    "ir": ("预约上门安装", "要求安排安装，时间待定", "希望周末安装"),
    "ic": ("需批量安装，要求出方案和报价", "项目批量安装，需安排专人对接"),
    "ic_door": ("需二次上门安装，待配件到货", "需重新测量后再安排安装"),
    "ty": ("对师傅的服务表示满意，特此表扬", "客户表示非常满意，表示感谢"),
}
NOTE_TONE = {
    "angry_complaint": ("客户情绪激动，称要打12315", "客户情绪激动，表示要找媒体曝光"),
    "angry_repair": ("客户情绪激动，骂产品是垃圾", "客户情绪激动，说什么破东西"),
    "negative": ("客户对此很不满", "客户表示很失望"),
    "positive": ("客户对之前的服务很满意",),
}
THIRD_PERSON = (
    ("我们家", "家中"),
    ("我家的", "家中"),
    ("我家孩子的", "孩子的"),
    ("我家", "家中"),
    ("家里的", "家中"),
    ("我妈", "其母亲"),
    ("我这边", "客户这边"),
    ("我手机", "客户手机"),
    ("我被", "客户被"),
    ("我一个人", "客户一个人"),
    ("我们全家", "全家"),
    ("我", "客户"),
)

FORMAL_DATE = ("去年5月", "今年3月", "2023年底", "上个月", "前年双十一", "2024年6月")
FORMAL_CHANNEL = ("京东", "天猫旗舰店", "线下专卖店", "拼多多", "官方商城", "苏宁")
ADDRESSES = (
    "深圳市宝安区西乡街道碧海花园",
    "广州天河区棠下",
    "上海市闵行区莘庄镇",
    "杭州余杭区良渚文化村",
    "北京朝阳区望京西园三区",
    "成都高新区天府三街",
    "武汉洪山区光谷",
    "南京江宁区百家湖",
    "长沙岳麓区麓谷",
    "郑州金水区",
    "西安雁塔区小寨",
    "重庆渝北区",
    "苏州工业园区",
    "佛山顺德区大良",
    "东莞南城",
    "天津河西区",
    "济南历下区",
    "合肥蜀山区",
    "福州鼓楼区",
    "昆明五华区",
)
NAMES = ("张女士", "王先生", "李女士", "刘先生", "陈女士", "杨先生", "黄女士", "赵先生", "周女士", "吴先生")
BATCH_SIZES = ("12", "18", "20", "24", "30", "36", "45", "60", "80", "120", "200")

# ---------------------------------------------------------------------------------------------------------
# Non-fault topics: consultations, service-only complaints, plain thanks
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    id: str
    story: str  # cq (consultation), pr / pc (service complaint), thanks
    products: tuple[str, ...]
    phrases: tuple[Phrase, ...]
    follow: tuple[str, ...] = ()


ALL_PRODUCTS = (*ALL_LOCKS, T10, W2, R5, C2)
TOPICS: tuple[Topic, ...] = (
    Topic(
        "price",
        "cq",
        ALL_PRODUCTS,
        (
            P("{m}多少钱"),
            P("{m}现在有活动吗"),
            P("双十一{m}能便宜多少"),
            P("老客户再买一台{m}有折扣吗"),
            P("以旧换新怎么算，旧锁能抵多少钱", fam="lock"),
            P("{m}和{m2}有什么区别，哪个更值", fam="lock"),
            P("{m}的滤芯一年下来要花多少钱", fam="purifier"),
        ),
    ),
    Topic(
        "where_to_buy",
        "cq",
        ALL_PRODUCTS,
        (
            P("线下哪里有实体店能看{m}"),
            P("{m}在拼多多买的是正品吗"),
            P("我们县城有你们的专卖店吗"),
            P("想买{m}送爸妈，官方旗舰店在哪"),
            P("天猫和京东自营哪个发货快"),
        ),
    ),
    Topic(
        "invoice",
        "cq",
        ALL_PRODUCTS,
        (
            P("发票怎么开"),
            P("能开增值税专票吗，公司要报销"),
            P("电子发票抬头写错了，能重开吗"),
            P("买了一个月了发票还没收到"),
            P("安装费能单独开票吗"),
        ),
    ),
    Topic(
        "warranty",
        "cq",
        ALL_PRODUCTS,
        (
            P("{m}保修多久"),
            P("保修多久"),
            P("保修卡丢了还能保修吗"),
            P("过了保修期修要收费吗"),
            P("保修期是从购买还是安装那天开始算"),
            P("延保服务怎么买，多少钱"),
            P("{m}的电池在保修范围内吗", fam="lock watch tablet"),
        ),
    ),
    Topic(
        "membership",
        "cq",
        ALL_PRODUCTS,
        (
            P("会员积分怎么兑换"),
            P("积分快过期了，能换什么"),
            P("会员等级怎么升"),
            P("老会员有什么专属福利吗"),
            P("会员卡怎么绑定到新手机号"),
        ),
    ),
    Topic(
        "delivery",
        "cq",
        ALL_PRODUCTS,
        (
            P("订单什么时候发货"),
            P("物流三天没更新了，帮忙查一下"),
            P("能指定周末送货吗"),
            P("快递能送上楼吗，家里没电梯"),
        ),
    ),
    Topic(
        "features",
        "cq",
        ALL_PRODUCTS,
        (
            P("{m}支持NFC开门吗", fam="lock"),
            P("{m}能接入米家吗", fam="lock airer"),
            P("{m}能装微信吗", fam="watch"),
            P("{m}有护眼模式吗", fam="tablet"),
            P("{m}能烘干衣服吗", fam="airer"),
            P("{m}需要接电源吗", fam="purifier"),
            P("{m}防水吗，洗手能戴着吗", fam="watch"),
            P("{m}能视频通话吗", fam="watch"),
            P("{m}里面的课程要另外收费吗", fam="tablet"),
        ),
    ),
    Topic(
        "usage",
        "cq",
        ALL_PRODUCTS,
        (
            P("怎么添加家人的指纹", fam="lock"),
            P("开门记录在APP哪里看", fam="lock"),
            P("手表怎么设置上课禁用时间", fam="watch", imp=W2),
            P("语音播报的声音能调小吗", fam="lock"),
            P("平板怎么设置孩子每天的使用时长", fam="tablet", imp=T10),
            P("晾衣架的遥控器怎么配对", fam="airer", imp=C2),
            P("晾衣架的照明灯怎么单独关", fam="airer", imp=C2),
            P("怎么报修"),
        ),
    ),
    Topic(
        "service_routine",
        "pr",
        ALL_PRODUCTS,
        (
            P("约的上午十点，师傅下午三点才到，也不提前打个电话"),
            P("上门的师傅态度很差，嫌我问题多"),
            P("客服电话打了一上午都没人接"),
            P("在线客服一直是机器人回复，转不了人工"),
            P("报修三天了，一直没人联系我"),
            P("说好24小时内回电，到现在也没人打"),
            P("师傅来了看一眼就走了，说改天再来，也没说哪天"),
            P("客服说话阴阳怪气的，问两句就不耐烦"),
            P("师傅上门不穿鞋套，走的时候地上全是脚印"),
        ),
        follow=(
            "我要投诉这个师傅。",
            "我要投诉，你们管不管？",
            "希望你们好好管管，我要投诉。",
            "这服务必须给个说法。",
            "这服务我要投诉，还要给差评。",
        ),
    ),
    Topic(
        "service_dispute",
        "pc",
        ALL_PRODUCTS,
        (
            P("师傅装锁的时候把门划了好几道", fam="lock"),
            P("安装的时候把橱柜台面打裂了", fam="purifier"),
            P("退货寄回去半个月了，钱还没退"),
            P("快递送来箱子就是破的，安装师傅让找物流，物流让找你们，来回踢皮球"),
            P("预约了三次上门，三次都被放鸽子"),
            P("师傅换了个把手收了150，也不给收据", fam="lock"),
            P("维修费报价前后不一样，先说80后来要300"),
            P("经销商说找厂家，厂家说找经销商，一个月了没人管"),
            P("保修期内上门还收了100块上门费"),
        ),
        follow=(
            "要求赔偿。",
            "要求退还费用。",
            "要求给个书面处理结果。",
            "请你们的主管出面解决。",
            "要求全额退款。",
        ),
    ),
    Topic(
        "thanks",
        "thanks",
        ALL_PRODUCTS,
        (
            P("客服态度很好，问题解决了，谢谢"),
            P("今天上门的王师傅特别耐心，给你们点赞"),
            P("你们售后比我想象的快多了，很满意"),
            P("师傅很专业，还教我怎么保养"),
            P("谢谢客服小姐姐，帮了大忙"),
            P("第一次遇到这么负责的售后"),
            P("师傅装得很漂亮，走的时候还把垃圾带走了"),
            P("问题处理得很及时，辛苦了"),
        ),
    ),
)
TOPIC_STORY = {
    "cq": ("consultation", "routine"),
    "pr": ("complaint", "routine"),
    "pc": ("complaint", "complex"),
    "thanks": ("consultation", "routine"),
}

# ---------------------------------------------------------------------------------------------------------
# Noise: typos / homophones, regional words, English, emoji
# ---------------------------------------------------------------------------------------------------------

TYPOS = (
    ("指纹", "指文"),
    ("密码", "密吗"),
    ("充不进电", "充不近电"),
    ("刷卡", "涮卡"),
    ("安装", "按装"),
    ("师傅", "师父"),
    ("已经", "以经"),
    ("晾衣", "凉衣"),
    ("滤芯", "虑芯"),
    ("账号", "帐号"),
    ("反锁", "反琐"),
    ("在家", "再家"),
    ("平板", "平版"),
    ("麻烦", "麻繁"),
    ("怎么", "怎莫"),
    ("什么", "神马"),
    ("这样", "酱紫"),
    ("一下", "一哈"),
    ("定位", "订位"),
)
DIALECTS: dict[str, tuple[tuple[str, str], ...]] = {
    "north": (("怎么", "咋"), ("什么", "啥"), ("我家", "俺家"), ("我们", "俺们"), ("没有", "木有"), ("了。", "嘞。")),
    "canton": (("没有", "冇"), ("修好了", "搞掂了"), ("搞定", "搞掂"), ("不要", "唔好"), ("是不是", "系唔系")),
    "wu": (("你好", "侬好"), ("我们", "阿拉"), ("吗？", "伐？"), ("怎么", "哪能")),
    "southwest": (("知道", "晓得"), ("什么", "啥子"), ("怎么办", "咋个办"), ("了，", "了嘛，"), ("没有", "没得")),
}
DIALECT_TAILS = {"north": ("嘞", "哈"), "canton": ("啊", "喔"), "wu": ("呀",), "southwest": ("嘛", "哦")}
ENGLISH = (("应用商店", "APP商店"), ("好的，", "OK，"), ("重置", "reset"), ("无线网", "wifi"), ("可以吗？", "OK吗？"))
ENGLISH_CASE = (("APP", ("app", "App", "APP")), ("wifi", ("WiFi", "WIFI", "wifi", "Wi-Fi")))
EMOJI = {
    "angry": ("😡", "🤬", "💢", "[发怒]"),
    "sarcastic": ("[微笑]", "🙂"),
    "distress": ("😭", "😰", "[流泪]"),
    "negative": ("😓", "😔", "[撇嘴]"),
    "tricky_negative": ("😓", "😔"),
    "polite": ("🙏", "[抱拳]"),
    "positive": ("👍", "😊", "🌹", "[强]", "[玫瑰]"),
    "tricky_positive": ("👍", "😊"),
    "neutral": ("🤔", "[捂脸]", "😅"),
    "tricky_neutral": ("😅", "[捂脸]"),
}
FILLERS = ("那个", "就是", "嗯", "呃", "然后", "就是说")

# Markers used by the self-checks (not by the composition).
ANGER_MARKERS = (
    "12315",
    "消协",
    "曝光",
    "退钱",
    "骗子",
    "垃圾东西",
    "太垃圾",
    "是垃圾",
    "什么破",
    "啥破",
    "啥子破",
    "神马破",
    "气死",
    "无语",
    "坑人",
    "服了",
    "第三次",
    "第四次",
    "四五次",
    "烦不烦",
    "呵呵",
    "真行啊",
    "厉害了",
    "可真好",
    "惊喜",
    "佩服",
    "倒了霉",
    "再也不买",
    "法院",
    "黑猫",
    "情绪激动",
    "😡",
    "🤬",
    "💢",
    "[发怒]",
    "人买的东西",
    "这么做产品",
)
STRONG_ANGER = (
    "12315",
    "消协",
    "曝光",
    "退钱",
    "骗子",
    "垃圾东西",
    "太垃圾",
    "是垃圾",
    "什么破",
    "气死",
    "坑人",
    "😡",
    "🤬",
    "情绪激动",
)
_REPEATED = re.compile(r"[!！]{3,}|[?？]{3,}")
POSITIVE_MARKERS = (
    "谢谢",
    "感谢",
    "满意",
    "点赞",
    "好评",
    "专业",
    "耐心",
    "靠谱",
    "👍",
    "赞",
    "负责",
    "没让我失望",
    "很好",
    "挺好",
    "没想到",
    "快多了",
    "及时",
    "辛苦",
    "漂亮",
)
_NOISE = re.compile(r"[\W\d_]+", re.UNICODE)
_CODE = {
    model: re.compile(r"(?<![A-Z0-9])(?:YL[-_ —]?)?" + model[3] + r"-?" + model[4:] + r"(?![0-9])") for model in MODELS
}


def fold(text: str) -> str:
    """The evaluation's comparison form: NFKC, lower case, letters only (no punctuation, digits, emoji)."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", text).lower())


def shingles(text: str) -> set[str]:
    folded = fold(text)
    return {folded[i : i + 2] for i in range(max(1, len(folded) - 1))}


# ---------------------------------------------------------------------------------------------------------
# Composition
# ---------------------------------------------------------------------------------------------------------

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


def scoped(items: tuple[str, ...], family: str, remote: bool = False) -> list[str]:
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


REGISTERS = {"chat": 4, "wechat": 2, "hotline": 1.4, "note": 1, "form": 1, "formal": 1, "terse": 0.9, "long": 1.2}


def pick_register(rng: random.Random, story: str, phrase: Phrase) -> str:
    weights = dict(REGISTERS)
    if len(phrase.text) <= 6:  # short phrasings often arrive as short messages
        weights["terse"] = 5
    if story in ("ty", "thanks"):
        weights.pop("form")
    if story in ("ic",):
        weights.pop("terse")
    return choose_weighted(rng, weights)


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
        requests: tuple[str, ...]
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
        questions = list(phrase.qs) or scoped(fault.questions, fam)
        if not phrase.qs and not phrase.question and fault.generic_questions:
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


def third_person(text: str) -> str:
    for first, third in THIRD_PERSON:
        text = text.replace(first, third)
    return text


def compose_fault(rng: random.Random, fault: Fault, phrase: Phrase, story: str) -> dict[str, object]:
    register = pick_register(rng, story, phrase)
    terse = register == "terse"
    tone = tone_for(rng, story, register)
    if phrase.neg and tone != "negative":
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
    return labels(d, text, STORIES[story], fault.id, phrase.neg)


def allowed_products(products: tuple[str, ...], phrase: Phrase) -> tuple[str, ...]:
    chosen = products
    if phrase.fam:
        chosen = tuple(p for p in chosen if FAMILY[p] in phrase.fam)
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
        options = EMOJI.get(d.tone, ())
        if d.story == "ru" and d.tone in ("neutral", "polite"):
            options = ("🙏", "[抱拳]")
        if options:
            emoji = rng.choice(options)
            text = text + emoji if rng.random() < 0.7 else emoji + text
    if d.register == "chat" and rng.random() < 0.1:
        text = text.replace("，", rng.choice((",", " ", "。。")))
    return text


def labels(d: Draft, text: str, kind_priority: tuple[str, str], fault: str | None, neg: bool) -> dict[str, object]:
    anger = 1 if d.tone in ("angry", "sarcastic") or d.history_angry else 0
    negative = d.tone in ("negative", "tricky_negative", "distress") or d.negative_slot or neg
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


# ---------------------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Corpus:
    """Accepted messages with the dedupe index."""

    rows: list[dict[str, object]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    index: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    sizes: list[int] = field(default_factory=list)

    def near_duplicate(self, text: str, limit: float = 0.8) -> bool:
        key = fold(text)
        if not key or key in self.keys:
            return True
        grams = shingles(text)
        overlap: Counter[int] = Counter()
        for gram in grams:
            for position in self.index.get(gram, ()):
                overlap[position] += 1
        return any(count / (len(grams) + self.sizes[pos] - count) >= limit for pos, count in overlap.items())

    def add(self, row: dict[str, object]) -> None:
        text = str(row["text"])
        position = len(self.rows)
        self.rows.append(row)
        self.keys.add(fold(text))
        grams = shingles(text)
        self.sizes.append(len(grams))
        for gram in grams:
            self.index[gram].append(position)


def skeletons(rng: random.Random) -> list[tuple[str, Fault | Topic, Phrase, str]]:
    """(skeleton key, fault or topic, phrasing, story) in a fixed order."""
    out: list[tuple[str, Fault | Topic, Phrase, str]] = []
    for fault in FAULTS:
        chosen_by_story: dict[str, int] = Counter()
        plan: list[tuple[int, str]] = []
        for index, phrase in enumerate(fault.phrases):
            stories = phrase.stories or tuple(s for s in fault.stories if rng.random() < STORY_CHANCE[s])
            for story in stories:
                plan.append((index, story))
                chosen_by_story[story] += 1
        for story in fault.stories:  # every listed story told at least once
            free = [i for i, p in enumerate(fault.phrases) if not p.stories]
            if not chosen_by_story[story] and free:
                plan.append((rng.choice(free), story))
        for index, story in sorted(set(plan), key=lambda item: (item[0], list(STORIES).index(item[1]))):
            phrase = fault.phrases[index]
            lockless = all(FAMILY[p] != "lock" for p in allowed_products(fault.products, phrase))
            if story == "ru" and fault.urgent in LOCK_URGENCIES and (lockless or phrase.mild):
                continue  # a tablet or watch fault, or a slow / intermittent one, does not lock anyone out
            out.append((f"{fault.id}/{index}/{story}", fault, fault.phrases[index], story))
    for topic in TOPICS:
        for index, phrase in enumerate(topic.phrases):
            out.append((f"{topic.id}/{index}/{topic.story}", topic, phrase, topic.story))
    return out


def build() -> list[dict[str, object]]:
    rng = random.Random(SEED)
    corpus = Corpus()
    group_of: dict[str, str] = {}
    for key, source, phrase, story in skeletons(rng):
        wanted = VARIANTS.get(story, 3) if isinstance(source, Fault) else 3
        made = 0
        for _attempt in range(wanted * 12):
            if made >= wanted:
                break
            if isinstance(source, Fault):
                row = compose_fault(rng, source, phrase, story)
            else:
                row = compose_topic(rng, source, phrase)
            if corpus.near_duplicate(str(row["text"])):
                continue
            if key not in group_of:
                group_of[key] = f"g{len(group_of) + 1:04d}"
            row["group"] = group_of[key]
            row["_skeleton"] = key
            corpus.add(row)
            made += 1
    rows = corpus.rows
    rng.shuffle(rows)
    ordered = []
    for number, row in enumerate(rows, start=1):
        ordered.append(
            {
                "id": f"c{number:05d}",
                "group": row["group"],
                "text": row["text"],
                "kind": row["kind"],
                "priority": row["priority"],
                "product_model": row["product_model"],
                "fault_type": row["fault_type"],
                "sentiment": row["sentiment"],
                "anger": row["anger"],
                "_multi": row.get("_multi", False),
            }
        )
    return ordered


# ---------------------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------------------

MINIMUMS = {"records": 1800, "groups": 300, "kind": 200, "priority": 200, "fault": 30, "anger": 200, "positive": 150}


def has_anger_marker(text: str) -> bool:
    folded = unicodedata.normalize("NFKC", text)
    return any(marker in folded for marker in ANGER_MARKERS) or bool(_REPEATED.search(folded))


def validate(rows: list[dict[str, object]]) -> None:
    assert len(rows) >= MINIMUMS["records"], len(rows)
    texts = [str(r["text"]) for r in rows]
    assert len(set(texts)) == len(texts), "duplicate texts"
    assert len({fold(t) for t in texts}) == len(texts), "near-exact duplicate texts"
    groups: dict[str, list[dict[str, object]]] = defaultdict(list)
    for row in rows:
        assert set(row) - {"_multi"} == {
            "id",
            "group",
            "text",
            "kind",
            "priority",
            "product_model",
            "fault_type",
            "sentiment",
            "anger",
        }
        text = str(row["text"])
        assert text.strip() == text and text, row
        assert row["kind"] in KINDS, row
        assert row["priority"] in PRIORITIES, row
        assert row["sentiment"] in SENTIMENTS, row
        assert row["anger"] in (0, 1), row
        assert row["product_model"] is None or row["product_model"] in MODELS, row
        fault = row["fault_type"]
        assert fault is None or re.fullmatch(r"[a-z]+(_[a-z]+)*", str(fault)), row
        if row["anger"] == 1:
            assert row["sentiment"] == "negative", row
            assert has_anger_marker(text), row
        else:
            folded = unicodedata.normalize("NFKC", text)
            assert not any(m in folded for m in STRONG_ANGER) or "不是要投诉" in folded, row
            assert not _REPEATED.search(folded), row
        if row["sentiment"] == "positive":
            assert any(m in text for m in POSITIVE_MARKERS), row
        # an explicit model code must agree with the label (comparisons of two models are null)
        upper = unicodedata.normalize("NFKC", text).upper()
        found = [model for model, pattern in _CODE.items() if pattern.search(upper)]
        if len(found) == 1 and not row["_multi"]:
            assert row["product_model"] == found[0], row
        if row["priority"] == "urgent":
            assert row["kind"] == "repair", row
        groups[str(row["group"])].append(row)
    assert len(groups) >= MINIMUMS["groups"], len(groups)
    for members in groups.values():
        for name in ("kind", "priority", "fault_type"):
            assert len({str(m[name]) for m in members}) == 1, members
    kinds = Counter(str(r["kind"]) for r in rows)
    priorities = Counter(str(r["priority"]) for r in rows)
    faults = Counter(str(r["fault_type"]) for r in rows if r["fault_type"])
    assert all(kinds[k] >= MINIMUMS["kind"] for k in KINDS), kinds
    assert all(priorities[p] >= MINIMUMS["priority"] for p in PRIORITIES), priorities
    assert len(faults) >= 24, faults
    assert all(count >= MINIMUMS["fault"] for count in faults.values()), faults
    assert sum(int(str(r["anger"])) for r in rows) >= MINIMUMS["anger"]
    assert sum(r["sentiment"] == "positive" for r in rows) >= MINIMUMS["positive"]
    lengths = [len(t) for t in texts]
    assert min(lengths) <= 6 and max(lengths) >= 150, (min(lengths), max(lengths))
    assert sum(length >= 150 for length in lengths) >= 20
    assert all(any(m in t for t in texts) for m in ("咋", "啥", "木有", "晓得", "搞掂", "冇", "嘞", "俺", "侬"))
    assert all(any(m in t for t in texts) for m in ("指文", "密吗", "充不近电", "😡", "🙏", "👍", "😭", "wifi", "OK"))
    # no cross-group near-duplicates (character-bigram Jaccard ≥ 0.8, the evaluation's test)
    corpus = Corpus()
    for row in rows:
        assert not corpus.near_duplicate(str(row["text"])), row
        corpus.add(row)


def counts(rows: list[dict[str, object]]) -> str:
    lines = [f"records: {len(rows)}", f"groups: {len({r['group'] for r in rows})}"]
    for name in ("kind", "priority", "sentiment", "anger", "product_model", "fault_type"):
        counter = Counter("null" if r[name] is None else str(r[name]) for r in rows)
        lines.append(f"{name}:")
        lines += [f"  {label}: {count}" for label, count in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]
    lengths = sorted(len(str(r["text"])) for r in rows)
    lines.append(f"text length: min {lengths[0]}, median {lengths[len(lengths) // 2]}, max {lengths[-1]}")
    return "\n".join(lines)


def render(rows: list[dict[str, object]]) -> str:
    public = [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows]
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in public)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if corpus.jsonl differs from a fresh build")
    args = parser.parse_args(argv)
    rows = build()
    validate(rows)
    data = render(rows)
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != data:
            print("corpus.jsonl is out of date: run build_corpus.py", file=sys.stderr)
            return 1
    else:
        OUT.write_text(data, encoding="utf-8", newline="\n")
    print(counts(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
