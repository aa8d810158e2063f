"""The demo's catalogue of requests: what goes wrong with each product (or what customers ask), the
priority it usually gets, and how it is fixed. Descriptions are written the way they arrive, so triage
has realistic text to classify."""

from __future__ import annotations

from dataclasses import dataclass

from aftersales.demo.data import AIRER, LOCK, PURIFIER, TABLET, WATCH
from aftersales.tickets.enums import Priority, TicketKind

K, P = TicketKind, Priority
ONSITE_CATEGORIES = frozenset({LOCK, PURIFIER, AIRER})
ALL = frozenset({LOCK, TABLET, WATCH, PURIFIER, AIRER})


@dataclass(frozen=True)
class Issue:
    """A kind of request: its texts ({product} is the product's name), likely priority, and fixes."""

    key: str
    kind: TicketKind
    priority: Priority
    categories: frozenset[str]
    weight: int
    texts: tuple[str, ...]
    fixes: tuple[str, ...]
    only_models: frozenset[str] = frozenset()


def _issue(
    key: str,
    kind: TicketKind,
    priority: Priority,
    categories: frozenset[str] | str,
    weight: int,
    texts: tuple[str, ...],
    fixes: tuple[str, ...],
    only: tuple[str, ...] = (),
) -> Issue:
    cats = frozenset({categories}) if isinstance(categories, str) else categories
    return Issue(key, kind, priority, cats, weight, texts, fixes, frozenset(only))


