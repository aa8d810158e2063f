"""Trained triage in use: versioned models in the database (train, evaluate, activate, roll back), the
active one cached per process, and ``analyse`` — the model's answer with the editable rules as overrides.
Flushes, never commits."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, defer

from aftersales.core.clock import Clock
from aftersales.core.errors import ConflictError
from aftersales.core.i18n import N_
from aftersales.core.progress import SILENT, Progress
from aftersales.triage import classifier, evaluation, shipped
from aftersales.triage import rules as triage_rules
from aftersales.triage import service as triage_service
from aftersales.triage.errors import InvalidRuleError, ModelNotFoundError
from aftersales.triage.models import TriageModelVersion

MODEL_TTL_SECONDS = 5.0
# While no trained version is active, the model shipped with the package answers (``triage.shipped``).
# Tests of other capabilities switch it off, so that their triage is the rules alone and stays fixed.
# A trained version also takes the shipped model's sentiment and anger (``train_and_store``).
USE_SHIPPED_MODEL = True
HISTORY_LIMIT = 50_000
_lock = threading.Lock()
_cached: tuple[float, int | None, classifier.TriageModel | None] | None = None


def invalidate_model_cache() -> None:
    """Forget the cached active model (after training or activation)."""
    global _cached
    with _lock:
        _cached = None


def active_model(session: Session) -> classifier.TriageModel | None:
    """The model that answers: the active trained version, else the one shipped with the package (None
    only when that is switched off, see ``USE_SHIPPED_MODEL``)."""
    trained = active_trained_model(session)
    if trained is not None:
        return trained
    return shipped.load() if USE_SHIPPED_MODEL else None


def active_trained_model(session: Session) -> classifier.TriageModel | None:
    """The active trained version (None before the first training); re-read at most every few seconds."""
    global _cached
    now = time.monotonic()
    with _lock:
        if _cached is not None and now - _cached[0] < MODEL_TTL_SECONDS:
            return _cached[2]
    active_id = session.scalar(select(TriageModelVersion.id).where(TriageModelVersion.is_active.is_(True)))
    with _lock:
        if _cached is not None and _cached[1] == active_id:
            _cached = (now, active_id, _cached[2])
            return _cached[2]
    model = None
    if active_id is not None:
        blob = session.scalar(select(TriageModelVersion.blob).where(TriageModelVersion.id == active_id))
        model = classifier.TriageModel.loads(blob) if blob is not None else None
    with _lock:
        _cached = (now, active_id, model)
    return model


def history_examples(session: Session) -> list[classifier.Example]:
    """Closed tickets as training examples: their final kind and priority are the labels people settled on."""
    from aftersales.tickets.models import Ticket

    rows = session.execute(
        select(Ticket.id, Ticket.description, Ticket.kind, Ticket.priority, Ticket.product_model, Ticket.triage)
        .where(Ticket.status == "closed")
        .order_by(Ticket.id.desc())
        .limit(HISTORY_LIMIT)
    )
    return [
        classifier.Example(
            text=description,
            kind=str(kind),
            priority=str(priority),
            fault_type=(triage or {}).get("fault_type"),
            product_model=product_model,
            group=f"ticket-{ticket_id}",
        )
        for ticket_id, description, kind, priority, product_model, triage in rows
    ]


EMOTIONS_TARGETS = ("sentiment", "anger")


def adopt_emotions(model: classifier.TriageModel, source: classifier.TriageModel) -> list[str]:
    """Give ``model`` the sentiment and anger of ``source`` where ``source`` trained them on texts of their
    own (the shipped model's real reviews and posts, which a tenant's tickets cannot match); returns the
    targets taken."""
    taken = []
    for target in EMOTIONS_TARGETS:
        features = source.own_features.get(target)
        if features is None or target not in source.models:
            continue
        model.models[target] = source.models[target]
        model.labels[target] = source.labels[target]
        model.own_features[target] = features
        taken.append(target)
    return taken


def train_and_store(
    session: Session,
    *,
    clock: Clock,
    actor_name: str,
    include_history: bool = False,
    activate: bool = True,
    reviews: int = 4000,
    corpus: list[classifier.Example] | None = None,
    progress: Progress = SILENT,
) -> TriageModelVersion:
    """Evaluate on a held-out split, train on everything, store as the next version (active by default).

    Sentiment and anger are taken from the shipped model when it is in use (``adopt_emotions``):
    they were trained on real text that the installed package does not carry.
    ``corpus`` replaces the shipped corpus (tests use a small one); each stage is reported to ``progress``."""
    progress.stage("语料 / corpus")
    examples = list(corpus) if corpus is not None else evaluation.load_corpus()
    source = "corpus"
    if include_history:
        history = history_examples(session)
        examples = examples + history
        source = f"corpus+history({len(history)})"
    review_rows = evaluation.review_corpus(limit_per_class=reviews // 2) if reviews else []
    progress.stage("评估 / evaluation")
    report = evaluation.evaluate(examples, reviews=review_rows)
    progress.stage("训练 / training")
    model = evaluation.fitted(examples, review_rows)
    # Sentiment and anger come from the shipped model, trained on tens of thousands of real reviews and
    # posts that are not in the installed package; closed tickets carry no emotion labels to improve them.
    lender = shipped.load() if USE_SHIPPED_MODEL else None
    if lender is not None and adopt_emotions(model, lender):
        model.about = model.about | {"emotions_from": lender.about.get("recipe", "shipped")}
        # The held-out emotion figures measured the corpus's own emotion models, which are not kept.
        for name in ("anger_accuracy", "review_sentiment_accuracy", "review_test_messages"):
            report.metrics.pop(name, None)
        report.metrics["emotions_from_shipped_model"] = True
    progress.stage("保存 / storing")
    version = (session.scalar(select(func.max(TriageModelVersion.version))) or 0) + 1
    record = TriageModelVersion(
        version=version,
        created_at=clock.now(),
        created_by=actor_name,
        source=source,
        trained_on=len(examples),
        metrics=report.metrics,
        blob=model.dumps(),
        is_active=False,
    )
    session.add(record)
    session.flush()
    if activate:
        activate_version(session, version=version)
    return record


def activate_version(session: Session, *, version: int) -> TriageModelVersion:
    """Make one stored version the active model (rolling back is activating an older one)."""
    record = session.scalar(select(TriageModelVersion).where(TriageModelVersion.version == version))
    if record is None:
        raise InvalidRuleError(
            N_("模型版本 %(version)s 不存在"),
            {"version": version},
            code="triage.model_not_found",
            fields={"version": version},
        )
    session.execute(update(TriageModelVersion).values(is_active=False))
    session.execute(update(TriageModelVersion).where(TriageModelVersion.id == record.id).values(is_active=True))
    session.flush()
    invalidate_model_cache()
    return record


def use_shipped_model(session: Session) -> TriageModelVersion:
    """Stop using trained versions: the model shipped in the package answers again (the versions are kept,
    and any can be activated later). Returns the version that was active."""
    if shipped.load() is None:
        raise ConflictError(N_("本安装没有出厂模型"), code="triage.no_shipped_model")
    active = session.scalar(select(TriageModelVersion).where(TriageModelVersion.is_active.is_(True)))
    if active is None:
        raise ConflictError(N_("已在使用出厂模型"), code="triage.shipped_model_in_use")
    session.execute(update(TriageModelVersion).values(is_active=False))
    session.flush()
    invalidate_model_cache()
    return active


def list_versions(session: Session) -> list[TriageModelVersion]:
    """Stored models, newest first (their stored arrays are not read: a listing does not need them)."""
    query = select(TriageModelVersion).options(defer(TriageModelVersion.blob))
    return list(session.scalars(query.order_by(TriageModelVersion.version.desc())))


def get_version(session: Session, *, version: int) -> TriageModelVersion:
    """One stored version (without its stored arrays)."""
    query = select(TriageModelVersion).options(defer(TriageModelVersion.blob))
    record = session.scalar(query.where(TriageModelVersion.version == version))
    if record is None:
        raise ModelNotFoundError(N_("模型版本 %(version)s 不存在"), {"version": version})
    return record


@dataclass(frozen=True)
class Analysis:
    """Triage's answer for a text, as the API shows it."""

    kind: str
    priority: str
    product_model: str | None
    fault_type: str | None
    confidence: float
    sentiment: float
    anger: float
    handoff: bool
    reasons: list[str] = field(default_factory=list)
    anger_cues: list[str] = field(default_factory=list)


