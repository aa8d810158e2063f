"""The organisation tree, for admins: HQ → region → service center / partner provider, each with its users;
adding an organisation (under a chosen parent) and editing one. The services refuse a taken code, a parent
of a kind it may not sit under, and a parent inside its own branch; a refused form keeps what was typed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.accounts import directory
from aftersales.accounts import service as accounts_service
from aftersales.accounts.admin import common
from aftersales.accounts.deps import page
from aftersales.accounts.enums import OrganisationKind, Permission
from aftersales.accounts.errors import InvalidAccountInputError, OrganisationNotFoundError
from aftersales.accounts.models import Organisation
from aftersales.accounts.sessions import SignedIn
from aftersales.core.errors import DomainError
from aftersales.core.i18n import N_, Message
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.messages import domain_message
from aftersales.web.pages import form_errors, redirect
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/admin/organisations")
Admin = Annotated[SignedIn, page(Permission.USERS_MANAGE)]
FIELDS = ("code", "name", "kind", "parent", "city")
DONE = {"created": N_("组织已创建"), "saved": N_("已保存"), "unchanged": N_("没有需要保存的修改")}
# create_organisation names the taken code under "code" (the CLI prints it): show the message there.
VALUE_FIELDS = {"organisation.exists": "code"}


def _kind(value: str) -> OrganisationKind:
    try:
        return OrganisationKind(value)
    except ValueError:
        raise InvalidAccountInputError(
            N_("输入有误，请按提示修改"), code="organisation.invalid", fields={"kind": N_("请选择组织类型")}
        ) from None


def _unknown_parent(code: str) -> InvalidAccountInputError:
    problem = Message(N_("上级机构 %(code)s 不存在"), {"code": code})
    return InvalidAccountInputError(
        N_("输入有误，请按提示修改"), code="organisation.invalid", fields={"parent": problem}
    )


@router.get("")
def organisations(request: Request, session: SessionDep, signed: Admin) -> Response:
    """The whole tree, each organisation with its kind, city and number of users."""
    context = {
        "tree": directory.organisation_tree(session),
        "done": DONE.get(request.query_params.get("done", "")),
    }
    return render(request, "accounts/admin/organisations.html", context)


def _form_page(
    request: Request,
    session: Session,
    *,
    organisation: Organisation | None,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    tree = directory.organisation_tree(session)
    # An organisation cannot move under itself or its own branch: those are not offered as parents.
    excluded = directory.branch_ids(tree, organisation.id) if organisation is not None else set()
    context = {
        "organisation": organisation,
        "parents": [node for node in tree if node.organisation.id not in excluded],
        "kinds": list(OrganisationKind),
        "values": values,
        "errors": errors or {},
        "message": message,
        "done": DONE.get(request.query_params.get("done", "")),
        "members": next((node.members for node in tree if organisation and node.organisation.id == organisation.id), 0),
    }
    return render(request, "accounts/admin/organisation.html", context, status_code=status)


@router.get("/new")
def new_organisation(
    request: Request, session: SessionDep, signed: Admin, parent: Annotated[str, Query(max_length=64)] = ""
) -> Response:
    """The form for a new organisation (under ``parent`` when given)."""
    values = {"code": "", "name": "", "kind": OrganisationKind.SERVICE_CENTER.value, "parent": parent, "city": ""}
    return _form_page(request, session, organisation=None, values=values)


@router.post("/new")
async def create_organisation(request: Request, session: SessionDep, clock: ClockDep, signed: Admin) -> Response:
    """Add an organisation to the tree."""
    _ = gettext_for(request)
    values = common.form_values(await request.form(), FIELDS)

    def redraw(error: DomainError, status: int) -> Response:
        errors, message = common.form_fields(error, _, VALUE_FIELDS), domain_message(error, _)
        return _form_page(
            request, session, organisation=None, values=values, errors=errors, message=message, status=status
        )

    with form_errors(request, session, redraw):
        kind = _kind(values["kind"])
        try:
            created = accounts_service.create_organisation(
                session,
                clock=clock,
                actor=signed.actor,
                code=values["code"],
                name=values["name"].strip(),
                kind=kind,
                parent_code=values["parent"] or None,
                city=values["city"] or None,
            )
        except OrganisationNotFoundError as missing:
            raise _unknown_parent(values["parent"]) from missing
    commit(session)
    return redirect(request, f"/console/admin/organisations/{created.id}?done=created")


@router.get("/{organisation_id}")
def organisation_page(request: Request, session: SessionDep, signed: Admin, organisation_id: IdPath) -> Response:
    """One organisation's form."""
    organisation = directory.get_organisation(session, organisation_id)
    parent = directory.get_organisation(session, organisation.parent_id) if organisation.parent_id else None
    values = {
        "code": organisation.code,
        "name": organisation.name,
        "kind": OrganisationKind(organisation.kind).value,
        "parent": parent.code if parent else "",
        "city": organisation.city or "",
    }
    return _form_page(request, session, organisation=organisation, values=values)


@router.post("/{organisation_id}")
async def update_organisation(
    request: Request, session: SessionDep, clock: ClockDep, signed: Admin, organisation_id: IdPath
) -> Response:
    """Save an organisation's code, name, kind, parent and city."""
    _ = gettext_for(request)
    organisation = directory.get_organisation(session, organisation_id)
    form = await request.form()
    values = common.form_values(form, FIELDS)
    before = (organisation.code, organisation.name, organisation.kind, organisation.parent_id, organisation.city)

    def redraw(error: DomainError, status: int) -> Response:
        refused = directory.get_organisation(session, organisation_id)
        errors, message = common.form_fields(error, _, {}), domain_message(error, _)
        return _form_page(
            request, session, organisation=refused, values=values, errors=errors, message=message, status=status
        )

    with form_errors(request, session, redraw):
        saved = directory.update_organisation(
            session,
            clock=clock,
            actor=signed.actor,
            organisation_id=organisation_id,
            code=values["code"],
            name=values["name"],
            kind=_kind(values["kind"]),
            parent_code=values["parent"] or None,
            city=values["city"] or None,
            version=common.form_version(form),
        )
    commit(session)
    after = (saved.code, saved.name, saved.kind, saved.parent_id, saved.city)
    done = "saved" if after != before else "unchanged"
    return redirect(request, f"/console/admin/organisations/{organisation_id}?done={done}")
