"""The static demo catalogue: a smart-lock maker's products, its service network and its staff.

Plain data only (no session, no clock): the loader turns it into rows through the services.
"""

from __future__ import annotations

from dataclasses import dataclass

from aftersales.accounts.enums import OrganisationKind, Role

DEMO_PASSWORD = "demo1234"
EXTERNAL_ID_PREFIX = "DEMO-"


@dataclass(frozen=True)
class ProductSpec:
    """One catalogue entry; ``weight`` is its share of the installed base."""

    code: str
    name: str
    category: str
    warranty_months: int
    is_onsite_service: bool
    weight: int


LOCK = "smart_lock"
TABLET = "learning_tablet"
WATCH = "kids_watch"
PURIFIER = "water_purifier"
AIRER = "clothes_airer"

PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec("YL-S7", "YL-S7 人脸识别智能锁", LOCK, 36, True, 22),
    ProductSpec("YL-F3", "YL-F3 指纹锁", LOCK, 24, True, 24),
    ProductSpec("YL-P1", "YL-P1 猫眼锁", LOCK, 24, True, 14),
    ProductSpec("YL-A9", "YL-A9 全自动推拉智能锁", LOCK, 36, True, 10),
    ProductSpec("YL-T10", "YL-T10 学习平板", TABLET, 12, False, 10),
    ProductSpec("YL-W2", "YL-W2 儿童电话手表", WATCH, 12, False, 8),
    ProductSpec("YL-R5", "YL-R5 厨下净水器", PURIFIER, 24, True, 7),
    ProductSpec("YL-C2", "YL-C2 智能晾衣机", AIRER, 24, True, 5),
)


@dataclass(frozen=True)
class OrganisationSpec:
    """One node of the service network."""

    code: str
    name: str
    kind: OrganisationKind
    parent_code: str | None
    city: str | None = None


HQ_CODE = "YL-HQ"

ORGANISATIONS: tuple[OrganisationSpec, ...] = (
    OrganisationSpec(HQ_CODE, "云锁科技售后服务总部", OrganisationKind.HQ, None, "深圳"),
    OrganisationSpec("YL-SOUTH", "华南大区", OrganisationKind.REGION, HQ_CODE, "深圳"),
    OrganisationSpec("YL-EAST", "华东大区", OrganisationKind.REGION, HQ_CODE, "上海"),
    OrganisationSpec("YL-NORTH", "华北大区", OrganisationKind.REGION, HQ_CODE, "北京"),
    OrganisationSpec("YL-SZ", "深圳服务中心", OrganisationKind.SERVICE_CENTER, "YL-SOUTH", "深圳"),
    OrganisationSpec("YL-GZ", "广州服务中心", OrganisationKind.SERVICE_CENTER, "YL-SOUTH", "广州"),
    OrganisationSpec("YL-SH", "上海服务中心", OrganisationKind.SERVICE_CENTER, "YL-EAST", "上海"),
    OrganisationSpec("YL-HZ", "杭州服务中心", OrganisationKind.SERVICE_CENTER, "YL-EAST", "杭州"),
    OrganisationSpec("YL-BJ", "北京服务中心", OrganisationKind.SERVICE_CENTER, "YL-NORTH", "北京"),
    OrganisationSpec(
        "YL-P-ANJU", "深圳安居家居服务有限公司（授权服务商）", OrganisationKind.PROVIDER, "YL-SOUTH", "深圳"
    ),
    OrganisationSpec(
        "YL-P-HUTONG",
        "北京胡同管家上门服务有限公司（授权服务商）",
        OrganisationKind.PROVIDER,
        "YL-NORTH",
        "北京",
    ),
)


@dataclass(frozen=True)
class UserSpec:
    """One demo account; all share :data:`DEMO_PASSWORD`."""

    username: str
    role: Role
    display_name: str
    organisation_code: str
    supervisor_username: str | None = None
    city: str | None = None


# Supervisors come before the people they supervise.
USERS: tuple[UserSpec, ...] = (
    UserSpec("admin", Role.ADMIN, "系统管理员 周建国", HQ_CODE),
    UserSpec("manager", Role.MANAGER, "售后服务总监 郑海燕", HQ_CODE),
    UserSpec("agent", Role.AGENT, "客服坐席 李晓梅", HQ_CODE, "manager"),
    UserSpec("dispatcher", Role.DISPATCHER, "派单调度 王志强", HQ_CODE, "manager"),
    UserSpec("inspector", Role.INSPECTOR, "质检专员 孙丽娟", HQ_CODE, "manager"),
    UserSpec("mgr-south", Role.MANAGER, "华南大区经理 陈国栋", "YL-SOUTH", "manager"),
    UserSpec("mgr-east", Role.MANAGER, "华东大区经理 沈佳怡", "YL-EAST", "manager"),
    UserSpec("mgr-north", Role.MANAGER, "华北大区经理 赵立新", "YL-NORTH", "manager"),
    UserSpec("tech01", Role.TECHNICIAN, "刘师傅（刘伟）", "YL-SZ", "mgr-south", "深圳"),
    UserSpec("tech02", Role.TECHNICIAN, "黄师傅（黄俊杰）", "YL-SZ", "mgr-south", "深圳"),
    UserSpec("tech03", Role.TECHNICIAN, "吴师傅（吴家豪）", "YL-SZ", "mgr-south", "深圳"),
    UserSpec("tech04", Role.TECHNICIAN, "梁师傅（梁志明）", "YL-GZ", "mgr-south", "广州"),
    UserSpec("tech05", Role.TECHNICIAN, "何师傅（何永康）", "YL-GZ", "mgr-south", "广州"),
    UserSpec("tech06", Role.TECHNICIAN, "张师傅（张磊）", "YL-SH", "mgr-east", "上海"),
    UserSpec("tech07", Role.TECHNICIAN, "徐师傅（徐晨）", "YL-SH", "mgr-east", "上海"),
    UserSpec("tech08", Role.TECHNICIAN, "陆师傅（陆建华）", "YL-SH", "mgr-east", "上海"),
    UserSpec("tech09", Role.TECHNICIAN, "钱师傅（钱浩）", "YL-HZ", "mgr-east", "杭州"),
    UserSpec("tech10", Role.TECHNICIAN, "方师傅（方宇）", "YL-HZ", "mgr-east", "杭州"),
    UserSpec("tech11", Role.TECHNICIAN, "高师傅（高建军）", "YL-BJ", "mgr-north", "北京"),
    UserSpec("tech12", Role.TECHNICIAN, "马师傅（马超）", "YL-BJ", "mgr-north", "北京"),
    UserSpec("provider01", Role.PROVIDER, "安居服务商 林先生", "YL-P-ANJU", "mgr-south", "深圳"),
)

AGENT_USERNAME = "agent"
