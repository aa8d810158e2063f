"""Who may run quality inspection, and the levels' labels."""

from __future__ import annotations

from aftersales.accounts import policy
from aftersales.accounts.enums import Permission
from aftersales.accounts.schemas import Actor
from aftersales.core.errors import PermissionDeniedError
from aftersales.core.i18n import N_

INSPECTION_ROLES = policy.roles_allowed(Permission.QUALITY_INSPECT)
LEVEL_LABELS = {"regional": "区域抽检", "hq": "总部复检"}


def require_inspector(actor: Actor) -> None:
    """Refuse unless the actor is an inspector, a manager or an admin."""
    if actor.role not in INSPECTION_ROLES:
        raise PermissionDeniedError(N_("只有质检员、经理或管理员可以进行质量抽检"), code="quality.forbidden")
