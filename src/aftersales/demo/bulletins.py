"""The demo's known-issue bulletins (published, so new matching tickets are linked at intake)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import Clock
from aftersales.knowledge.bulletins import service as bulletins_service
from aftersales.knowledge.bulletins.schemas import BulletinCreate
from aftersales.knowledge.enums import BulletinStatus
from aftersales.knowledge.models import Bulletin

BULLETINS = (
    {
        "title": "YL-S7 升级固件 2.3.1 后部分用户指纹识别失灵",
        "cause": "2.3.1 固件的指纹比对阈值偏高，升级后已录入指纹的识别率明显下降。",
        "workaround": "请客户改用密码、NFC 卡或机械钥匙开门；在「云锁」App 中进入 设备 → 固件 → 回退到 2.3.0 可恢复识别。",
        "agent_script": "非常抱歉给您带来不便。这是 2.3.1 固件的已知问题，修复版本预计一周内推送。"
        "您可以先用密码开门，或在 App 里把固件回退到 2.3.0，我一步步带您操作。",
        "product_models": ["YL-S7"],
        "versions": ["2.3.1"],
        "keywords": ["指纹|手指", "识别不了|识别失败|不识别|认不出|失灵|不灵|没反应|用不了|开不了|打不开|验证失败"],
        "fix_in_days": 7,
    },
    {
        "title": "YL-T10 2026 年 9 月批次充电口接触不良",
        "cause": "该批次充电口弹片偏软，插头稍有晃动即断开，表现为充不进电或充电断断续续。",
        "workaround": "请客户使用原装充电线并保持插头不晃动；仍无法充电的安排寄修，免费更换充电口。",
        "agent_script": "您好，这个批次的充电口有接触不良的情况，我们会免费为您更换，我现在为您登记寄修。",
        "product_models": ["YL-T10"],
        "versions": [],
        "keywords": ["充电|充不进|充不上|充电口|插头", "充不进|充不上|断断续续|时断时续|接触不良|松|没反应"],
        "fix_in_days": 30,
    },
)


def load_bulletins(session: Session, *, clock: Clock) -> int:
    """Publish the demo bulletins that do not exist yet (matched by title); returns how many."""
    existing = set(session.scalars(select(Bulletin.title)))
    created = 0
    for spec in BULLETINS:
        if spec["title"] in existing:
            continue
        data = BulletinCreate.model_validate(
            {key: value for key, value in spec.items() if key != "fix_in_days"}
            | {
                "status": BulletinStatus.PUBLISHED,
                "expected_fix_at": clock.now() + timedelta(days=int(str(spec["fix_in_days"]))),
            }
        )
        bulletins_service.create_bulletin(session, clock=clock, actor=SYSTEM_ACTOR, data=data)
        created += 1
    return created
