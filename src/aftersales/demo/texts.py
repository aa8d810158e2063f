"""How a demo request reads on each channel, and what the staff write on each step of its ticket."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from aftersales.demo.issues import Issue
from aftersales.tickets.enums import EventType
from aftersales.tickets.enums import TicketKind as K

OPENERS = {"hotline": "客户来电反映：", "api": "【天猫售后】"}
EXTRAS = (
    "",
    "",
    "",
    "",
    "客户希望尽快处理。",
    "家里老人独居，请师傅上门前先电话联系。",
    "客户白天上班，晚上 7 点后方便。",
    "已经自己换过电池，没用。",
    "客户语气比较着急。",
    "购买渠道：天猫旗舰店。",
)


def describe(rng: random.Random, issue: Issue, *, product_name: str, channel: str) -> str:
    """The ticket's description as it arrived on the channel."""
    text = rng.choice(issue.texts).format(product=product_name)
    extra = rng.choice(EXTRAS) if issue.kind in (K.REPAIR, K.INSTALLATION) else ""
    body = f"{text}。{extra}" if not text.endswith(("？", "！", "。")) else f"{text}{extra}"
    opener = "【京东自营·送装一体】" if channel == "api" and issue.kind == K.INSTALLATION else OPENERS.get(channel, "")
    return opener + body


CONTACT_NOTES = {
    K.REPAIR: ("已电话联系客户，约定上门时间", "已联系客户，远程排查后需要上门处理", "已致电客户，确认故障现象并派单"),
    K.INSTALLATION: ("已联系客户预约安装时间", "已电话确认门厚与开孔尺寸，预约上门"),
    K.CONSULTATION: ("已回电客户", "已在线回复客户"),
    K.COMPLAINT: ("已致电客户致歉并了解情况", "已联系客户，记录投诉要点并上报主管"),
}
MAIL_IN_CONTACT = ("已联系客户，安排快递上门取件寄修", "已发送寄修地址和寄修单号")
PROGRESS_NOTES = {
    K.REPAIR: ("已申请配件，预计 2 天到货", "已远程查看设备日志，故障已定位", "客户改约时间，已重新预约"),
    K.INSTALLATION: ("已与客户确认门型照片", "客户改约到周末", "已确认安装所需配件齐全"),
    K.CONSULTATION: ("已发送操作指引，等待客户确认",),
    K.COMPLAINT: ("已转大区经理跟进", "已调取服务录音核实", "已与工程师核实情况"),
}
MAIL_IN_PROGRESS = ("维修中心已收到机器，检测中", "检测完成，已告知客户维修费用", "维修完成，已顺丰寄回")
# A hold's reason and the note that ends it.
HOLDS = (
    ("等待配件到货", "配件已到，恢复处理"),
    ("等待厂家技术支持确认方案", "厂家已给出方案，继续处理"),
    ("客户出差，约定回来后再上门", "客户已回家，恢复上门安排"),
    ("客户要求周末再上门", "已到约定时间，恢复处理"),
)
ON_THE_WAY_WITHIN = timedelta(hours=2)
ON_THE_WAY = ("工程师已出发，预计 40 分钟到达", "工程师已出发，已电话告知客户", "已出发，路上堵车，已告知客户稍晚到达")
CHECK_IN_NOTES = ("工程师已到达现场", "已到达客户家中，开始检修", "到达现场，已出示工牌")
VISIT_NOTES = (
    "回访客户：服务满意，评分 5 分",
    "回访客户：问题已解决，对上门及时性较满意（4 分）",
    "电话回访未接通，短信回访客户回复满意",
    "回访客户：对维修收费有疑问，已解释清楚（3 分）",
)
CLOSE_NOTES = ("回访满意，工单闭环", "质检通过，闭环", "客户确认已解决，闭环")
REOPEN_NOTES = ("客户来电反馈问题再次出现，工单重开", "回访时客户表示仍有故障，重开处理")
CANCEL_NOTES = (
    "客户表示已自行解决，申请取消",
    "重复报单，已合并到前一工单后取消",
    "客户退货，无需处理，取消工单",
    "多次联系客户未接通，按规定取消",
)
CANCEL_ON_HOLD = ("客户不愿继续等待配件，已退货，取消工单", "客户长期联系不上，按规定取消")


def notes_for(
    rng: random.Random, steps: list[tuple[EventType, datetime]], issue: Issue, *, is_mail_in: bool
) -> list[str]:
    """A staff note for each step of a ticket about ``issue``, in context (a resume answers its hold)."""
    notes: list[str] = []
    hold = HOLDS[0]
    for position, (event, at) in enumerate(steps):
        following = steps[position + 1] if position + 1 < len(steps) else None
        previous = [earlier for earlier, _ in steps[:position]]
        if event == EventType.CONTACT:
            note = rng.choice(MAIL_IN_CONTACT if is_mail_in else CONTACT_NOTES[issue.kind])
        elif event == EventType.PROGRESS:
            arrival = following[1] if following and following[0] == EventType.CHECK_IN else None
            if arrival is not None and arrival - at < ON_THE_WAY_WITHIN:
                note = rng.choice(ON_THE_WAY)
            else:
                note = rng.choice(MAIL_IN_PROGRESS if is_mail_in else PROGRESS_NOTES[issue.kind])
        elif event == EventType.RESULT:
            note = rng.choice(issue.fixes)
        elif event == EventType.HOLD:
            # Once the technician has been, the wait is for a part or for the factory, not the customer.
            hold = rng.choice(HOLDS[:2] if EventType.CHECK_IN in previous else HOLDS)
            note = hold[0]
        elif event == EventType.RESUME:
            note = hold[1]
        elif event == EventType.CANCEL:
            note = rng.choice(CANCEL_ON_HOLD if previous and previous[-1] == EventType.HOLD else CANCEL_NOTES)
        else:
            table = {
                EventType.CHECK_IN: CHECK_IN_NOTES,
                EventType.RETURN_VISIT: VISIT_NOTES,
                EventType.CLOSE: CLOSE_NOTES,
                EventType.REOPEN: REOPEN_NOTES,
            }
            note = rng.choice(table[event])
        notes.append(note)
    return notes
