"""Customer self-service search of the 售后辞典 (no login): published customer articles only; and the
known-issue box on a ticket's console page (staff)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from aftersales.accounts.deps import anyone, page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.knowledge import service
from aftersales.knowledge.bulletins import linking as bulletin_linking
from aftersales.tickets import service as tickets_service
from aftersales.web.deps import SessionDep
from aftersales.web.params import IdPath
from aftersales.web.templating import render

router = APIRouter(include_in_schema=False)
PRODUCTS = ("YL-S7", "YL-F3", "YL-P1", "YL-A9", "YL-T10", "YL-W2", "YL-R5", "YL-C2")


@router.get("/self-service/help", dependencies=[anyone("self_service")])
def help_search(
    request: Request,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
    product: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """Search the answers customers may read; each result links to asking for service if it did not help."""
    query = q.strip()
    product_model = product if product in PRODUCTS else None
    results = []
    if query:
        for hit in service.search(session, query=query, product_model=product_model, audience="customer", limit=5):
            results.append((hit, service.get_article(session, hit.article_id)))
    return render(
        request,
        "knowledge/help.html",
        {"q": query, "product": product_model or "", "products": PRODUCTS, "results": results},
    )


@router.get("/console/tickets/{ticket_id}/bulletins")
def ticket_bulletins(
    request: Request,
    session: SessionDep,
    signed: Annotated[SignedIn, page(Permission.KNOWLEDGE_READ)],
    ticket_id: IdPath,
) -> Response:
    """Fragment on the ticket page: the known issues the ticket is linked to, with workaround and script."""
    tickets_service.get_ticket(session, ticket_id, actor=signed.actor)
    bulletins = bulletin_linking.bulletins_for_ticket(session, ticket_id)
    return render(request, "knowledge/_ticket_bulletins.html", {"bulletins": bulletins})