def analyse(session: Session, text: str) -> Analysis:
    """The trained model's prediction, with matching intake rules overriding kind and priority."""
    rules_result = triage_service.classify(session, text)
    model = active_model(session)
    if model is None:
        anger_cues = classifier.find_cues(text, classifier.ANGER_CUES)
        anger = classifier.cue_score(anger_cues)
        pleased = classifier.cue_score(classifier.find_cues(text, classifier.POSITIVE_CUES))
        return Analysis(
            kind=rules_result.kind,
            priority=rules_result.priority,
            product_model=None,
            fault_type=None,
            confidence=0.5 if rules_result.kind_matched else 0.3,
            sentiment=round(max(-1.0, min(1.0, 0.5 * pleased - anger)), 4),
            anger=round(anger, 4),
            handoff=anger >= classifier.HANDOFF_ANGER,
            reasons=["尚未训练模型，仅按规则分诊", *rules_result.reasons],
            anger_cues=[cue for cue, _ in anger_cues],
        )
    prediction = model.predict(text)
    source = "出厂模型" if model.about.get("shipped") else "模型"
    reasons = [
        f"{source}：类型 {prediction.kind}（{prediction.kind_confidence:.2f}），优先级 {prediction.priority}（{prediction.priority_confidence:.2f}）"
    ]
    kind, priority = prediction.kind, prediction.priority
    if rules_result.kind_matched and rules_result.kind != kind:
        kind = rules_result.kind
        reasons.append(f"规则覆盖类型 → {kind}")
    if rules_result.priority_matched and triage_rules.PRIORITY_RANK[
        rules_result.priority
    ] > triage_rules.PRIORITY_RANK.get(priority, 0):
        priority = rules_result.priority
        reasons.append(f"规则覆盖优先级 → {priority}")
    reasons += [reason for reason in rules_result.reasons if "规则" in reason and "默认" not in reason]
    if prediction.anger_cues:
        reasons.append("情绪线索：" + "、".join(prediction.anger_cues))
    return Analysis(
        kind=kind,
        priority=priority,
        product_model=prediction.product_model,
        fault_type=prediction.fault_type,
        confidence=prediction.confidence,
        sentiment=prediction.sentiment,
        anger=prediction.anger,
        handoff=prediction.handoff,
        reasons=reasons,
        anger_cues=prediction.anger_cues,
    )