ISSUES: tuple[Issue, ...] = (
    _issue(
        "fingerprint",
        K.REPAIR,
        P.ROUTINE,
        LOCK,
        14,
        (
            "{product}指纹识别失败，试了好几次都提示验证失败，现在只能用密码开门",
            "家里的{product}最近指纹经常识别不了，老人的指纹基本录不进去",
            "{product}指纹头按上去没反应，指纹开门完全用不了，请安排师傅看看",
        ),
        (
            "清洁指纹采集头并重新录入指纹，连续测试 10 次均识别成功",
            "指纹模组老化，更换指纹模组后识别正常",
            "指导客户删除旧指纹、按压方式调整后重新录入，识别恢复正常",
        ),
    ),
    _issue(
        "battery",
        K.REPAIR,
        P.ROUTINE,
        LOCK,
        12,
        (
            "{product}电池没电了，低电量提醒响了好几天，现在按键没反应",
            "门锁一直提示电量低，换了新电池还是提示低电量",
            "{product}换电池后屏幕不亮，是不是锁坏了",
        ),
        (
            "更换 4 节 5 号碱性电池并清洁电池触点，开锁正常",
            "电池仓触点氧化，打磨后更换电池，电量显示正常",
            "锂电池鼓包，更换原厂锂电池并提醒客户使用原装充电器",
        ),
    ),
    _issue(
        "locked_out",
        K.REPAIR,
        P.URGENT,
        LOCK,
        9,
        (
            "被锁门外了！{product}密码和指纹都打不开，家里还有小孩，请尽快派人",
            "晚上回家门锁没电，开不了门，被锁门外，应急充电宝也没带",
            "门打不开了，{product}一直提示已反锁，人在门外进不去",
        ),
        (
            "工程师上门用应急供电开锁，更换电池并检查锁体，功能正常",
            "机械钥匙开锁后检查，离合器卡滞，已更换锁体",
            "主板故障导致无法开门，现场更换主板并恢复用户数据",
        ),
    ),
    _issue(
        "alarm",
        K.REPAIR,
        P.URGENT,
        LOCK,
        6,
        (
            "{product}一直在报警，声音很大，邻居都有意见了，按什么都停不下来",
            "门锁半夜突然防撬报警，拆下电池才停，担心有人撬锁",
        ),
        (
            "防撬开关移位，重新固定后报警解除",
            "主板受潮导致误报警，更换主板并做防潮处理",
            "检查门锁无撬动痕迹，系客户误触发，已指导解除报警",
        ),
    ),
    _issue(
        "password",
        K.REPAIR,
        P.ROUTINE,
        LOCK,
        6,
        (
            "管理员密码忘记了，没法添加新指纹，怎么恢复？",
            "{product}的密码忘记了，家里老人不会用指纹，密码也打不开",
        ),
        (
            "远程指导客户用机械钥匙开门后恢复出厂设置，重新设置管理员密码",
            "核实身份后上门初始化门锁并重新录入指纹和密码",
        ),
    ),
    _issue(
        "peephole",
        K.REPAIR,
        P.ROUTINE,
        LOCK,
        6,
        (
            "{product}猫眼屏幕黑屏，有人按门铃也不显示画面",
            "猫眼黑屏，室内屏偶尔闪一下就没了，门铃也不响",
        ),
        ("猫眼排线松动，重新插接后画面恢复", "更换室内显示屏后画面正常", "摄像头模组故障，更换猫眼摄像头"),
        only=("YL-P1", "YL-S7"),
    ),
    _issue(
        "face",
        K.REPAIR,
        P.ROUTINE,
        LOCK,
        5,
        (
            "{product}人脸识别经常失灵，晚上基本识别不了，要等很久",
            "刷脸开门没反应，提示请靠近，靠近了还是不行",
        ),
        ("清洁 3D 结构光镜头并升级固件，识别速度恢复", "人脸模组故障，更换模组后识别正常"),
        only=("YL-S7",),
    ),
    _issue(
        "handle",
        K.REPAIR,
        P.ROUTINE,
        LOCK,
        5,
        (
            "门锁把手松动下垂，锁舌有时候不回弹，门关不严",
            "{product}锁舌卡住了，关门要用力推才能锁上",
        ),
        ("调整锁体并更换把手复位弹簧", "门框变形导致锁舌卡滞，调整扣板位置后开关顺畅"),
    ),
    _issue(
        "motor",
        K.REPAIR,
        P.ROUTINE,
        LOCK,
        4,
        ("{product}开门的时候电机声音很大，咔咔响，有时候开到一半卡住",),
        ("电机齿轮磨损，更换电机组件", "推拉导轨缺油，清洁润滑后正常"),
        only=("YL-A9", "YL-S7"),
    ),
    _issue(
        "offline",
        K.REPAIR,
        P.ROUTINE,
        LOCK,
        5,
        (
            "{product}在 APP 上一直显示离线，临时密码发不了，远程开锁也用不了",
            "换了路由器以后门锁连不上网了，APP 收不到开门记录",
        ),
        ("重新配网并调整网关位置，APP 显示在线", "路由器改了密码导致离线，已指导客户重新配网"),
    ),
    _issue(
        "repeat",
        K.REPAIR,
        P.COMPLEX,
        LOCK,
        3,
        (
            "门锁修了又坏，这已经是第三次报修了，指纹还是识别不了",
            "{product}反复出现自动反锁的问题，上次修好没两周又坏了",
        ),
        ("整锁更换新机，并延长保修一年", "更换主板和指纹模组，留观一周无异常"),
    ),
    _issue(
        "tablet_boot",
        K.REPAIR,
        P.ROUTINE,
        TABLET,
        4,
        (
            "孩子的{product}无法开机，充电也没反应",
            "{product}经常死机，上网课的时候突然黑屏",
        ),
        ("寄修检测为主板故障，已更换主板并寄回", "电池过放，激活后开机正常，系统升级后已寄回"),
    ),
    _issue(
        "tablet_screen",
        K.REPAIR,
        P.COMPLEX,
        TABLET,
        2,
        ("{product}屏幕摔碎了，触摸失灵，想问维修多少钱",),
        ("更换屏幕总成（保外收费 380 元），已寄回",),
    ),
    _issue(
        "watch",
        K.REPAIR,
        P.ROUTINE,
        WATCH,
        4,
        (
            "{product}定位不准，显示的位置和孩子实际位置差好几公里",
            "{product}打不了电话，一直显示无服务",
            "孩子的手表进水了，屏幕有雾气，开不了机",
        ),
        (
            "升级定位固件并重新校准，定位恢复正常",
            "SIM 卡接触不良，更换卡托后通话正常",
            "进水导致主板腐蚀，保外更换主板后寄回",
        ),
    ),
    _issue(
        "purifier_leak",
        K.REPAIR,
        P.URGENT,
        PURIFIER,
        3,
        (
            "{product}漏水，橱柜里面都湿了，地板泡水了",
            "净水器接头一直滴水，已经关了进水阀",
        ),
        ("快接头老化漏水，更换接头并做保压测试", "滤瓶密封圈破损，更换密封圈后无渗漏"),
    ),
    _issue(
        "purifier_flow",
        K.REPAIR,
        P.ROUTINE,
        PURIFIER,
        3,
        (
            "{product}不出水了，龙头拧开只有一点点",
            "净水器滤芯灯一直闪红色，水的味道也不对",
        ),
        ("滤芯堵塞，更换 PP 棉和 RO 膜滤芯", "复位滤芯寿命并更换前置滤芯，出水正常"),
    ),
    _issue(
        "airer",
        K.REPAIR,
        P.ROUTINE,
        AIRER,
        3,
        ("{product}升降卡住了，一边高一边低，遥控没反应",),
        ("钢丝绳脱槽，重新绕线并校准限位", "遥控器配对丢失，重新配对后升降正常"),
    ),
    _issue(
        "install",
        K.INSTALLATION,
        P.ROUTINE,
        ONSITE_CATEGORIES,
        16,
        (
            "新买的{product}已经到货，麻烦预约师傅上门安装，门是普通防盗门",
            "装修好了，想约周末上午安装{product}",
            "{product}需要上门安装，顺便拆掉旧锁，门比较厚（约 10 公分）麻烦确认能不能装",
            "{product}已签收，需要上门安装，客户希望工作日晚上或周末",
        ),
        (
            "上门安装完成，已指导客户录入指纹并设置管理员密码",
            "原开孔不匹配，现场扩孔后安装完成，功能测试正常",
            "安装完成，测试反锁、防撬报警、APP 配网均正常",
        ),
    ),
    _issue(
        "install_urgent",
        K.INSTALLATION,
        P.URGENT,
        LOCK,
        2,
        ("今天搬家入住，旧锁已经拆了，{product}急需安装，门现在锁不上",),
        ("加急上门安装完成，门锁功能正常",),
    ),
    _issue(
        "install_complex",
        K.INSTALLATION,
        P.COMPLEX,
        LOCK,
        2,
        ("家里是铜门，{product}安装需要开孔改装，想先让师傅上门测量",),
        ("上门测量后定制扣板，二次上门安装完成",),
    ),
    _issue(
        "consult",
        K.CONSULTATION,
        P.ROUTINE,
        ALL,
        16,
        (
            "{product}怎么添加临时密码？想给保洁阿姨开个一次性密码",
            "请问{product}保修期多久？我是前年买的",
            "{product}可以接入米家或者华为智能家居吗？",
            "{product}在哪里可以买到原装配件，价格多少",
            "想问一下{product}怎么开发票",
            "{product}可以设置常开模式吗？店里白天想一直开着",
        ),
        (
            "已电话解答：临时密码在 APP「设备-临时密码」中生成",
            "已核实购买日期并告知保修政策",
            "已发送操作视频链接，客户已学会操作",
            "已告知官方商城购买渠道及价格",
        ),
    ),
    _issue(
        "consult_kids",
        K.CONSULTATION,
        P.ROUTINE,
        frozenset({TABLET, WATCH}),
        4,
        (
            "学习平板的家长管控怎么设置使用时长？",
            "手表怎么设置上课禁用时段",
            "怎么在手表上添加新的联系人",
        ),
        ("已电话指导完成家长管控设置", "已发送图文教程，客户已设置成功"),
    ),
    _issue(
        "complaint_late",
        K.COMPLAINT,
        P.ROUTINE,
        ALL,
        4,
        (
            "投诉：师傅约好下午两点上门，等到五点都没来，电话也不接",
            "报修三天了都没人联系，再不处理就去 12315 投诉",
        ),
        ("致歉并当天安排主管上门处理，客户表示接受", "核实后对工程师进行考核，客户表示谅解"),
    ),
    _issue(
        "complaint_damage",
        K.COMPLAINT,
        P.COMPLEX,
        ALL,
        2,
        (
            "投诉安装师傅把门划花了，要求赔偿",
            "维修收费不合理，保修期内还收了上门费，要求退款",
        ),
        ("协调赔偿门面修复费用 200 元，客户接受", "核实为保内维修，已退还上门费并致歉"),
    ),
    _issue(
        "complaint_hotline",
        K.COMPLAINT,
        P.ROUTINE,
        ALL,
        2,
        ("客服电话一直打不通，等了二十多分钟，非常不满意",),
        ("已致歉并说明高峰期情况，赠送延保服务一年",),
    ),
)


def issues_for(category: str, model: str) -> list[Issue]:
    """The issues that can happen to a product of this category and model."""
    return [
        issue
        for issue in ISSUES
        if category in issue.categories and (not issue.only_models or model in issue.only_models)
    ]
