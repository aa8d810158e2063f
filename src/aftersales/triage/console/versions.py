"""Trained triage models on screen (those who manage rules): every stored version with when and on what it
was trained, its held-out metrics and which one is in use; making another version the active one (rolling
back is activating an older one) after a confirmation page that compares the two. Training takes minutes,
so it is not run in a request: the page shows the command that does it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.accounts import service as accounts_service
from aftersales.core.errors import ConflictError, NotFoundError
from aftersales.core.i18n import N_
from aftersales.triage import learning, shipped
from aftersales.triage.console import common
from aftersales.triage.models import TriageModelVersion
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.pages import form_errors, redirect
from aftersales.web.params import MAX_INT
from aftersales.web.templating import render

router = APIRouter(prefix="/console/triage/models")
VersionPath = Annotated[int, Path(ge=1, le=MAX_INT)]
DONE = {
    "activated": N_("已启用该版本"),
    "rolled_back": N_("已回滚到该版本"),
    "shipped": N_("已改用出厂模型"),
}


def _active(versions: list[TriageModelVersion]) -> TriageModelVersion | None:
    return next((record for record in versions if record.is_active), None)


def _still_current(session: Session, seen: str) -> TriageModelVersion | None:
    """The version in use, refused with 409 when it is no longer the one the page showed (``seen``: its
    number, "" for none)."""
    current = _active(learning.list_versions(session))
    if seen != (str(current.version) if current is not None else ""):
        raise ConflictError(N_("当前使用的版本已被他人更改，请返回列表重新确认"), code="triage.model_changed")
    return current


def _context(session: Session) -> dict[str, object]:
    versions = learning.list_versions(session)
    return {
        "versions": versions,
        "active": _active(versions),
        # With no trained version active, the model shipped in the package answers (when it is used).
        "shipped": shipped.load() if learning.USE_SHIPPED_MODEL else None,
        "metrics": common.METRICS,
        "headline": common.HEADLINE,
        "metric_text": common.metric_text,
        "source_parts": common.source_parts,
    }


@router.get("")
def versions_page(request: Request, session: SessionDep, signed: common.Manager) -> Response:
    """The stored versions, newest first, with the one in use marked and the command that trains a new one."""
    done = DONE.get(request.query_params.get("done", ""))
    return render(request, "triage/models.html", _context(session) | {"done": done})


@router.get("/{version}/activate")
def confirm_activate(request: Request, session: SessionDep, signed: common.Manager, version: VersionPath) -> Response:
    """Ask before switching: the chosen version beside the one in use, metric by metric."""
    record = learning.get_version(session, version=version)
    context = _context(session)
    active = context["active"]
    rolling_back = isinstance(active, TriageModelVersion) and record.version < active.version
    context |= {"record": record, "rolling_back": rolling_back}
    return render(request, "triage/model_activate.html", context)


@router.post("/{version}/activate")
async def activate(
    request: Request, session: SessionDep, clock: ClockDep, signed: common.Manager, version: VersionPath
) -> Response:
    """Make the version the one triage uses (at once in this process, within seconds in the others)."""
    form = await request.form()
    seen = common.clip(form.get("active"), 24)  # the version in use when the page was drawn ("" for none)
    with form_errors(request, session):
        record = learning.get_version(session, version=version)
        if record.is_active:
            raise ConflictError(
                N_("v%(version)s 已是当前使用的版本"), {"version": version}, code="triage.model_already_active"
            )
        current = _still_current(session, seen)
        learning.activate_version(session, version=version)
        accounts_service.record_audit(
            session,
            clock=clock,
            actor=signed.actor,
            action="triage_model.activated",
            entity_type="triage_model",
            entity_id=version,
            before={"active_version": current.version if current is not None else None},
            after={"active_version": version},
        )
    commit(session)
    older = current is not None and version < current.version
    return redirect(request, f"/console/triage/models?done={'rolled_back' if older else 'activated'}")


@router.get("/shipped")
def confirm_shipped(request: Request, session: SessionDep, signed: common.Manager) -> Response:
    """Ask before going back to the model shipped in the package."""
    context = _context(session)
    if context["shipped"] is None:
        raise NotFoundError(N_("本安装没有出厂模型"), code="triage.no_shipped_model")
    return render(request, "triage/model_shipped.html", context)


@router.post("/shipped")
async def use_shipped(request: Request, session: SessionDep, clock: ClockDep, signed: common.Manager) -> Response:
    """Go back to the model shipped in the package (asked for on the list page); the versions are kept."""
    form = await request.form()
    seen = common.clip(form.get("active"), 24)  # the version in use when the page was drawn
    with form_errors(request, session):
        if _active(learning.list_versions(session)) is not None:
            _still_current(session, seen)
        previous = learning.use_shipped_model(session)
        accounts_service.record_audit(
            session,
            clock=clock,
            actor=signed.actor,
            action="triage_model.shipped_restored",
            entity_type="triage_model",
            entity_id=previous.version,
            before={"active_version": previous.version},
            after={"active_version": None},
        )
    commit(session)
    return redirect(request, "/console/triage/models?done=shipped")
