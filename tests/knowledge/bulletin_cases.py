"""Labelled test set for known-issue bulletin matching: three bulletins with the cues an editor would
enter, matching new-ticket phrasings written in varied colloquial Chinese (typos, regional words, no
model in the text, version numbers), and unrelated after-sales messages — hand-written faults of the
same products plus a deterministic sample of the triage corpus (other fault types).

Everything here was written for this project; no real customer text."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

BULLETINS: dict[str, dict[str, Any]] = {
    "fingerprint": {
        "title": "YL-S7 升级固件 2.3.1 后指纹识别失灵",
        "cause": "2.3.1 固件的指纹比对阈值设置错误，升级后已录入的指纹识别率大幅下降。",
        "product_models": ["YL-S7"],
        "versions": ["2.3.1"],
        "keywords": [
            "指纹|手指|指头",
            "识别不了|识别失败|不识别|认不出|不认|失灵|不灵|没反应|用不了|失效|不好使|不管用|不中用"
            "|开不了|开不开|按不开|打不开|验证失败|错误|识别率|识别|录不进",
        ],
    },
    "charging": {
        "title": "YL-T10 部分批次充电口接触不良，充不进电或充电断断续续",
        "cause": "2026 年 9 月批次充电口弹片偏软，插头稍有晃动即断开。",
        "product_models": ["YL-T10"],
        "versions": [],
        "keywords": [
            "充电|充不进|充不上|不充电|充电口|充电孔|充电器|充电线|数据线|插头|电充|有电|掉电",
            "充不进|充不上|不充|没反应|断断续续|时断时续|时充时不充|接触不良|松|晃|角度|按着|不显示|断|没法充"
            "|坏|闪|不稳定|时有时无|掉电|很慢|不涨",
        ],
    },
    "positioning": {
        "title": "YL-W2 家长 App 5.0 更新后手表定位漂移",
        "cause": "App 5.0 的坐标换算错误，手表位置在地图上偏移数百米到数公里。",
        "product_models": ["YL-W2"],
        "versions": ["5.0"],
        "keywords": [
            "定位|位置|gps|地图|在哪",
            "不准|漂|飘|偏|乱跳|在跳|跳来跳去|跑到|公里|错|不对|不一样|不更新|河里|别的|隔壁|对面",
        ],
    },
}

# (bulletin key, the ticket's product model or None when the caller did not give one, description)
MATCHING: list[tuple[str, str | None, str]] = [
    ("fingerprint", "YL-S7", "YL-S7 升级固件 2.3.1 后指纹识别失灵"),
    ("fingerprint", "YL-S7", "门锁昨天自动升级了，今天指纹就识别不了了"),
    ("fingerprint", "YL-S7", "升级完以后按指纹没反应，只能用密码开门"),
    ("fingerprint", "YL-S7", "指纹不灵了，按好几次都不行，是不是更新出问题了"),
    ("fingerprint", "YL-S7", "更新系统后指纹认不出来了"),
    ("fingerprint", None, "我家S7指纹开不了门了，前天刚升的级"),
    ("fingerprint", "YL-S7", "指纹老是验证失败，以前好好的"),
    ("fingerprint", "YL-S7", "手指按上去一直提示识别失败"),
    ("fingerprint", "YL-S7", "指文识别不了，升级后就这样"),
    ("fingerprint", "YL-S7", "指纹锁升级之后指纹用不了了，家里老人进不了门"),
    ("fingerprint", "YL-S7", "咋回事啊，升了个级指纹就不好使了"),
    ("fingerprint", "YL-S7", "指纹按了没得反应，升级了新版本"),
    ("fingerprint", "YL-S7", "老是指纹错误，系统升级到2.3.1之后的事"),
    ("fingerprint", "YL-S7", "录好的指纹全都不认了，刚更新完固件"),
    ("fingerprint", "YL-S7", "门锁指纹失效，app 提示固件已更新"),
    ("fingerprint", "YL-S7", "指纹识别率变得特别低，十次有八次不行"),
    ("fingerprint", "YL-S7", "师傅，指纹按不开门了，密码可以开"),
    ("fingerprint", "YL-S7", "昨晚升级固件，今天早上全家指纹都开不了锁"),
    ("fingerprint", "YL-S7", "指纹一按就滴滴响，提示验证失败，重新录也不行"),
    ("fingerprint", "YL-S7", "指纹头好像坏了，按了没反应，更新后开始的"),
    ("fingerprint", "YL-S7", "升级后指纹功能失灵，请派人处理"),
    ("fingerprint", "YL-S7", "指纹解锁不了啦！！升级了个啥玩意儿"),
    ("fingerprint", "YL-S7", "俺家锁的指纹不中用了，刚升过级"),
    ("fingerprint", None, "S7 指纹识别失灵，固件版本 2.3.1"),
    ("fingerprint", "YL-S7", "按指纹没反应了，密码和卡都能开"),
    ("fingerprint", "YL-S7", "指纹识别老失败，重启也没用"),
    ("fingerprint", "YL-S7", "升级以后用指纹开不开，只能输密码"),
    ("fingerprint", "YL-S7", "麻烦看下，指纹突然认不出来了，是不是固件的问题"),
    ("fingerprint", "YL-S7", "指纹总是不识别，升级V2.3.1之后"),
    ("fingerprint", "YL-S7", "我妈的指纹录不进去也认不出来，上周升级过"),
    ("fingerprint", "YL-S7", "手指头放上去没反应，门打不开，系统刚升级"),
    ("fingerprint", "YL-S7", "ＹＬ－Ｓ７指纹识别不了（全角输入）"),
    ("charging", "YL-T10", "学习机充不进电，插上充电器没反应"),
    ("charging", "YL-T10", "平板充电断断续续的，要扭着线才能充"),
    ("charging", "YL-T10", "充电口松了，充一会儿就断"),
    ("charging", "YL-T10", "插上充电线不显示充电"),
    ("charging", None, "T10 学习平板充不上电了"),
    ("charging", "YL-T10", "孩子的学习机充电时充时不充"),
    ("charging", "YL-T10", "充电器插头插进去晃一晃才有电"),
    ("charging", "YL-T10", "平板电充不进去，电量一直不涨"),
    ("charging", "YL-T10", "充电接触不良，得找角度"),
    ("charging", "YL-T10", "学习机不充电了，换了充电器也一样"),
    ("charging", "YL-T10", "充电口接触不好，一碰就断开"),
    ("charging", "YL-T10", "插着电也在掉电，根本充不进去"),
    ("charging", "YL-T10", "充电的时候一会儿显示一会儿不显示"),
    ("charging", "YL-T10", "俺娃的学习机冲不进电"),
    ("charging", "YL-T10", "数据线插上去松松垮垮的，充电老断"),
    ("charging", "YL-T10", "学习平板充电很慢而且老是断"),
    ("charging", "YL-T10", "充电孔有问题，要用手按着才能充"),
    ("charging", "YL-T10", "平板没法充电了，充电器是原装的"),
    ("charging", "YL-T10", "充电图标闪一下就没了"),
    ("charging", "YL-T10", "机器充不进电，开不了机了"),
    ("charging", "YL-T10", "学习机充电口坏了吧，插了没反应"),
    ("charging", None, "t10充电不稳定，时有时无"),
    ("charging", "YL-T10", "娃的平板冲电冲不上，急用上网课"),
    ("positioning", "YL-W2", "手表定位不准，显示在几公里外"),
    ("positioning", "YL-W2", "孩子明明在学校，app上定位显示在别的区"),
    ("positioning", "YL-W2", "电话手表位置乱跳"),
    ("positioning", "YL-W2", "定位老是漂，一会儿这一会儿那"),
    ("positioning", "YL-W2", "手表定位偏差很大，差了好几公里"),
    ("positioning", None, "W2 定位不准"),
    ("positioning", "YL-W2", "看孩子位置的时候地图上显示在河里"),
    ("positioning", "YL-W2", "定位一直不更新，还是昨天的位置"),
    ("positioning", "YL-W2", "更新app以后手表定位就错了"),
    ("positioning", "YL-W2", "定位飘得厉害，根本找不到娃在哪"),
    ("positioning", "YL-W2", "手表显示的位置和实际不一样"),
    ("positioning", "YL-W2", "儿童手表的定位跑到隔壁市去了"),
    ("positioning", "YL-W2", "定位信息不对，明明在家显示在公园"),
    ("positioning", "YL-W2", "孩子手表GPS定位老是偏"),
    ("positioning", "YL-W2", "位置刷新出来差了两三公里"),
    ("positioning", "YL-W2", "定位不准确，家长版上看的位置是错的"),
    ("positioning", "YL-W2", "手表定为不准，娃在学校显示在外面"),
    ("positioning", "YL-W2", "宝贝的位置一直在跳，吓死我了"),
    ("positioning", "YL-W2", "定位漂移严重，请尽快处理"),
    ("positioning", "YL-W2", "手表定位跑偏，显示在马路对面的小区"),
    ("positioning", "YL-W2", "升级家长app 5.0后定位就乱了"),
]

# Hand-written unrelated messages: mostly the same products' other faults, near misses on purpose.
UNRELATED_WRITTEN: list[tuple[str | None, str]] = [
    ("YL-S7", "电池没电了开不了门"),
    ("YL-S7", "人脸识别不了，要凑很近才行"),
    ("YL-S7", "密码忘了，怎么重置"),
    ("YL-S7", "门关不上，锁舌弹不出来"),
    ("YL-S7", "门铃按了不响"),
    ("YL-S7", "锁半夜一直报警，吵死了"),
    ("YL-S7", "app 显示门锁离线，连不上wifi"),
    ("YL-S7", "新房子要装一把S7，什么时候能上门安装"),
    ("YL-S7", "门把手松了，晃来晃去"),
    ("YL-S7", "门卡刷了没反应"),
    ("YL-S7", "升级后连不上wifi了"),
    ("YL-S7", "指纹锁没电了，用充电宝也开不了门"),
    ("YL-S7", "指纹锁装不上，门太厚了"),
    ("YL-S7", "想多录几个指纹，怎么操作"),
    ("YL-S7", "指纹锁屏幕不亮了"),
    ("YL-S7", "指纹头外壳裂了一道缝"),
    ("YL-S7", "锁体里面咔咔响，电机声音很大"),
    ("YL-S7", "临时密码发给保姆了，怎么设置有效期"),
    ("YL-S7", "反锁以后外面还能打开吗"),
    ("YL-S7", "猫眼看不清，晚上一片黑"),
    ("YL-S7", "指纹锁被小孩摔了，面板松动"),
    ("YL-S7", "钥匙孔盖子掉了"),
    ("YL-S7", "能不能开发票，上个月买的指纹锁"),
    ("YL-S7", "密码键盘按了没反应，屏幕也不亮"),
    ("YL-F3", "升级后指纹识别失灵"),
    ("YL-A9", "指纹识别不了，按了好几次"),
    ("YL-P1", "指纹开不了门了"),
    ("YL-T10", "屏幕摔碎了，能换屏吗"),
    ("YL-T10", "学习机老是死机，点什么都没反应"),
    ("YL-T10", "平板连不上家里的wifi"),
    ("YL-T10", "孩子的账号绑定不了家长手机"),
    ("YL-T10", "学习机没声音了"),
    ("YL-T10", "充电器丢了，想买一个原装的"),
    ("YL-T10", "电池鼓包了，后盖都撑起来了"),
    ("YL-T10", "学习平板装不了第三方app"),
    ("YL-T10", "屏幕触摸不灵，右下角点不动"),
    ("YL-T10", "开机一直卡在logo界面"),
    ("YL-T10", "学习机护眼模式怎么关"),
    ("YL-T10", "耳机插上没声音"),
    ("YL-T10", "平板摄像头拍照模糊"),
    ("YL-W2", "手表打不了电话"),
    ("YL-W2", "手表一直没信号，卡是好的"),
    ("YL-W2", "表带断了，能单独买吗"),
    ("YL-W2", "SOS 按了打不通家长电话"),
    ("YL-W2", "手表充不进电了"),
    ("YL-W2", "手表开不了机"),
    ("YL-W2", "位置权限在哪里打开"),
    ("YL-W2", "手表屏幕碎了"),
    ("YL-W2", "孩子手表微聊发不出语音"),
    ("YL-W2", "手表绑定第二个家长怎么弄"),
    ("YL-W2", "手表掉水里了，现在开不了机"),
    ("YL-W2", "上课禁用时间怎么设置"),
    ("YL-W2", "手表老是自动关机"),
    ("YL-W2", "视频通话很卡"),
    ("YL-R5", "净水器漏水了，柜子底下全是水"),
    ("YL-R5", "滤芯要换了，怎么买"),
    ("YL-C2", "晾衣架升降卡住了，遥控没反应"),
    ("YL-C2", "晾衣机照明灯不亮"),
    (None, "你们的客服电话多少"),
    (None, "上次维修的师傅态度很差，我要投诉"),
]

# Fault types of the triage corpus that are what a bulletin above describes; the rest is unrelated.
_BULLETIN_FAULTS = {"fingerprint_unrecognized", "not_charging", "watch_positioning"}
# A corpus message without a product gets one of the bulletins' models, so same-product near misses
# are most of the sample.
_MODELS = ("YL-S7", "YL-T10", "YL-W2")


def unrelated_from_corpus(count: int = 150) -> list[tuple[str | None, str]]:
    """Every k-th corpus message of another fault type (deterministic)."""
    text = (resources.files("aftersales.triage") / "data" / "corpus.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    others = [row for row in rows if row["fault_type"] not in _BULLETIN_FAULTS]
    step = max(1, len(others) // count)
    picked = others[::step][:count]
    return [
        (row["product_model"] or _MODELS[position % len(_MODELS)], row["text"]) for position, row in enumerate(picked)
    ]
