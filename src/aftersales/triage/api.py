"""JSON API for the editable intake rules under /api/v1/triage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from aftersales.accounts import service as accounts_service
from aftersales.accounts.deps import allowed
from aftersales.accounts.enums import Permission
from aftersales.accounts.schemas import Actor
from aftersales.triage import learning
from aftersales.triage import service as triage_service
from aftersales.triage.schemas import ClassifyRequest, ClassifyResult, RuleCreate, RuleRead, TriageRequest, TriageResult
from aftersales.web.deps import ClockDep, SessionDep, commit

router = APIRouter(prefix="/api/v1/triage", tags=["triage"])


@router.post("", response_model=TriageResult)
def triage(
    body: TriageRequest, session: SessionDep, actor: Annotated[Actor, allowed(Permission.TRIAGE_USE)]
) -> TriageResult:
    """Kind, priority, product model, fault type, sentiment and anger for a message (trained model + rules)."""
    result = learning.analyse(session, body.text)
    return TriageResult(
        kind=result.kind,
        priority=result.priority,
        product_model=result.product_model,
        fault_type=result.fault_type,
        confidence=result.confidence,
        sentiment=result.sentiment,
        anger=result.anger,
        handoff=result.handoff,
        reasons=result.reasons,
    )


@router.post("/classify", response_model=ClassifyResult)
def classify(
    body: ClassifyRequest, session: SessionDep, actor: Annotated[Actor, allowed(Permission.TRIAGE_USE)]
) -> ClassifyResult:
    """Kind and priority the intake rules propose for a text."""
    result = triage_service.classify(session, body.text)
    return ClassifyResult(kind=result.kind, priority=result.priority, reasons=result.reasons)


@router.get("/rules", response_model=list[RuleRead])
def list_rules(session: SessionDep, actor: Annotated[Actor, allowed(Permission.TRIAGE_USE)]) -> list[RuleRead]:
    """The intake rules in evaluation order."""
    return [RuleRead.model_validate(rule) for rule in triage_service.list_rules(session)]


@router.post("/rules", response_model=RuleRead, status_code=201)
def add_rule(
    body: RuleCreate, session: SessionDep, clock: ClockDep, actor: Annotated[Actor, allowed(Permission.RULES_MANAGE)]
) -> RuleRead:
    """Add an intake rule."""
    rule = triage_service.add_rule(
        session,
        name=body.name,
        keywords=body.keywords,
        kind=body.kind,
        priority=body.priority,
        position=body.position,
    )
    accounts_service.record_audit(
        session,
        clock=clock,
        actor=actor,
        action="triage_rule.added",
        entity_type="triage_rule",
        entity_id=rule.id,
        after=body.model_dump(mode="json"),
    )
    commit(session)
    return RuleRead.model_validate(rule)


@router.delete("/rules/{name}", status_code=204)
def delete_rule(
    name: str, session: SessionDep, clock: ClockDep, actor: Annotated[Actor, allowed(Permission.RULES_MANAGE)]
) -> Response:
    """Remove an intake rule."""
    triage_service.delete_rule(session, name=name)
    accounts_service.record_audit(
        session, clock=clock, actor=actor, action="triage_rule.deleted", entity_type="triage_rule", entity_id=name
    )
    commit(session)
    return Response(status_code=204)
