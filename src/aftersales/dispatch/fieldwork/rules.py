"""Pure rules of the technician's job flow: the field state derived from the timeline, which step is
allowed when, and the checks on what the phone sends (coordinates, part lines, photos, signature, code).

No session, no clock, no I/O: callers pass event types, statuses, bytes and times in.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from aftersales.dispatch.network.rules import haversine_km, validate_point
from aftersales.tickets.enums import EventType, TicketStatus

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 6
MAX_SIGNATURE_BYTES = 512 * 1024
MAX_PART_LINES = 20
MAX_PART_QUANTITY = 99
FAR_FROM_ADDRESS_KM = 1.0
MAX_NOTE = 2000
MAX_REASON = 200
MAX_FAULT = 200
MAX_FILENAME = 100


class FieldState(StrEnum):
    """Where the job stands for the technician (derived from the timeline, never stored)."""

    UNASSIGNED = "unassigned"
    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    ON_THE_WAY = "on_the_way"
    ON_SITE = "on_site"
    CHECKED_OUT = "checked_out"
    DECLINED = "declined"


class FieldAction(StrEnum):
    """A step the technician can take, in the order the phone shows them."""

    ACCEPT = "accept"
    DECLINE = "decline"
    ON_THE_WAY = "on_the_way"
    CHECK_IN = "check_in"
    DIAGNOSIS = "diagnosis"
    PARTS = "parts"
    RESULT = "result"
    PHOTO = "photo"
    CONFIRMATION_CODE = "confirmation_code"
    CONFIRMATION = "confirmation"
    CHECK_OUT = "check_out"


F = FieldState
T = TicketStatus
_WORKING = frozenset({T.IN_PROGRESS, T.ON_HOLD})
_OPEN = frozenset({T.REGISTERED, T.IN_PROGRESS, T.ON_HOLD})

# action → (field states it is allowed in, ticket statuses it is allowed in). A second visit after
# check-out starts again with "on the way" or a direct check-in.
ALLOWED: dict[FieldAction, tuple[frozenset[FieldState], frozenset[TicketStatus]]] = {
    FieldAction.ACCEPT: (frozenset({F.ASSIGNED}), _OPEN),
    FieldAction.DECLINE: (frozenset({F.ASSIGNED, F.ACCEPTED}), _OPEN),
    FieldAction.ON_THE_WAY: (frozenset({F.ACCEPTED, F.CHECKED_OUT}), frozenset({T.REGISTERED, T.IN_PROGRESS})),
    FieldAction.CHECK_IN: (
        frozenset({F.ACCEPTED, F.ON_THE_WAY, F.CHECKED_OUT}),
        frozenset({T.REGISTERED, T.IN_PROGRESS}),
    ),
    FieldAction.DIAGNOSIS: (frozenset({F.ON_SITE}), _WORKING),
    FieldAction.PARTS: (frozenset({F.ON_SITE}), _WORKING | {T.RESOLVED}),
    FieldAction.RESULT: (frozenset({F.ON_SITE}), frozenset({T.IN_PROGRESS})),
    FieldAction.PHOTO: (frozenset({F.ON_SITE}), _WORKING | {T.RESOLVED}),
    FieldAction.CONFIRMATION_CODE: (frozenset({F.ON_SITE}), frozenset({T.RESOLVED})),
    FieldAction.CONFIRMATION: (frozenset({F.ON_SITE}), frozenset({T.RESOLVED})),
    FieldAction.CHECK_OUT: (frozenset({F.ON_SITE}), _WORKING | {T.RESOLVED}),
}

# Timeline events that move the field state.
STATE_EVENTS: dict[str, FieldState] = {
    EventType.ASSIGN.value: F.ASSIGNED,
    EventType.ACCEPT.value: F.ACCEPTED,
    EventType.DECLINE.value: F.DECLINED,
    EventType.ON_THE_WAY.value: F.ON_THE_WAY,
    EventType.CHECK_IN.value: F.ON_SITE,
    EventType.CHECK_OUT.value: F.CHECKED_OUT,
}

STATE_LABELS = {
    F.UNASSIGNED: "待派单",
    F.ASSIGNED: "待接单",
    F.ACCEPTED: "已接单",
    F.ON_THE_WAY: "在路上",
    F.ON_SITE: "在现场",
    F.CHECKED_OUT: "已离场",
    F.DECLINED: "已拒单",
}
ACTION_LABELS = {
    FieldAction.ACCEPT: "接单",
    FieldAction.DECLINE: "拒单",
    FieldAction.ON_THE_WAY: "出发",
    FieldAction.CHECK_IN: "上门签到",
    FieldAction.DIAGNOSIS: "检测诊断",
    FieldAction.PARTS: "登记配件",
    FieldAction.RESULT: "结果反馈",
    FieldAction.PHOTO: "补充照片",
    FieldAction.CONFIRMATION_CODE: "发送确认码",
    FieldAction.CONFIRMATION: "客户确认",
    FieldAction.CHECK_OUT: "离场签退",
}


@dataclass(frozen=True)
class FieldProgress:
    """The field state, whether the customer confirmed the latest result, and the visits so far."""

    state: FieldState
    is_confirmed: bool = False
    visits: int = 0


def progress(event_types: Iterable[str], *, is_assigned: bool) -> FieldProgress:
    """Replay the timeline (oldest first). An assignment starts over; a decline ends the job for the
    one who declined; a result needs a fresh confirmation."""
    state: FieldState | None = None
    confirmed = False
    visits = 0
    for event_type in event_types:
        value = str(event_type)
        if value in STATE_EVENTS:
            state = STATE_EVENTS[value]
            if value == EventType.ASSIGN.value:
                visits = 0
            elif value == EventType.CHECK_IN.value:
                visits += 1
        if value in (EventType.RESULT.value, EventType.REOPEN.value):
            confirmed = False
        elif value == EventType.CONFIRMATION.value:
            confirmed = True
    if not is_assigned:
        state = F.DECLINED if state == F.DECLINED else F.UNASSIGNED
    elif state is None or state in (F.DECLINED, F.UNASSIGNED):
        state = F.ASSIGNED
    return FieldProgress(state, confirmed, visits)


def refusal(action: FieldAction, current: FieldProgress, status: TicketStatus | str) -> str | None:
    """Why ``action`` is not allowed now (Chinese, for the technician), or None when it is."""
    states, statuses = ALLOWED[action]
    status = TicketStatus(status)
    if current.state in (F.UNASSIGNED, F.DECLINED):
        return "任务已退回调度，不能继续操作"
    if status in (T.CLOSED, T.CANCELLED, T.VISITED):
        return "工单已结束，不能继续操作"
    if current.state not in states:
        if current.state == F.ASSIGNED:
            return "请先接单"
        if F.ON_SITE in states:
            return "请先上门签到"
        if current.state == F.ON_SITE:
            return "您正在现场，请先完成或离场签退"
        return f"任务当前为「{STATE_LABELS[current.state]}」，不能「{ACTION_LABELS[action]}」"
    if status not in statuses:
        if status == T.ON_HOLD:
            return "工单挂起中，请先恢复"
        if action in (FieldAction.CONFIRMATION_CODE, FieldAction.CONFIRMATION):
            return "请先提交处理结果，再请客户确认"
        if status == T.RESOLVED:
            return "已反馈处理结果"
        return f"工单当前状态不能「{ACTION_LABELS[action]}」"
    if action in (FieldAction.CONFIRMATION_CODE, FieldAction.CONFIRMATION) and current.is_confirmed:
        return "客户已确认本次结果"
    return None


def allowed_actions(current: FieldProgress, status: TicketStatus | str) -> list[FieldAction]:
    """Every step allowed now, in button order."""
    return [action for action in FieldAction if refusal(action, current, status) is None]


class FieldInputError(ValueError):
    """Something the phone sent is unacceptable: the message and the offending fields (Chinese)."""

    def __init__(self, message: str, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


def text(value: str | None, *, field: str, label: str, max_length: int, required: bool = False) -> str | None:
    """A trimmed free text (None when empty and optional)."""
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise FieldInputError(f"{label}不能为空", {field: f"{label}不能为空"})
        return None
    if len(cleaned) > max_length:
        raise FieldInputError(f"{label}不能超过 {max_length} 个字", {field: f"最多 {max_length} 个字"})
    return cleaned


def check_in_point(longitude: float | None, latitude: float | None) -> tuple[float, float]:
    """The technician's position at check-in: both coordinates, inside China."""
    if longitude is None or latitude is None:
        missing = {name: "必填" for name, value in (("longitude", longitude), ("latitude", latitude)) if value is None}
        raise FieldInputError("签到需要当前位置（经度和纬度），请允许定位或手动填写", missing)
    return _inside_china(longitude, latitude)


