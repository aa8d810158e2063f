"""JSON API for the 售后辞典 (/api/v1/knowledge), article suggestions on a ticket, and known-issue
bulletins (/api/v1/bulletins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from aftersales.accounts.deps import allowed
from aftersales.accounts.enums import Permission, Role
from aftersales.accounts.schemas import Actor
from aftersales.knowledge import service
from aftersales.knowledge.bulletins import linking as bulletin_linking
from aftersales.knowledge.bulletins import service as bulletins_service
from aftersales.knowledge.bulletins.schemas import (
    BulletinAction,
    BulletinCreate,
    BulletinDetail,
    BulletinFix,
    BulletinRead,
    BulletinUpdate,
    LinkRead,
)
from aftersales.knowledge.enums import ArticleStatus, Audience, BulletinStatus
from aftersales.knowledge.models import Article, Bulletin
from aftersales.knowledge.schemas import (
    ArticleCreate,
    ArticleRead,
    ArticleUpdate,
    SearchHit,
    SearchRequest,
    SolutionCreate,
    SolutionRead,
    SynonymWrite,
    VersionRead,
)
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.params import IdPath, Offset

router = APIRouter(prefix="/api/v1", tags=["knowledge"])


def _read(article: Article) -> ArticleRead:
    return ArticleRead.model_validate(
        {
            **{name: getattr(article, name) for name in ArticleRead.model_fields if name != "questions"},
            "questions": [question.text for question in article.questions],
        }
    )


@router.post("/knowledge/articles", response_model=ArticleRead, status_code=201)
def create_article(
    body: ArticleCreate,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.KNOWLEDGE_MANAGE)],
) -> ArticleRead:
    """Create an article with its question phrasings (draft unless ``status`` says published)."""
    article = service.create_article(session, clock=clock, actor=actor, data=body)
    commit(session)
    return _read(article)


@router.get("/knowledge/articles", response_model=list[ArticleRead])
def list_articles(
    session: SessionDep,
    actor: Annotated[Actor, allowed(Permission.KNOWLEDGE_READ)],
    status: ArticleStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> list[ArticleRead]:
    """Articles, newest change first (staff only)."""
    return [_read(article) for article in service.list_articles(session, status=status, limit=limit, offset=offset)]


@router.get("/knowledge/articles/{article_id}", response_model=ArticleRead)
def get_article(
    article_id: IdPath, session: SessionDep, actor: Annotated[Actor, allowed(Permission.KNOWLEDGE_READ)]
) -> ArticleRead:
    """One article."""
    return _read(service.get_article(session, article_id))


@router.patch("/knowledge/articles/{article_id}", response_model=ArticleRead)
def update_article(
    article_id: IdPath,
    body: ArticleUpdate,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.KNOWLEDGE_MANAGE)],
) -> ArticleRead:
    """Change an article (optimistic locking by ``version``; history kept)."""
    article = service.update_article(session, clock=clock, actor=actor, article_id=article_id, data=body)
    commit(session)
    return _read(article)


@router.delete("/knowledge/articles/{article_id}", status_code=204)
def archive_article(
    article_id: IdPath,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.KNOWLEDGE_MANAGE)],
) -> Response:
    """Archive (never delete) an article."""
    service.archive_article(session, clock=clock, actor=actor, article_id=article_id)
    commit(session)
    return Response(status_code=204)


@router.get("/knowledge/articles/{article_id}/versions", response_model=list[VersionRead])
def article_versions(
    article_id: IdPath, session: SessionDep, actor: Annotated[Actor, allowed(Permission.KNOWLEDGE_READ)]
) -> list[VersionRead]:
    """The article's history."""
    return [
        VersionRead(
            version=v.version, changed_by=v.changed_by, changed_at=v.changed_at.isoformat(), snapshot=v.snapshot
        )
        for v in service.versions_of(session, article_id)
    ]


@router.post("/knowledge/search", response_model=list[SearchHit])
def search(
    body: SearchRequest, session: SessionDep, actor: Annotated[Actor, allowed(Permission.KNOWLEDGE_SEARCH)]
) -> list[SearchHit]:
    """Published articles for a question; customers only ever see customer articles."""
    audience = Audience.CUSTOMER if actor.role == Role.CUSTOMER else body.audience
    hits = service.search(
        session,
        query=body.query,
        product_model=body.product_model,
        audience=audience.value if audience else None,
        limit=body.limit,
    )
    return [
        SearchHit(article_id=h.article_id, title=h.title, score=h.score, matched_question=h.matched_question)
        for h in hits
    ]


@router.put("/knowledge/synonyms", status_code=204)
def put_synonyms(
    body: SynonymWrite,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.KNOWLEDGE_MANAGE)],
) -> Response:
    """Create or replace a synonym entry used to expand queries."""
    service.set_synonyms(session, clock=clock, term=body.term, synonyms=body.synonyms, actor=actor)
    commit(session)
    return Response(status_code=204)


@router.get("/tickets/{ticket_id}/suggestions", response_model=list[SearchHit])
def ticket_suggestions(
    ticket_id: IdPath, session: SessionDep, actor: Annotated[Actor, allowed(Permission.KNOWLEDGE_READ)]
) -> list[SearchHit]:
    """Top articles for the ticket's text."""
    hits = service.suggestions_for_ticket(session, actor=actor, ticket_id=ticket_id)
    return [
        SearchHit(article_id=h.article_id, title=h.title, score=h.score, matched_question=h.matched_question)
        for h in hits
    ]


