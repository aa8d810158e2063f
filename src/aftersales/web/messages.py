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
)


def domain_message(error: DomainError, _: Callable[[str], str]) -> str:
    """The error's message in the request's language."""
    if error.code == "ticket.invalid_transition" and "allowed" in error.fields:
        return _("工单当前状态不允许此操作")
    if error.code == "ticket.version_conflict":
        return _("工单已被他人修改，请刷新后重试")
    if error.code == "auth.locked" and "minutes" in error.fields:
        return _("登录失败次数过多，账户已锁定，请 %(minutes)s 分钟后再试") % {"minutes": error.fields["minutes"]}
    if error.code.endswith(".not_found"):
        return _("找不到该记录，或您无权查看")
    return _(error.detail)