def optional_point(longitude: float | None, latitude: float | None) -> tuple[float, float] | None:
    """A position that may be left out entirely, but not half given."""
    if longitude is None and latitude is None:
        return None
    if longitude is None or latitude is None:
        raise FieldInputError("经度和纬度需同时提供", {"longitude": "需同时提供", "latitude": "需同时提供"})
    return _inside_china(longitude, latitude)


def _inside_china(longitude: float, latitude: float) -> tuple[float, float]:
    try:
        return validate_point(longitude, latitude)
    except ValueError as error:
        raise FieldInputError(str(error), {"longitude": str(error), "latitude": str(error)}) from None


def address_point(longitude: float | None, latitude: float | None) -> tuple[float, float] | None:
    """The customer's address as a point, or None when it has no usable coordinates."""
    try:
        return validate_point(longitude, latitude)
    except ValueError:
        return None


def distance_km(position: tuple[float, float], address: tuple[float, float] | None) -> float | None:
    """Straight-line distance from the check-in position to the address (None when unknown)."""
    return None if address is None else round(haversine_km(position, address), 2)


def is_far_from_address(km: float | None) -> bool:
    """A check-in more than 1 km from the address is flagged for the dispatcher."""
    return km is not None and km > FAR_FROM_ADDRESS_KM


