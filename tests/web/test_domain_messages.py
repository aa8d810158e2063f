"""Domain errors carry a marked Chinese template and its parameters; the English catalog has every one,
and the console shows them in the reader's language (labels of stored values included)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

from babel.messages.pofile import read_po

import aftersales
from aftersales.core.errors import DomainError, NotFoundError
from aftersales.core.i18n import N_, Joined, Label, Message
from aftersales.dispatch.fieldwork.common import invalid
from aftersales.dispatch.fieldwork.inputs import FieldInputError
from aftersales.web.i18n import catalog_path, translations
from aftersales.web.labels import label
from aftersales.web.messages import domain_message, field_messages, problem_detail, problem_fields

SOURCE = Path(aftersales.__file__).parent
# Where messages are built for a domain error: its classes, the pure checks' error, and Message itself.
MESSAGE_BUILDERS = {"Message", "FieldInputError"}
# Notifications raise a few API-only errors and are being reworked by their owner in parallel.
NOT_YET = ("notifications/",)


def _error_classes() -> set[str]:
    for module in pkgutil.walk_packages(aftersales.__path__, "aftersales."):
        if ".migrations" not in module.name and "benchmarks" not in module.name:
            importlib.import_module(module.name)
    found: set[str] = set()
    pending: list[type] = [DomainError]
    while pending:
        cls = pending.pop()
        found.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return found


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _calls() -> list[tuple[str, int, ast.expr]]:
    """(file, line, message argument) of every domain error, FieldInputError and Message built in src."""
    builders = _error_classes() | MESSAGE_BUILDERS
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _name(node.func) in builders:
                message = (
                    node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "message"), None)
                )
                if message is not None:
                    found.append((relative, node.lineno, message))
    return found


def _too_early(node: ast.expr) -> bool:
    """A literal, an f-string, a concatenation or a text translated before the reader is known. (Names,
    attributes and other calls pass on a message marked where it was made: a rule's problem,
    ``message_of(error)``.)"""
    if isinstance(node, ast.Constant | ast.JoinedStr | ast.BinOp):
        return True
    return isinstance(node, ast.Call) and _name(node.func) in ("_", "gettext", "format")


def _marked(node: ast.expr) -> str | None:
    """The msgid when the argument is ``N_("...")``."""
    if isinstance(node, ast.Call) and _name(node.func) == "N_" and node.args:
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def test_every_domain_error_is_raised_with_a_marked_message_that_has_an_english_translation() -> None:
    calls = _calls()
    assert len(calls) > 150  # the walk really found the raise sites
    unmarked, msgids = [], set()
    for relative, line, message in calls:
        msgid = _marked(message)
        if msgid is not None:
            msgids.add(msgid)
        elif _too_early(message) and not relative.startswith(NOT_YET):
            unmarked.append(f"{relative}:{line}")
    assert unmarked == []
    with catalog_path("en").open("rb") as handle:
        catalog = read_po(handle)
    translated = {message.id for message in catalog if message.id and message.string and not message.fuzzy}
    assert sorted(msgids - translated) == []


def _english(message: str) -> str:
    return translations("en").gettext(message)


def test_a_message_is_chinese_text_and_renders_in_the_readers_language() -> None:
    missing = Message(N_("工单 %(ticket)s 不存在"), {"ticket": 7})
    assert (missing, missing.template, missing.params) == ("工单 7 不存在", "工单 %(ticket)s 不存在", {"ticket": 7})
    assert Message(missing) is missing and Message(N_("已用 80% 时限")) == "已用 80% 时限"
    problems = Joined([N_("期限必须晚于现在"), Message(N_("未知的部门：%(departments)s"), {"departments": "财务"})])
    assert problems == "期限必须晚于现在；未知的部门：财务"
    assert problems.render(_english) == "The deadline must be later than now; Unknown department: 财务"
    step = Message(N_("工单当前状态不能「%(action)s」"), {"action": Label("field_action", "accept")})
    assert (str(step), step.render(label_of=label), step.render(_english, label)) == (
        "工单当前状态不能「accept」",
        "工单当前状态不能「接单」",
        "The ticket's status does not allow “Accept”",
    )


def test_the_console_shows_an_error_in_english_and_problem_json_keeps_the_chinese() -> None:
    refused = DomainError(
        N_("工单状态为「%(status)s」时不能执行「%(event)s」"),
        {"status": Label("status", "registered"), "event": Label("event", "close")},
        code="ticket.invalid_transition",
        fields={"score": Message(N_("请为「%(dimension)s」打分"), {"dimension": Message(N_("上门准时"))}), "n": 3},
    )
    assert (refused.message, refused.params["status"]) == (
        "工单状态为「%(status)s」时不能执行「%(event)s」",
        Label("status", "registered"),
    )
    assert refused.detail == "工单状态为「registered」时不能执行「close」"
    assert problem_detail(refused) == "工单状态为「已登记」时不能执行「闭环」"
    assert domain_message(refused, _english) == "A ticket that is “Registered” cannot “Close”"
    assert problem_fields(refused) == {"score": "请为「上门准时」打分", "n": 3}
    assert field_messages(refused, _english) == {"score": "Please rate “Punctuality”", "n": "3"}
    # Anything not found or not visible is said the same way on the console.
    assert domain_message(NotFoundError(N_("工单 %(ticket)s 不存在"), {"ticket": 7}), _english) == (
        _english("找不到该记录，或您无权查看")
    )


def test_a_pure_checks_message_reaches_the_domain_error_with_its_template() -> None:
    too_many = Message(N_("一次最多登记 %(max)s 条配件"), {"max": 20})
    converted = invalid(FieldInputError(too_many, {"parts": "最多 20 条"}))
    assert (converted.message, converted.params, converted.detail, converted.fields) == (
        "一次最多登记 %(max)s 条配件",
        {"max": 20},
        "一次最多登记 20 条配件",
        {"parts": "最多 20 条"},
    )
    assert domain_message(converted, _english) == "At most 20 part lines at a time"
