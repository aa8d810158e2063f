"""System-written timeline notes in the page's language.

Domain code writes a timeline event's ``note`` in Chinese (kept for the API and the audit trail) and,
for the notes it composes itself, also stores a message key and its parameters in the event's data:
``data["note_key"] = "dispatch.assigned"``, ``data["note_params"] = {"username": "tech_a", ...}``. The
domain never imports ``web``: the Chinese templates of those keys live here, marked for the English
catalog, and the console's timelines show ``event_note(event, locale)`` (the ``note_of`` template global).

A parameter is shown as it is (names, numbers, what someone typed), unless it is
- a nested note ``{"key": ..., "params": {...}}`` (a dispatch reason inside a dispatch decision),
- a label ``{"label": group, "value": stored value}`` (a group of ``web.labels``),
- a list ``{"join": "、" or "；", "items": [...]}`` (items of either kind, the separator translated).

Rendering a key with the params a test recorded gives exactly the stored Chinese note (the suite checks
every keyed event it writes); a note without a key, or one whose key or params do not fit, is shown as
stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from aftersales.web import labels
from aftersales.web.i18n import DEFAULT_LOCALE, N_, translations

Gettext = Callable[[str], str]


class NotedEvent(Protocol):
    """A timeline event as the console reads it (``tickets.models.TicketEvent``)."""

    @property
    def note(self) -> str | None: ...

    @property
    def data(self) -> Mapping[str, Any] | None: ...


NOTES: dict[str, str] = {
    # tickets
    "ticket.assigned": N_("指派给 %(name)s（%(username)s）"),
    "sla.warning": N_("%(target)s即将超时（已用 80%% 时限），时限 %(due_at)s"),
    "sla.breached": N_("%(target)s已超时，时限 %(due_at)s"),
    # dispatch decisions and their reasons
    "dispatch.assigned": N_("自动派单给 %(username)s：%(reason)s，距离约 %(km)s 公里"),
    "dispatch.assigned_to_provider": N_("自动派单给 %(username)s（合作服务商）：%(reason)s，距离约 %(km)s 公里"),
    "dispatch.nobody_fits": N_("自动派单未找到合适人选，转调度台：%(reasons)s"),
    "dispatch.no_technicians": N_("没有登记技术员档案"),
    "dispatch.candidate": N_("%(username)s：%(reason)s"),
    "dispatch.skill_mismatch": N_("技能不符（需要 %(skill)s）"),
    "dispatch.outside_area": N_("不在服务区域"),
    "dispatch.off_shift": N_("不在班"),
    "dispatch.point_closed": N_("网点未营业"),
    "dispatch.fully_booked": N_("今日已满负荷（%(jobs)s/%(limit)s）"),
    "dispatch.point_full": N_("网点接单已满（%(load)s/%(capacity)s）"),
    "dispatch.too_late": N_("无法在上门时限前到达（约 %(minutes)s 分钟）"),
    "dispatch.reachable": N_("可在约 %(minutes)s 分钟内到达，今日已有 %(jobs)s 单"),
    "dispatch.failed": N_("未能自动派单，转调度台：%(error)s"),
    # day plans and emergencies
    "dispatch.planned": N_("%(day)s计划：%(technician)s 第 %(sequence)s 站，预计 %(eta)s 到达"),
    "dispatch.emergency": N_("紧急插单：%(reason)s"),
    "dispatch.escalated": N_("紧急工单无法按时上门，已升级：%(reason)s"),
    "dispatch.moved_for_emergency": N_("紧急插单后调整：改由 %(technician)s 第 %(sequence)s 站，预计 %(eta)s 到达"),
    "dispatch.dropped_for_emergency": N_("因紧急工单 %(number)s 插单，原计划的上门无法保持，已退回调度台重新安排"),
    "dispatch.inserted": N_("插入 %(technician)s 的行程，预计 %(eta)s 到达（时限 %(due)s），多行驶约 %(minutes)s 分钟"),
    "dispatch.moved": N_("%(technician)s 预计 %(eta)s 到达（时限 %(due)s），其原计划的 %(job)s 改由 %(other)s 上门"),
    "dispatch.replanned": N_(
        "重新优化附近 %(crews)s 名技术员的行程：%(technician)s 预计 %(eta)s 到达（时限 %(due)s）%(rehomed)s%(dropped)s"
    ),
    "dispatch.replanned_rehomed": N_("，%(count)s 个原计划任务改由其他技术员上门"),
    "dispatch.replanned_dropped": N_("，%(count)s 个原计划任务需重新安排"),
    "dispatch.replan_failed": N_("重新优化后仍无法在时限 %(due)s 前安排"),
    "dispatch.nobody_in_time": N_("无人能在时限 %(due)s 前到达：最早为 %(technician)s 约 %(eta)s"),
    "dispatch.nobody_qualified": N_("没有具备该技能且服务区域覆盖该地址的技术员"),
    "dispatch.nobody_on_shift": N_("可接单的技术员今天都不在班"),
    "dispatch.everyone_booked": N_("可接单的技术员当天已排满，或无法在约定时段内到达"),
    # appointments
    "dispatch.booked": N_("预约上门时间：%(window)s"),
    "dispatch.booked_with_note": N_("预约上门时间：%(window)s（%(note)s）"),
    "dispatch.rebooked": N_("改约上门时间：%(window)s"),
    "dispatch.rebooked_with_note": N_("改约上门时间：%(window)s（%(note)s）"),
    # the technician's job flow
    "fieldwork.accepted": N_("已接单"),
    "fieldwork.accepted_with_note": N_("已接单：%(note)s"),
    "fieldwork.declined": N_("拒单：%(reason)s，已退回调度台"),
    "fieldwork.contacted_before_leaving": N_("技术员已联系客户，准备出发"),
    "fieldwork.contacted_on_arrival": N_("技术员已联系客户并上门"),
    "fieldwork.on_the_way": N_("已出发"),
    "fieldwork.on_the_way_eta": N_("已出发，预计约 %(minutes)s 分钟到达"),
    "fieldwork.checked_in": N_("第 %(visit)s 次上门签到，%(where)s"),
    "fieldwork.checked_in_with_note": N_("第 %(visit)s 次上门签到，%(where)s。%(note)s"),
    "fieldwork.address_unknown": N_("客户地址无坐标，未核对距离"),
    "fieldwork.far_from_address": N_("距客户地址约 %(km)s 公里，超过 1 公里，请核实"),
    "fieldwork.near_address": N_("距客户地址约 %(metres)s 米"),
    "fieldwork.far_from_address_flagged": N_("距客户地址约 %(km)s 公里，超过 %(max)s 公里，已标记待质检复核"),
    "fieldwork.visit_reviewed": N_("质检已复核上门记录"),
    "fieldwork.visit_reviewed_with_note": N_("质检已复核上门记录：%(note)s"),
    "fieldwork.diagnosis": N_("检测结论：%(fault)s"),
    "fieldwork.diagnosis_with_note": N_("检测结论：%(fault)s。%(note)s"),
    "fieldwork.parts_used": N_("使用配件：%(parts)s"),
    "fieldwork.photos": N_("上传现场照片 %(count)s 张"),
    "fieldwork.photos_with_note": N_("上传现场照片 %(count)s 张：%(note)s"),
    "fieldwork.confirmed_by_signature": N_("客户已签名确认服务结果"),
    "fieldwork.confirmed_by_code": N_("客户已通过短信确认码确认服务结果"),
    "fieldwork.checked_out": N_("离场签退，现场停留 %(duration)s"),
    "fieldwork.checked_out_with_note": N_("离场签退，现场停留 %(duration)s；%(note)s"),
    "fieldwork.checked_out_unconfirmed": N_("离场签退，现场停留 %(duration)s；客户未确认"),
    "fieldwork.checked_out_unconfirmed_with_note": N_("离场签退，现场停留 %(duration)s；客户未确认；%(note)s"),
    "fieldwork.checked_out_unfinished": N_("离场签退，现场停留 %(duration)s；尚未完成，需再次上门"),
    "fieldwork.checked_out_unfinished_with_note": N_("离场签退，现场停留 %(duration)s；尚未完成，需再次上门；%(note)s"),
    "ticket.check_in_override": N_("未上门签到即反馈结果（主管放行）：%(reason)s"),
    # return visits and promises
    "visit.done": N_("回访完成，平均 %(average)s 分"),
    "visit.unfinished": N_("回访未完成：%(reason)s"),
    "visit.refused": N_("客户拒绝回访"),
    "visit.wrong_number": N_("号码错误"),
    "visit.not_reached": N_("%(attempts)s 次未能联系上客户"),
    "visit.follow_up_opened": N_("回访评价需跟进，已开跟进工单 %(number)s：%(reason)s"),
    "visit.follow_up_of": N_("由原工单 %(number)s 的回访评价产生"),
    "promise.made": N_("承诺：%(promise)s（负责人 %(owner)s，%(due_at)s 前）"),
    "promise.made_for_departments": N_("承诺：%(promise)s（负责人 %(owner)s，%(due_at)s 前，%(departments)s）"),
    "promise.acknowledged": N_("%(username)s 已确认承诺：%(promise)s"),
    "promise.fulfilled": N_("承诺已兑现：%(promise)s"),
    "promise.fulfilled_with_note": N_("承诺已兑现：%(promise)s（%(note)s）"),
    "department.customer_service": N_("客服"),
    "department.dispatch": N_("调度"),
    "department.field_service": N_("上门服务"),
    "department.warehouse": N_("仓储"),
    "department.logistics": N_("物流配送"),
    "department.quality": N_("质检"),
    "department.sales": N_("销售"),
    # quality
    "quality.passed": N_("%(level)s：%(score)s 分，合格"),
    "quality.passed_with_tasks": N_("%(level)s：%(score)s 分，合格；整改 %(tasks)s 项"),
    "quality.failed": N_("%(level)s：%(score)s 分，不合格"),
    "quality.failed_with_tasks": N_("%(level)s：%(score)s 分，不合格；整改 %(tasks)s 项"),
    "quality.level.regional": N_("区域抽检"),
    "quality.level.hq": N_("总部复检"),
    "quality.self_check_all": N_("服务自检 %(passed)s/%(total)s 项，全部做到"),
    "quality.self_check_missed": N_("服务自检 %(passed)s/%(total)s 项，未做到：%(missed)s"),
    # knowledge
    "bulletin.linked": N_("%(number)s %(title)s"),
    # times and durations inside notes
    "date.month_day": N_("%(month)s月%(day)s日"),
    "date.month_day_time": N_("%(month)s月%(day)s日 %(time)s"),
    "date.window": N_("%(month)s月%(day)s日 %(start)s–%(end)s"),
    "duration.hours_minutes": N_("%(h)d小时%(m)d分"),
    "duration.minutes": N_("%(m)d分钟"),
}
SEPARATORS = {"、": N_("、"), "；": N_("；")}


def render_note(key: str, params: Mapping[str, Any], gettext: Gettext) -> str:
    """The note ``key`` filled with ``params`` in the language of ``gettext``; KeyError, ValueError or
    TypeError when the key is unknown or the params do not fit its template."""
    template = gettext(NOTES[key])
    if not params:
        return template
    return template % {name: _value(value, gettext) for name, value in params.items()}


def _value(value: object, gettext: Gettext) -> object:
    if not isinstance(value, Mapping):
        return "" if value is None else value
    if "key" in value:
        return render_note(str(value["key"]), value.get("params") or {}, gettext)
    if "label" in value:
        return gettext(labels.label(str(value["label"]), value["value"]))
    if "join" in value:
        separator = gettext(SEPARATORS[str(value["join"])])
        return separator.join(str(_value(item, gettext)) for item in value["items"])
    raise ValueError(f"unknown note parameter {value!r}")


def event_note(event: NotedEvent, locale: str) -> str | None:
    """What a timeline shows for an event's note in ``locale``: the stored Chinese note for the default
    language, a note without a key, or a key or params that do not fit; otherwise the key rendered."""
    data = event.data or {}
    key = data.get("note_key")
    if locale == DEFAULT_LOCALE or not isinstance(key, str):
        return event.note
    params = data.get("note_params")
    try:
        return render_note(key, params if isinstance(params, Mapping) else {}, translations(locale).gettext)
    except (KeyError, ValueError, TypeError):
        return event.note
