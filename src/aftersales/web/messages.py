"""Domain error messages as the console shows them, in the page's language.

Services raise errors with Chinese ``detail`` text; the static ones are marked here so the English
catalog carries them, and the ones with values in them are rebuilt from the error's code and fields.
"""

from __future__ import annotations

from collections.abc import Callable

from aftersales.core.errors import DomainError
from aftersales.web.i18n import N_

STATIC = (
    N_("用户名或密码错误"),
    N_("令牌无效或已吊销"),
    N_("地址不能为空"),
    N_("姓名不能为空"),
    N_("问题描述不能为空"),
    N_("评论不能为空"),
    N_("已闭环或已取消的工单不能修改"),
    N_("登记时间不能晚于当前时间"),
    N_("事件时间不能早于登记时间"),
    N_("事件时间不能晚于当前时间"),
    N_("记录已被他人修改，请刷新后重试"),
    N_("您的角色无权访问此页面"),
    N_("这不是派给您的工单"),
    N_("请输入有效的手机号（11 位，1 开头）或带区号的固定电话，如 010-62345678"),
    # The technician's job flow (dispatch.fieldwork, dispatch.field_rules).
    N_("只有被指派的技术员或其服务商可以操作此任务"),
    N_("请先接单"),
    N_("请先上门签到"),
    N_("您正在现场，请先完成或离场签退"),
    N_("任务已退回调度，不能继续操作"),
    N_("工单已结束，不能继续操作"),
    N_("工单挂起中，请先恢复"),
    N_("请先提交处理结果，再请客户确认"),
    N_("已反馈处理结果"),
    N_("客户已确认本次结果"),
    N_("签到需要当前位置（经度和纬度），请允许定位或手动填写"),
    N_("经度和纬度需同时提供"),
    N_("坐标应为数字，如 113.93"),
    N_("拒单原因不能为空"),
    N_("故障结论不能为空"),
    N_("处理结果不能为空"),
    N_("请至少填写一条配件"),
    N_("请至少上传一张现场照片"),
    N_("每次最多上传 6 张照片"),
    N_("请先让客户签名"),
    N_("签名图片不能超过 512 KB"),
    N_("签名须为 PNG 图片"),
    N_("签名图片无效，请重新签名"),
    N_("确认码应为 6 位数字"),
    N_("客户电话不是手机号，无法发送确认码，请改用签名确认"),
    N_("请先向客户发送确认码"),
    N_("确认码错误次数过多，请重新发送确认码"),
    N_("确认码已过期，请重新发送"),
    N_("确认方式应为确认码或客户签名"),
)


def domain_message(error: DomainError, _: Callable[[str], str]) -> str:
    """The error's message in the request's language."""
    if error.code == "ticket.invalid_transition" and "allowed" in error.fields:
        return _("工单当前状态不允许此操作")
    if error.code == "ticket.version_conflict":
        return _("工单已被他人修改，请刷新后重试")
    if error.code == "auth.locked" and "minutes" in error.fields:
        return _("登录失败次数过多，账户已锁定，请 %(minutes)s 分钟后再试") % {"minutes": error.fields["minutes"]}
    if error.code == "dispatch.code_wrong" and error.fields.get("attempts_left"):
        return _("确认码错误，还可尝试 %(count)s 次") % {"count": error.fields["attempts_left"]}
    if error.code == "dispatch.code_too_soon" and "seconds" in error.fields:
        return _("确认码刚刚发送过，请 %(seconds)s 秒后再试") % {"seconds": error.fields["seconds"]}
    if error.code.endswith(".not_found"):
        return _("找不到该记录，或您无权查看")
    return _(error.detail)
