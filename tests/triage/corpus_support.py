"""A small hand-written labelled corpus for fast training tests (the shipped corpus takes ~20 s to train)."""

from __future__ import annotations

from aftersales.triage.classifier import Example

SMALL = [
    Example(
        "指纹锁识别不了，按了没反应", "repair", "routine", "fingerprint_unrecognized", "YL-F3", "negative", 0, "g1"
    ),
    Example(
        "指纹开不了门了，麻烦派人修", "repair", "routine", "fingerprint_unrecognized", "YL-F3", "negative", 0, "g1"
    ),
    Example("人在门外进不去，门锁没电了，急！", "repair", "urgent", "locked_out", None, "negative", 0, "g2"),
    Example("被锁在门外了，孩子还在里面", "repair", "urgent", "locked_out", None, "negative", 0, "g2"),
    Example("想预约安装新买的智能锁", "installation", "routine", "installation_request", None, "neutral", 0, "g3"),
    Example(
        "新房要装门锁，什么时候能上门安装", "installation", "routine", "installation_request", None, "neutral", 0, "g3"
    ),
    Example("保修期是多久？发票怎么开", "consultation", "routine", None, None, "neutral", 0, "g4"),
    Example("请问这款平板在哪里买", "consultation", "routine", None, "YL-T10", "neutral", 0, "g4"),
    Example("修了三次还是坏，什么破锁，我要投诉退钱！！！", "complaint", "complex", None, None, "negative", 1, "g5"),
    Example("你们售后太差了，再不解决就去12315", "complaint", "complex", None, None, "negative", 1, "g5"),
    Example("客服态度很好，问题解决了，谢谢", "consultation", "routine", None, None, "positive", 0, "g6"),
    Example("师傅很专业，点赞👍", "consultation", "routine", None, None, "positive", 0, "g6"),
]
