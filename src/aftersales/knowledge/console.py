"""Customer self-service search of the 售后辞典 (no login): published customer articles only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from aftersales.knowledge import service
from aftersales.web.deps import SessionDep
from aftersales.web.templating import render

router = APIRouter(prefix="/self-service", include_in_schema=False)
PRODUCTS = ("YL-S7", "YL-F3", "YL-P1", "YL-A9", "YL-T10", "YL-W2", "YL-R5", "YL-C2")


@router.get("/help")
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
