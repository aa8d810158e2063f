"""Chinese labels of stored enum values, marked for the English catalog (translated at render time).

Domain code keeps the values only: a message that names one carries a ``core.i18n.Label(group, value)``,
looked up here where the message is rendered (console, problem JSON)."""

from __future__ import annotations

from aftersales.web.i18n import N_

STATUS = {
    "registered": N_("已登记"),
    "in_progress": N_("处理中"),
    "on_hold": N_("挂起"),
    "resolved": N_("已反馈结果"),
    "visited": N_("已回访"),
    "closed": N_("已闭环"),
    "cancelled": N_("已取消"),
}
KIND = {"consultation": N_("咨询"), "installation": N_("安装"), "repair": N_("报修"), "complaint": N_("投诉")}
PRIORITY = {"urgent": N_("紧急"), "routine": N_("常规"), "complex": N_("复杂")}
SLA_STATE = {
    "on_track": N_("正常"),
    "warning": N_("预警"),
    "breached": N_("超时"),
    "met": N_("已达成"),
    "paused": N_("已暂停"),
}
SLA_TARGET = {"first_response": N_("首次联系"), "onsite": N_("上门到达"), "resolution": N_("解决")}
CHANNEL = {
    "hotline": N_("热线电话"),
    "web": N_("网页"),
    "app": N_("App"),
    "api": N_("接口"),
    "wechat": N_("微信"),
    "email": N_("邮件"),
    "walk_in": N_("到店"),
    "import": N_("历史导入"),
    "return_visit": N_("回访"),
}
EVENT = {
    "register": N_("登记"),
    "appointment": N_("预约上门"),
    "contact": N_("联系处理"),
    "progress": N_("过程反馈"),
    "result": N_("结果反馈"),
    "return_visit": N_("回访"),
    "close": N_("闭环"),
    "reopen": N_("重新打开"),
    "hold": N_("挂起"),
    "resume": N_("恢复"),
    "cancel": N_("取消"),
    "check_in": N_("上门签到"),
    "assign": N_("派单"),
    "update": N_("修改"),
    "sla_warning": N_("时限预警"),
    "sla_breached": N_("时限超时"),
    "dispatch": N_("派单说明"),
    "escalation": N_("升级"),
    "bulletin": N_("关联已知问题"),
    "promise": N_("承诺"),
    "promise_fulfilled": N_("承诺兑现"),
    "follow_up": N_("跟进工单"),
    "self_check": N_("服务自检"),
    "quality_check": N_("质量抽检"),
    "accept": N_("接单"),
    "decline": N_("拒单"),
    "on_the_way": N_("出发"),
    "diagnosis": N_("检测诊断"),
    "parts_used": N_("使用配件"),
    "photo": N_("现场照片"),
    "confirmation": N_("客户确认"),
    "check_out": N_("离场签退"),
    "check_in_override": N_("未签到放行"),
    "visit_reviewed": N_("上门复核"),
}
# Why a visit is flagged for the inspector (dispatch.fieldwork.rules.FlagReason).
VISIT_FLAG = {"far_from_address": N_("签到远离地址"), "short_stay": N_("停留过短")}
# The technician's job flow (dispatch.fieldwork.rules): where a job stands, and the steps as buttons (and in
# the reasons a step is refused).
FIELD_STATE = {
    "unassigned": N_("待派单"),
    "assigned": N_("待接单"),
    "accepted": N_("已接单"),
    "on_the_way": N_("在路上"),
    "on_site": N_("在现场"),
    "checked_out": N_("已离场"),
    "declined": N_("已拒单"),
}
FIELD_ACTION = {
    "accept": N_("接单"),
    "decline": N_("拒单"),
    "on_the_way": N_("出发"),
    "check_in": N_("上门签到"),
    "diagnosis": N_("检测诊断"),
    "parts": N_("登记配件"),
    "result": N_("结果反馈"),
    "photo": N_("补充照片"),
    "confirmation_code": N_("发送确认码"),
    "confirmation": N_("客户确认"),
    "check_out": N_("离场签退"),
}
ROLE = {
    "admin": N_("管理员"),
    "agent": N_("客服坐席"),
    "dispatcher": N_("调度员"),
    "technician": N_("技术员"),
    "manager": N_("经理"),
    "inspector": N_("质检员"),
    "provider": N_("服务商"),
    "customer": N_("客户"),
}
# Levels of the organisation tree (accounts.enums.OrganisationKind).
ORG_KIND = {"hq": N_("总部"), "region": N_("大区"), "service_center": N_("服务中心"), "provider": N_("授权服务商")}
# What an inbox message is about (notification kinds).
MESSAGE = {
    "sla_warning": N_("SLA 预警"),
    "sla_breached": N_("SLA 超时"),
    "sla_escalation": N_("超时升级"),
    "promise_assigned": N_("承诺待办"),
    "promise_alert": N_("承诺提醒"),
    "quality_rectification": N_("质检整改"),
    "bulletin": N_("已知问题公告"),
    "bulletin_fixed": N_("公告已修复"),
    "hot_issue": N_("热点问题"),
    "emergency_dispatch": N_("紧急派单"),
    "dispatch_escalation": N_("派单升级"),
    "job_declined": N_("拒单"),
    "follow_up_complaint": N_("回访差评跟进"),
    "assistant_handoff": N_("智能助手转人工"),
}
# Why a day plan kept a job with its assignee (dispatch.planning.inputs.field_marks).
FIXED = {"manual": N_("人工指派·固定"), "bound": N_("已接单·固定"), "on_site": N_("在现场")}
# The 售后辞典 (knowledge.enums): an article's state, kind and readers; a known-issue bulletin's state.
ARTICLE_STATUS = {"draft": N_("草稿"), "published": N_("已发布"), "archived": N_("已删除（归档）")}
ARTICLE_TYPE = {"faq": N_("常见问题"), "script": N_("客服话术"), "part_standard": N_("备件更换标准")}
AUDIENCE = {"customer": N_("客户可见"), "agent": N_("仅内部（坐席）"), "both": N_("客户与坐席")}
BULLETIN_STATUS = {"draft": N_("草稿"), "published": N_("已发布"), "fixed": N_("已修复"), "withdrawn": N_("已撤回")}
GROUPS = {
    "status": STATUS,
    "kind": KIND,
    "priority": PRIORITY,
    "sla_state": SLA_STATE,
    "sla_target": SLA_TARGET,
    "channel": CHANNEL,
    "event": EVENT,
    "field_state": FIELD_STATE,
    "field_action": FIELD_ACTION,
    "role": ROLE,
    "org_kind": ORG_KIND,
    "message": MESSAGE,
    "visit_flag": VISIT_FLAG,
    "fixed": FIXED,
    "article_status": ARTICLE_STATUS,
    "article_type": ARTICLE_TYPE,
    "audience": AUDIENCE,
    "bulletin_status": BULLETIN_STATUS,
}


def label(group: str, value: object) -> str:
    """The Chinese label of a stored value (the value itself when unknown)."""
    key = getattr(value, "value", value)
    return GROUPS[group].get(str(key), str(key))