@router.post("/tickets/{ticket_id}/solutions", response_model=SolutionRead, status_code=201)
def record_solution(
    ticket_id: IdPath,
    body: SolutionCreate,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.TICKET_UPDATE)],
) -> SolutionRead:
    """Record that an article solved the ticket (idempotent)."""
    solution = service.record_solution(
        session, clock=clock, actor=actor, ticket_id=ticket_id, article_id=body.article_id
    )
    commit(session)
    return SolutionRead(
        ticket_id=solution.ticket_id, article_id=solution.article_id, first_contact=solution.first_contact
    )


# --- known-issue bulletins ----------------------------------------------------------------------------


def _bulletin(session: Session, bulletin: Bulletin) -> BulletinDetail:
    read = BulletinRead.model_validate(bulletin)
    return BulletinDetail(**read.model_dump(), ticket_ids=bulletin_linking.ticket_ids_of(session, bulletin.id))


@router.post("/bulletins", response_model=BulletinDetail, status_code=201)
def create_bulletin(
    body: BulletinCreate,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.KNOWLEDGE_MANAGE)],
) -> BulletinDetail:
    """Create a known-issue bulletin (draft unless ``status`` is published; publishing tells its departments)."""
    bulletin = bulletins_service.create_bulletin(session, clock=clock, actor=actor, data=body)
    commit(session)
    return _bulletin(session, bulletin)


@router.get("/bulletins", response_model=list[BulletinRead])
def list_bulletins(
    session: SessionDep,
    actor: Annotated[Actor, allowed(Permission.KNOWLEDGE_READ)],
    status: BulletinStatus | None = None,
    product_model: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> list[BulletinRead]:
    """Bulletins, newest change first (staff only)."""
    found = bulletins_service.list_bulletins(
        session, status=status, product_model=product_model, limit=limit, offset=offset
    )
    return [BulletinRead.model_validate(bulletin) for bulletin in found]


@router.get("/bulletins/{bulletin_id}", response_model=BulletinDetail)
def get_bulletin(
    bulletin_id: IdPath, session: SessionDep, actor: Annotated[Actor, allowed(Permission.KNOWLEDGE_READ)]
) -> BulletinDetail:
    """One bulletin with the ids of its linked tickets."""
    return _bulletin(session, bulletins_service.get_bulletin(session, bulletin_id))


@router.patch("/bulletins/{bulletin_id}", response_model=BulletinDetail)
def update_bulletin(
    bulletin_id: IdPath,
    body: BulletinUpdate,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.KNOWLEDGE_MANAGE)],
) -> BulletinDetail:
    """Change a bulletin (``version`` must match: 409 otherwise); a published one is re-announced."""
    bulletin = bulletins_service.update_bulletin(session, clock=clock, actor=actor, bulletin_id=bulletin_id, data=body)
    commit(session)
    return _bulletin(session, bulletin)


@router.post("/bulletins/{bulletin_id}/publish", response_model=BulletinDetail)
def publish_bulletin(
    bulletin_id: IdPath,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.KNOWLEDGE_MANAGE)],
    body: BulletinAction | None = None,
) -> BulletinDetail:
    """Draft → published: new tickets are matched from now on."""
    bulletin = bulletins_service.publish_bulletin(
        session, clock=clock, actor=actor, bulletin_id=bulletin_id, version=body.version if body else None
    )
    commit(session)
    return _bulletin(session, bulletin)


@router.post("/bulletins/{bulletin_id}/fix", response_model=BulletinDetail)
def fix_bulletin(
    bulletin_id: IdPath,
    body: BulletinFix,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.KNOWLEDGE_MANAGE)],
) -> BulletinDetail:
    """Published → fixed: the customers of linked open or recent tickets get one SMS each."""
    bulletin = bulletins_service.fix_bulletin(
        session, clock=clock, actor=actor, bulletin_id=bulletin_id, note=body.note, version=body.version
    )
    commit(session)
    return _bulletin(session, bulletin)


@router.post("/bulletins/{bulletin_id}/withdraw", response_model=BulletinDetail)
def withdraw_bulletin(
    bulletin_id: IdPath,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.KNOWLEDGE_MANAGE)],
    body: BulletinAction | None = None,
) -> BulletinDetail:
    """Withdraw a mistaken bulletin (links and history stay)."""
    bulletin = bulletins_service.withdraw_bulletin(
        session, clock=clock, actor=actor, bulletin_id=bulletin_id, version=body.version if body else None
    )
    commit(session)
    return _bulletin(session, bulletin)


@router.get("/bulletins/{bulletin_id}/versions", response_model=list[VersionRead])
def bulletin_versions(
    bulletin_id: IdPath, session: SessionDep, actor: Annotated[Actor, allowed(Permission.KNOWLEDGE_READ)]
) -> list[VersionRead]:
    """The bulletin's history."""
    return [
        VersionRead(
            version=v.version, changed_by=v.changed_by, changed_at=v.changed_at.isoformat(), snapshot=v.snapshot
        )
        for v in bulletins_service.versions_of(session, bulletin_id)
    ]


@router.post("/bulletins/{bulletin_id}/tickets/{ticket_id}", response_model=LinkRead, status_code=201)
def link_ticket(
    bulletin_id: IdPath,
    ticket_id: IdPath,
    session: SessionDep,
    clock: ClockDep,
    actor: Annotated[Actor, allowed(Permission.KNOWLEDGE_MANAGE)],
) -> JSONResponse:
    """Link a ticket to a published bulletin by hand (201; 200 when it already was)."""
    link, created = bulletin_linking.link_ticket(
        session, clock=clock, actor=actor, bulletin_id=bulletin_id, ticket_id=ticket_id
    )
    commit(session)
    read = LinkRead(bulletin_id=link.bulletin_id, ticket_id=link.ticket_id, how=link.how, score=link.score)
    return JSONResponse(read.model_dump(mode="json"), status_code=201 if created else 200)