@dataclass(frozen=True)
class PartLine:
    """One part used on site (stock effects come with the parts issue)."""

    part_code: str
    quantity: int
    name: str | None = None
    serial_number: str | None = None

    def as_data(self) -> dict[str, Any]:
        return {
            "part_code": self.part_code,
            "name": self.name,
            "quantity": self.quantity,
            "serial_number": self.serial_number,
        }


def _quantity(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def part_lines(lines: Sequence[Mapping[str, object]]) -> list[PartLine]:
    """Validate the part lines: code 1–64 chars, quantity a whole number 1–99, at most 20 lines."""
    if not lines:
        raise FieldInputError("请至少填写一条配件", {"parts": "请至少填写一条配件"})
    if len(lines) > MAX_PART_LINES:
        raise FieldInputError(f"一次最多登记 {MAX_PART_LINES} 条配件", {"parts": f"最多 {MAX_PART_LINES} 条"})
    problems: dict[str, str] = {}
    parsed = []
    for index, line in enumerate(lines):
        code = str(line.get("part_code") or "").strip()
        name = str(line.get("name") or "").strip() or None
        serial = str(line.get("serial_number") or "").strip() or None
        quantity = _quantity(line.get("quantity"))
        prefix = f"parts[{index}]"
        if not code:
            problems[f"{prefix}.part_code"] = "配件编码不能为空"
        elif len(code) > 64:
            problems[f"{prefix}.part_code"] = "配件编码最多 64 个字符"
        if quantity is None or not 1 <= quantity <= MAX_PART_QUANTITY:
            problems[f"{prefix}.quantity"] = f"数量应为 1 到 {MAX_PART_QUANTITY} 的整数"
        if name is not None and len(name) > 100:
            problems[f"{prefix}.name"] = "配件名称最多 100 个字"
        if serial is not None and len(serial) > 64:
            problems[f"{prefix}.serial_number"] = "序列号最多 64 个字符"
        if not problems:
            parsed.append(PartLine(code, quantity or 0, name, serial))
    if problems:
        first = next(iter(problems))
        raise FieldInputError(f"配件第 {_line_number(first)} 行：{problems[first]}", problems)
    return parsed


def _line_number(field: str) -> int:
    match = re.match(r"parts\[(\d+)\]", field)
    return int(match.group(1)) + 1 if match else 1


@dataclass(frozen=True)
class Upload:
    """A file as the phone sent it."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class CheckedFile:
    """An accepted file: a safe name, the type found in its bytes, its size and digest."""

    filename: str
    content_type: str
    data: bytes
    sha256: str


_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def image_type(data: bytes) -> str | None:
    """JPEG, PNG or WEBP by the file's magic bytes (the client's content type is not trusted)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def safe_filename(filename: str, content_type: str, fallback: str) -> str:
    """The base name without path or control characters, at most 100 characters."""
    base = re.split(r"[\\/]", filename or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", base).strip(" .")
    if not base:
        base = f"{fallback}.{_EXTENSIONS.get(content_type, 'bin')}"
    return base[-MAX_FILENAME:]


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB"


def photo(upload: Upload, index: int = 0) -> CheckedFile:
    """One photo: JPEG/PNG/WEBP by content, not empty, at most 5 MB."""
    shown = upload.filename or f"第 {index + 1} 张"
    field = f"photos[{index}]"
    if not upload.data:
        raise FieldInputError(f"照片「{shown}」是空文件", {field: "空文件"})
    if len(upload.data) > MAX_PHOTO_BYTES:
        message = f"照片「{shown}」超过 {_megabytes(MAX_PHOTO_BYTES)}，请压缩后再上传"
        raise FieldInputError(message, {field: f"超过 {_megabytes(MAX_PHOTO_BYTES)}"})
    content_type = image_type(upload.data)
    if content_type is None:
        raise FieldInputError(f"照片「{shown}」不是 JPEG、PNG 或 WEBP 图片", {field: "只支持 JPEG、PNG、WEBP"})
    name = safe_filename(upload.filename, content_type, f"photo-{index + 1}")
    return CheckedFile(name, content_type, upload.data, hashlib.sha256(upload.data).hexdigest())


def photos(uploads: Sequence[Upload], *, required: bool) -> list[CheckedFile]:
    """Up to 6 photos per submission (at least one when ``required``)."""
    if not uploads:
        if required:
            raise FieldInputError("请至少上传一张现场照片", {"photos": "请至少上传一张"})
        return []
    if len(uploads) > MAX_PHOTOS:
        raise FieldInputError(f"每次最多上传 {MAX_PHOTOS} 张照片", {"photos": f"最多 {MAX_PHOTOS} 张"})
    return [photo(upload, index) for index, upload in enumerate(uploads)]


def signature(data: bytes) -> CheckedFile:
    """The customer's signature: a PNG image of at most 512 KB."""
    if not data:
        raise FieldInputError("请先让客户签名", {"signature": "签名为空"})
    if len(data) > MAX_SIGNATURE_BYTES:
        raise FieldInputError("签名图片不能超过 512 KB", {"signature": "超过 512 KB"})
    if image_type(data) != "image/png":
        raise FieldInputError("签名须为 PNG 图片", {"signature": "只支持 PNG"})
    return CheckedFile("signature.png", "image/png", data, hashlib.sha256(data).hexdigest())


_CODE = re.compile(r"[0-9]{6}")  # ASCII digits only (\d also matches full-width ones)


def confirmation_code(value: str | None) -> str:
    """The six digits the customer read out."""
    code = (value or "").strip()
    if not _CODE.fullmatch(code):
        raise FieldInputError("确认码应为 6 位数字", {"code": "应为 6 位数字"})
    return code


def code_hash(ticket_id: int, code: str) -> str:
    """What is stored instead of the code (bound to the ticket, so equal codes hash differently)."""
    return hashlib.sha256(f"{ticket_id}:{code}".encode()).hexdigest()


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes from ``start`` to ``end`` (never negative)."""
    return max(0, int((end - start).total_seconds() // 60))


def duration_text(minutes: int) -> str:
    """1小时5分 / 25分钟."""
    hours, rest = divmod(minutes, 60)
    return f"{hours}小时{rest}分" if hours else f"{rest}分钟"
