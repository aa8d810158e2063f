"""The 售后辞典 editor (/console/knowledge): find articles, write and change them (Markdown body with a
preview, the questions people ask, products, kind, readers), publish, unpublish, delete (archive, with
confirmation; restorable) and read their history. Staff who may read the knowledge base see it; editing
is for those who may manage it. A save over someone else's newer version is refused with 409: the form
comes back with what the editor typed and what the other person changed, ready to save again on purpose.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from aftersales.accounts import policy
from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission
from aftersales.accounts.sessions import SignedIn
from aftersales.core.errors import DomainError, InvalidInputError
from aftersales.core.i18n import N_
from aftersales.knowledge import forms, queries, service
from aftersales.knowledge.enums import ArticleStatus, ArticleType, Audience
from aftersales.knowledge.errors import InvalidArticleError
from aftersales.knowledge.models import Article
from aftersales.knowledge.rendering import render_markdown
from aftersales.knowledge.schemas import ArticleCreate, ArticleUpdate
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.forms import pydantic_fields
from aftersales.web.messages import domain_message, field_messages
from aftersales.web.pages import form_errors, redirect, versioned_redraw
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/knowledge", include_in_schema=False)
Reader = Annotated[SignedIn, page(Permission.KNOWLEDGE_READ)]
Editor = Annotated[SignedIn, page(Permission.KNOWLEDGE_MANAGE)]
# An article's fields as the history and the conflict notice name them.
FIELDS = {
    "title": N_("标题"),
    "body": N_("正文"),
    "questions": N_("常见问法"),
    "product_models": N_("适用产品型号"),
    "fault_types": N_("故障类型"),
    "tags": N_("标签"),
    "audience": N_("可见范围"),
    "status": N_("状态"),
    "type": N_("类别"),
}
LIMITS = {"questions": 50, "product_models": 50, "fault_types": 20, "tags": 30}
# The status buttons: action → (the statuses it applies to, the status it sets, what the page then says).
ACTIONS: dict[str, tuple[frozenset[ArticleStatus], ArticleStatus, str]] = {
    "publish": (frozenset({ArticleStatus.DRAFT}), ArticleStatus.PUBLISHED, N_("文章已发布")),
    "unpublish": (frozenset({ArticleStatus.PUBLISHED}), ArticleStatus.DRAFT, N_("文章已撤下，改为草稿")),
    "archive": (
        frozenset({ArticleStatus.DRAFT, ArticleStatus.PUBLISHED}),
        ArticleStatus.ARCHIVED,
        N_("文章已删除（归档）"),
    ),
    "restore": (frozenset({ArticleStatus.ARCHIVED}), ArticleStatus.DRAFT, N_("文章已恢复为草稿")),
}
DONE = {"created": N_("文章已创建"), "saved": N_("修改已保存"), "unchanged": N_("没有修改")} | {
    action: done for action, (_, _, done) in ACTIONS.items()
}


def _choices() -> dict[str, Any]:
    return {"types": list(ArticleType), "audiences": list(Audience), "statuses": list(ArticleStatus)}


def _values_of(article: Article) -> dict[str, str]:
    return {
        "title": article.title,
        "body": article.body,
        "questions": "\n".join(question.text for question in article.questions),
        "product_models": ", ".join(article.product_models),
        "fault_types": ", ".join(article.fault_types),
        "tags": ", ".join(article.tags),
        "audience": str(article.audience),
        "type": str(article.type),
        "version": str(article.version),
    }


def _typed(form: Any) -> dict[str, str]:
    values = {name: forms.text(form, name, longest=2000) for name in ("product_models", "fault_types", "tags")}
    values |= {name: forms.text(form, name, longest=32) for name in ("audience", "type", "version", "status")}
    values["title"] = forms.text(form, "title", longest=400)
    values["body"] = forms.text(form, "body", longest=40_000)
    values["questions"] = forms.text(form, "questions", longest=40_000)
    return values


def _content(values: dict[str, str], _: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The article's fields as the schemas take them, and the problems found before they are asked."""
    content: dict[str, Any] = {
        "title": values["title"],
        "body": values["body"],
        "questions": forms.lines(values["questions"]),
        "product_models": forms.items(values["product_models"]),
        "fault_types": forms.items(values["fault_types"]),
        "tags": forms.items(values["tags"]),
        "audience": values["audience"],
        "type": values["type"],
    }
    over = forms.too_many({name: (len(content[name]), limit) for name, limit in LIMITS.items()})
    return content, {name: _("最多 %(n)s 项") % {"n": limit} for name, limit in over.items()}


