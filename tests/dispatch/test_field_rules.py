"""The job flow's pure rules: field state from the timeline, which step when, and the input checks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aftersales.core.i18n import render
from aftersales.dispatch.fieldwork import inputs as field_inputs
from aftersales.dispatch.fieldwork import rules as field_rules
from aftersales.dispatch.fieldwork.inputs import FieldInputError, Upload
from aftersales.dispatch.fieldwork.rules import FieldAction, FieldProgress, FieldState
from aftersales.web.labels import label
from tests.images import GIF, JPEG_START, png, webp_header

A = FieldAction
S = FieldState


@pytest.mark.parametrize(
    ("events", "is_assigned", "expected"),
    [
        ([], True, FieldProgress(S.ASSIGNED)),
        ([], False, FieldProgress(S.UNASSIGNED)),
        (["register", "assign"], True, FieldProgress(S.ASSIGNED)),
        (["assign", "accept"], True, FieldProgress(S.ACCEPTED)),
        (["assign", "accept", "contact", "on_the_way"], True, FieldProgress(S.ON_THE_WAY)),
        (["assign", "accept", "on_the_way", "check_in"], True, FieldProgress(S.ON_SITE, visits=1)),
        (["assign", "accept", "check_in", "diagnosis", "parts_used"], True, FieldProgress(S.ON_SITE, visits=1)),
        (["assign", "accept", "check_in", "result", "confirmation"], True, FieldProgress(S.ON_SITE, True, 1)),
        (["assign", "accept", "check_in", "check_out"], True, FieldProgress(S.CHECKED_OUT, visits=1)),
        # A second visit after check-out.
        (
            ["assign", "accept", "check_in", "check_out", "on_the_way", "check_in"],
            True,
            FieldProgress(S.ON_SITE, visits=2),
        ),
        # A decline ends the job for whoever declined; a new assignment starts over.
        (["assign", "decline"], False, FieldProgress(S.DECLINED)),
        (["assign", "decline", "assign"], True, FieldProgress(S.ASSIGNED)),
        (["assign", "accept", "check_in", "assign"], True, FieldProgress(S.ASSIGNED)),
        # A new result (after a reopen) needs a new confirmation.
        (["assign", "check_in", "result", "confirmation", "reopen"], True, FieldProgress(S.ON_SITE, False, 1)),
        (["assign", "check_in", "result", "confirmation", "result"], True, FieldProgress(S.ON_SITE, False, 1)),
        # Events of other kinds do not move the state.
        (["assign", "accept", "sla_warning", "appointment", "dispatch"], True, FieldProgress(S.ACCEPTED)),
    ],
)
def test_progress_is_replayed_from_the_timeline(events: list[str], is_assigned: bool, expected: FieldProgress) -> None:
    assert field_rules.progress(events, is_assigned=is_assigned) == expected


@pytest.mark.parametrize(
    ("state", "status", "confirmed", "expected"),
    [
        (S.ASSIGNED, "registered", False, [A.ACCEPT, A.DECLINE]),
        (S.ACCEPTED, "registered", False, [A.DECLINE, A.ON_THE_WAY, A.CHECK_IN]),
        (S.ACCEPTED, "on_hold", False, [A.DECLINE]),
        (S.ON_THE_WAY, "in_progress", False, [A.CHECK_IN]),
        (S.ON_SITE, "in_progress", False, [A.DIAGNOSIS, A.PARTS, A.RESULT, A.PHOTO, A.CHECK_OUT]),
        (S.ON_SITE, "on_hold", False, [A.DIAGNOSIS, A.PARTS, A.PHOTO, A.CHECK_OUT]),
        (S.ON_SITE, "resolved", False, [A.PARTS, A.PHOTO, A.CONFIRMATION_CODE, A.CONFIRMATION, A.CHECK_OUT]),
        (S.ON_SITE, "resolved", True, [A.PARTS, A.PHOTO, A.CHECK_OUT]),
        (S.CHECKED_OUT, "in_progress", False, [A.ON_THE_WAY, A.CHECK_IN]),
        (S.CHECKED_OUT, "on_hold", False, []),
        (S.CHECKED_OUT, "resolved", False, []),
        (S.ON_SITE, "closed", False, []),
        (S.DECLINED, "registered", False, []),
        (S.UNASSIGNED, "registered", False, []),
    ],
)
def test_allowed_actions(state: FieldState, status: str, confirmed: bool, expected: list[FieldAction]) -> None:
    assert field_rules.allowed_actions(FieldProgress(state, confirmed), status) == expected


@pytest.mark.parametrize(
    ("action", "state", "status", "confirmed", "reason"),
    [
        (A.CHECK_IN, S.ASSIGNED, "registered", False, "请先接单"),
        (A.RESULT, S.ACCEPTED, "in_progress", False, "请先上门签到"),
        (A.CHECK_IN, S.ON_SITE, "in_progress", False, "您正在现场，请先完成或离场签退"),
        (A.ACCEPT, S.ACCEPTED, "registered", False, "任务当前为「已接单」，不能「接单」"),
        (A.ON_THE_WAY, S.CHECKED_OUT, "on_hold", False, "工单挂起中，请先恢复"),
        (A.CONFIRMATION, S.ON_SITE, "in_progress", False, "请先提交处理结果，再请客户确认"),
        (A.RESULT, S.ON_SITE, "resolved", False, "已反馈处理结果"),
        (A.CONFIRMATION_CODE, S.ON_SITE, "resolved", True, "客户已确认本次结果"),
        (A.ACCEPT, S.DECLINED, "registered", False, "任务已退回调度，不能继续操作"),
        (A.CHECK_OUT, S.ON_SITE, "cancelled", False, "工单已结束，不能继续操作"),
        (A.DIAGNOSIS, S.ON_SITE, "in_progress", False, None),
    ],
)
def test_refusal_reasons(
    action: FieldAction, state: FieldState, status: str, confirmed: bool, reason: str | None
) -> None:
    # The rule keeps the state and the step as values; the reason is read with their labels.
    assert render(field_rules.refusal(action, FieldProgress(state, confirmed), status), label_of=label) == reason


@pytest.mark.parametrize(
    ("longitude", "latitude", "message"),
    [
        (None, 22.5, "签到需要当前位置（经度和纬度），请允许定位或手动填写"),
        (None, None, "签到需要当前位置（经度和纬度），请允许定位或手动填写"),
        (2.35, 48.85, "坐标 (2.35, 48.85) 不在中国境内"),
        (113.9, 95.0, "坐标 (113.9, 95.0) 不在中国境内"),
        (float("nan"), 22.5, "坐标 (nan, 22.5) 不在中国境内"),
    ],
)
def test_bad_check_in_points(longitude: float | None, latitude: float | None, message: str) -> None:
    with pytest.raises(FieldInputError) as caught:
        field_inputs.check_in_point(longitude, latitude)
    assert caught.value.message == message
    assert set(caught.value.fields) <= {"longitude", "latitude"} and caught.value.fields


def test_points_and_distance() -> None:
    assert field_inputs.check_in_point(113.93, 22.53) == (113.93, 22.53)
    assert field_inputs.optional_point(None, None) is None
    with pytest.raises(FieldInputError, match="经度和纬度需同时提供"):
        field_inputs.optional_point(113.9, None)
    assert field_inputs.address_point(None, 22.5) is None
    assert field_inputs.distance_km((113.93, 22.53), None) is None
    assert field_inputs.distance_km((113.93, 22.53), (113.93, 22.53)) == 0.0
    near = field_inputs.distance_km((113.93, 22.53), (113.935, 22.53))  # ~0.51 km
    far = field_inputs.distance_km((113.93, 22.53), (113.95, 22.53))  # ~2.05 km
    assert near == 0.51 and far == 2.05
    assert [field_inputs.is_far_from_address(km) for km in (None, near, 1.0, 1.01, far)] == [
        False,
        False,
        False,
        True,
        True,
    ]


@pytest.mark.parametrize(
    ("lines", "fields"),
    [
        ([], {"parts": "请至少填写一条配件"}),
        ([{"part_code": " ", "quantity": 1}], {"parts[0].part_code": "配件编码不能为空"}),
        ([{"part_code": "X" * 65, "quantity": 1}], {"parts[0].part_code": "配件编码最多 64 个字符"}),
        ([{"part_code": "FP-01", "quantity": 0}], {"parts[0].quantity": "数量应为 1 到 99 的整数"}),
        ([{"part_code": "FP-01", "quantity": 100}], {"parts[0].quantity": "数量应为 1 到 99 的整数"}),
        ([{"part_code": "FP-01", "quantity": 1.5}], {"parts[0].quantity": "数量应为 1 到 99 的整数"}),
        ([{"part_code": "FP-01", "quantity": True}], {"parts[0].quantity": "数量应为 1 到 99 的整数"}),
        ([{"part_code": "FP-01", "quantity": "two"}], {"parts[0].quantity": "数量应为 1 到 99 的整数"}),
        (
            [{"part_code": "FP-01", "quantity": 1}, {"part_code": "", "quantity": None}],
            {"parts[1].part_code": "配件编码不能为空", "parts[1].quantity": "数量应为 1 到 99 的整数"},
        ),
        ([{"part_code": f"P{i}", "quantity": 1} for i in range(21)], {"parts": "最多 20 条"}),
    ],
)
def test_bad_part_lines(lines: list[dict[str, object]], fields: dict[str, str]) -> None:
    with pytest.raises(FieldInputError) as caught:
        field_inputs.part_lines(lines)
    assert caught.value.fields == fields


def test_good_part_lines() -> None:
    parsed = field_inputs.part_lines(
        [
            {"part_code": " FP-01 ", "name": "指纹模块", "quantity": 1, "serial_number": "SN9"},
            {"part_code": "BAT-4", "quantity": "99"},
        ]
    )
    assert [line.as_data() for line in parsed] == [
        {"part_code": "FP-01", "name": "指纹模块", "quantity": 1, "serial_number": "SN9"},
        {"part_code": "BAT-4", "name": None, "quantity": 99, "serial_number": None},
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (png(), "image/png"),
        (JPEG_START + b"\x00" * 20, "image/jpeg"),
        (webp_header(), "image/webp"),
        (GIF, None),
        (b"RIFF\x00\x00\x00\x00WAVE", None),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
        (b"", None),
    ],
)
def test_image_type_is_read_from_the_bytes(data: bytes, expected: str | None) -> None:
    assert field_inputs.image_type(data) == expected


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (Upload("a.jpg", b""), "照片「a.jpg」是空文件"),
        (Upload("fake.jpg", GIF), "照片「fake.jpg」不是 JPEG、PNG 或 WEBP 图片"),
        (Upload("big.png", png(padding=5 * 1024 * 1024)), "照片「big.png」超过 5 MB，请压缩后再上传"),
        (Upload("", GIF), "照片「第 1 张」不是 JPEG、PNG 或 WEBP 图片"),
    ],
)
def test_bad_photos(upload: Upload, message: str) -> None:
    with pytest.raises(FieldInputError) as caught:
        field_inputs.photos([upload], required=True)
    assert caught.value.message == message


def test_photo_limits_and_names() -> None:
    exactly = png(padding=field_inputs.MAX_PHOTO_BYTES - len(png()) - 12 - len(b"Comment\x00"))
    assert len(exactly) == field_inputs.MAX_PHOTO_BYTES
    checked = field_inputs.photos([Upload("../../etc/现场.png", exactly), Upload("", png())], required=True)
    assert [(file.filename, file.content_type) for file in checked] == [
        ("现场.png", "image/png"),
        ("photo-2.png", "image/png"),
    ]
    with pytest.raises(FieldInputError, match="每次最多上传 6 张照片"):
        field_inputs.photos([Upload(f"{i}.png", png()) for i in range(7)], required=True)
    with pytest.raises(FieldInputError, match="请至少上传一张现场照片"):
        field_inputs.photos([], required=True)
    assert field_inputs.photos([], required=False) == []


def test_signature_and_code() -> None:
    assert field_inputs.signature(png()).content_type == "image/png"
    for data, message in (
        (b"", "请先让客户签名"),
        (JPEG_START, "签名须为 PNG 图片"),
        (png(padding=512 * 1024), "签名图片不能超过 512 KB"),
    ):
        with pytest.raises(FieldInputError, match=message):
            field_inputs.signature(data)
    assert field_inputs.confirmation_code(" 012345 ") == "012345"
    for bad in (None, "", "12345", "1234567", "12a456", "１２３４５６"):
        with pytest.raises(FieldInputError, match="确认码应为 6 位数字"):
            field_inputs.confirmation_code(bad)
    assert field_inputs.code_hash(1, "123456") != field_inputs.code_hash(2, "123456")
    assert len(field_inputs.code_hash(1, "123456")) == 64


def test_texts_and_durations() -> None:
    assert field_inputs.text("  ok ", field="reason", label="拒单原因", max_length=5, required=True) == "ok"
    assert field_inputs.text("  ", field="note", label="说明", max_length=5) is None
    with pytest.raises(FieldInputError) as caught:
        field_inputs.text(" ", field="reason", label="拒单原因", max_length=5, required=True)
    assert caught.value.fields == {"reason": "拒单原因不能为空"}
    with pytest.raises(FieldInputError, match="说明不能超过 5 个字"):
        field_inputs.text("123456", field="note", label="说明", max_length=5)
    start = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    assert field_rules.minutes_between(start, datetime(2026, 11, 22, 3, 5, 59, tzinfo=UTC)) == 65
    assert field_rules.minutes_between(start, start.replace(hour=1)) == 0
    assert [field_rules.duration_text(m) for m in (0, 25, 65)] == ["0分钟", "25分钟", "1小时5分"]
