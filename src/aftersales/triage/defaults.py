"""The seeded intake rules (editable afterwards)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.triage.models import IntakeRule

DEFAULT_RULES = [
    # name, keywords, kind, priority, position
    (
        "locked_out",
        ["被锁门外", "锁在门外", "打不开门", "开不了门", "进不去门", "进不了门", "门打不开"],
        "repair",
        "urgent",
        10,
    ),
    ("water_leak", ["漏水", "跑水", "水漫"], "repair", "urgent", 11),
    ("smoke_fire", ["冒烟", "着火", "起火", "焦味", "烧焦", "漏电", "电击"], "repair", "urgent", 12),
    ("complaint", ["投诉", "12315", "曝光", "消协", "差评"], "complaint", None, 20),
    ("installation", ["安装", "装机", "上门装", "移机"], "installation", None, 30),
    ("repeat_fault", ["反复", "多次维修", "修了又坏", "又坏了", "第三次"], None, "complex", 40),
    (
        "fault",
        [
            "坏了",
            "故障",
            "失灵",
            "不能用",
            "没反应",
            "无法",
            "报错",
            "维修",
            "报修",
            "不工作",
            "不出水",
            "不制冷",
            "黑屏",
            "死机",
            "识别不了",
            "没电",
        ],
        "repair",
        None,
        50,
    ),
]


def seed_rules(session: Session) -> None:
    """Create the default rules that are missing (by name); never overwrites an edited rule."""
    existing = set(session.scalars(select(IntakeRule.name)).all())
    for name, keywords, kind, priority, position in DEFAULT_RULES:
        if name not in existing:
            session.add(
                IntakeRule(
                    name=name,
                    keywords=keywords,
                    kind=kind,
                    priority=priority,
                    position=position,
                    is_active=True,
                )
            )
    session.flush()