def _form(
    request: Request,
    *,
    article: Article | None,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    message: str | None = None,
    conflict: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    context = _choices() | {
        "article": article,
        "values": values,
        "errors": errors or {},
        "message": message,
        "conflict": conflict,
        "fields": FIELDS,
        "shown": forms.shown,
    }
    return render(request, "knowledge/article_form.html", context, status_code=status)


def _conflict(session: Session, article_id: int, base: int | None) -> dict[str, Any]:
    """What changed since version ``base``: the fields, their values now, and who saved them when."""
    history = service.versions_of(session, article_id)
    latest = history[-1]
    before = next((v.snapshot for v in history if v.version == base), {})
    changed = queries.changed_fields(before, latest.snapshot)
    return {
        "version": latest.version,
        "by": latest.changed_by,
        "at": latest.changed_at,
        "changed": changed,
        "now": latest.snapshot,
    }


# --- Finding articles -------------------------------------------------------------------------------------


@router.get("")
def articles(
    request: Request,
    session: SessionDep,
    signed: Reader,
    q: Annotated[str, Query(max_length=100)] = "",
    status: Annotated[str, Query(max_length=16)] = "",
    type: Annotated[str, Query(max_length=16)] = "",
    product: Annotated[str, Query(max_length=64)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Articles by text, state, kind and product, newest change first."""
    chosen_status = forms.choice(ArticleStatus, status)
    chosen_type = forms.choice(ArticleType, type)
    found = queries.find_articles(
        session,
        text=q,
        status=chosen_status,
        article_type=chosen_type,
        product_model=product,
        limit=forms.PAGE_SIZE,
        offset=(page - 1) * forms.PAGE_SIZE,
    )
    context = _choices() | {
        "articles": found.items,
        "total": found.total,
        "page": page,
        "pages": max(1, -(-found.total // forms.PAGE_SIZE)),
        "filters": {
            "q": q.strip(),
            "status": status if chosen_status else "",
            "type": type if chosen_type else "",
            "product": product.strip(),
        },
        "may_edit": policy.allows(signed.actor.role, Permission.KNOWLEDGE_MANAGE),
    }
    return render(request, "knowledge/articles.html", context)


# --- Writing one ------------------------------------------------------------------------------------------


@router.get("/new")
def new_article(request: Request, signed: Editor) -> Response:
    """An empty article form (saved as a draft unless published at once)."""
    return _form(request, article=None, values={"audience": "both", "type": "faq"})


@router.post("/new")
async def create_article(request: Request, session: SessionDep, clock: ClockDep, signed: Editor) -> Response:
    """Create the article; bad input comes back by field and saves nothing."""
    _ = gettext_for(request)
    values = _typed(await request.form())
    content, errors = _content(values, _)
    wanted = ArticleStatus.PUBLISHED if values["status"] == "published" else ArticleStatus.DRAFT
    data = None
    try:
        data = ArticleCreate.model_validate(content | {"status": wanted})
    except ValidationError as error:
        errors = pydantic_fields(error, _) | errors
    if data is None or errors:
        return _form(request, article=None, values=values, errors=errors, status=422)

    def redraw(error: DomainError, status: int) -> Response:
        fields = field_messages(error, _) if isinstance(error, InvalidInputError) else {}
        message = domain_message(error, _)
        return _form(request, article=None, values=values, errors=fields, message=message, status=status)

    with form_errors(request, session, redraw):
        article = service.create_article(session, clock=clock, actor=signed.actor, data=data)
    commit(session)
    return redirect(request, f"/console/knowledge/{article.id}?done=created")


@router.post("/preview")
async def preview(request: Request, signed: Editor) -> Response:
    """The body as it will be shown (Markdown, sanitised); changes nothing."""
    form = await request.form()
    return render(
        request, "knowledge/_preview.html", {"html": render_markdown(forms.text(form, "body", longest=40_000))}
    )


@router.get("/{article_id}")
def article_page(request: Request, session: SessionDep, signed: Reader, article_id: IdPath) -> Response:
    """One article as readers see it, with its questions, facts and (for editors) the actions."""
    return _article_page(request, signed, service.get_article(session, article_id))


def _article_page(
    request: Request, signed: SignedIn, article: Article, *, message: str | None = None, status: int = 200
) -> Response:
    done = DONE.get(request.query_params.get("done") or "")
    context = {
        "article": article,
        "done": done,
        "message": message,
        "actions": [name for name, (sources, _, _) in ACTIONS.items() if article.status in sources],
        "may_edit": policy.allows(signed.actor.role, Permission.KNOWLEDGE_MANAGE),
    }
    return render(request, "knowledge/article.html", context, status_code=status)


@router.get("/{article_id}/edit")
def edit_article(request: Request, session: SessionDep, signed: Editor, article_id: IdPath) -> Response:
    """The article's form, filled with what is stored (and the version it shows)."""
    article = service.get_article(session, article_id)
    return _form(request, article=article, values=_values_of(article))


@router.post("/{article_id}/edit")
async def save_article(
    request: Request, session: SessionDep, clock: ClockDep, signed: Editor, article_id: IdPath
) -> Response:
    """Save the changes over the version the form was opened at; someone else's newer save is not
    overwritten silently (409 with both)."""
    _ = gettext_for(request)
    article = service.get_article(session, article_id)
    values = _typed(await request.form())
    content, errors = _content(values, _)
    base = forms.version(values["version"])
    data = None
    try:
        data = ArticleUpdate.model_validate(content | {"version": base})
    except ValidationError as error:
        errors = pydantic_fields(error, _) | errors
    if data is None or errors:
        return _form(request, article=article, values=values, errors=errors, status=422)

    redraw = versioned_redraw(
        lambda **shown: _form(request, article=service.get_article(session, article_id), **shown),
        values=values,
        conflict_code="knowledge.version_conflict",
        newer=lambda: _conflict(session, article_id, base),
        _=_,
    )
    with form_errors(request, session, redraw):
        saved = service.update_article(session, clock=clock, actor=signed.actor, article_id=article_id, data=data)
    changed = saved.version != base
    commit(session)
    return redirect(request, f"/console/knowledge/{article_id}?done={'saved' if changed else 'unchanged'}")


@router.post("/{article_id}/status")
async def change_status(
    request: Request, session: SessionDep, clock: ClockDep, signed: Editor, article_id: IdPath
) -> Response:
    """Publish, unpublish, delete (archive: confirmed, kept with its history) or restore an article."""
    _ = gettext_for(request)
    form = await request.form()
    action = forms.text(form, "action", longest=16)
    base = forms.version(forms.text(form, "version", longest=16))

    def redraw(error: DomainError, status: int) -> Response:
        article = service.get_article(session, article_id)
        return _article_page(request, signed, article, message=domain_message(error, _), status=status)

    with form_errors(request, session, redraw):
        article = service.get_article(session, article_id)
        if base is None:
            raise InvalidArticleError(N_("页面已过期，请刷新后重试"))
        # A stale version goes on to the service, which refuses it as a conflict (someone acted first).
        if action not in ACTIONS or (base == article.version and article.status not in ACTIONS[action][0]):
            raise InvalidArticleError(N_("文章当前状态不能执行该操作"), fields={"action": action})
        if action == "archive" and form.get("confirm") != "yes":
            raise InvalidArticleError(N_("删除前请确认"), fields={"confirm": N_("删除前请确认")})
        data = ArticleUpdate(version=base, status=ACTIONS[action][1])
        service.update_article(session, clock=clock, actor=signed.actor, article_id=article_id, data=data)
    commit(session)
    return redirect(request, f"/console/knowledge/{article_id}?done={action}")


@router.get("/{article_id}/versions")
def article_versions(request: Request, session: SessionDep, signed: Reader, article_id: IdPath) -> Response:
    """The article's history, newest first: who changed what, when, and each version's content."""
    article = service.get_article(session, article_id)
    history = service.versions_of(session, article_id)
    rows = []
    previous: dict[str, Any] = {}
    for row in history:
        rows.append((row, queries.changed_fields(previous, row.snapshot)))
        previous = row.snapshot
    context = {"article": article, "versions": list(reversed(rows)), "fields": FIELDS, "shown": forms.shown}
    return render(request, "knowledge/article_versions.html", context)
