"""Users, for admins: the list (search, role, organisation branch, state, paging), creating a user with the
CLI's rules, editing name, role and organisation, resetting a password, and disabling (after a confirmation
page; never oneself) or enabling an account. A refused form is drawn again with each field's problem and
what was typed (passwords excepted), and nothing is changed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.accounts import directory, rules
from aftersales.accounts import service as accounts_service
from aftersales.accounts.admin import common
from aftersales.accounts.deps import page
from aftersales.accounts.enums import Permission, Role
from aftersales.accounts.errors import InvalidAccountInputError, OrganisationNotFoundError
from aftersales.accounts.models import User
from aftersales.accounts.sessions import SignedIn
from aftersales.core.errors import DomainError
from aftersales.core.i18n import N_, Message
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.messages import domain_message
from aftersales.web.pages import form_errors, redirect
from aftersales.web.params import IdPath
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/admin/users")
Admin = Annotated[SignedIn, page(Permission.USERS_MANAGE)]
# Customer accounts belong to a verified phone (``aftersales users create --role customer --phone``).
STAFF_ROLES = tuple(role for role in Role if role is not Role.CUSTOMER)
STATES = {"active": N_("启用"), "disabled": N_("已停用")}
DONE = {
    "created": N_("用户已创建"),
    "saved": N_("已保存"),
    "unchanged": N_("没有需要保存的修改"),
    "password": N_("密码已重设，该用户的会话和访问令牌已结束，需用新密码登录"),
    "disabled": N_("账户已停用，其会话和访问令牌已结束"),
    "enabled": N_("账户已启用"),
}
# Services that name the offending value under a field (the CLI prints it): show their message there.
VALUE_FIELDS = {"user.exists": "username"}
PROFILE_FIELDS = ("display_name", "role", "organisation")


def _role(value: str) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        return None


def _problems(problems: dict[str, str | None]) -> None:
    fields = {name: problem for name, problem in problems.items() if problem}
    if fields:
        raise InvalidAccountInputError(N_("输入有误，请按提示修改"), fields=fields)


def _unknown_organisation(code: str) -> InvalidAccountInputError:
    """A chosen organisation that is gone (or a tampered form) is the field's problem, not a missing page."""
    problem = Message(N_("机构 %(code)s 不存在"), {"code": code})
    return InvalidAccountInputError(N_("输入有误，请按提示修改"), fields={"organisation": problem})


def _choices(session: Session) -> dict[str, Any]:
    return {"roles": STAFF_ROLES, "tree": directory.organisation_tree(session)}


@router.get("")
def users(
    request: Request,
    session: SessionDep,
    signed: Admin,
    q: Annotated[str, Query(max_length=64)] = "",
    role: Annotated[str, Query(max_length=16)] = "",
    organisation: Annotated[str, Query(max_length=64)] = "",
    state: Annotated[str, Query(max_length=16)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Every user, by username: search by username or name, filter by role, organisation (with its branch)
    and state."""
    tree = directory.organisation_tree(session)
    chosen_org = next((node.organisation for node in tree if node.organisation.code == organisation), None)
    text = q.strip()
    found = directory.list_users(
        session,
        text=text or None,
        role=_role(role),
        organisation_ids=directory.branch_ids(tree, chosen_org.id) if chosen_org else None,
        is_active={"active": True, "disabled": False}.get(state),
        limit=common.PAGE_SIZE,
        offset=(page - 1) * common.PAGE_SIZE,
    )
    filters = {
        "q": text,
        "role": role if _role(role) else "",
        "organisation": chosen_org.code if chosen_org else "",
        "state": state if state in STATES else "",
    }
    context = {
        "found": found,
        "page": page,
        "pages": max(1, -(-found.total // common.PAGE_SIZE)),
        "filters": filters,
        "roles": list(Role),
        "tree": tree,
        "states": STATES,
        "done": DONE.get(request.query_params.get("done", "")),
    }
    return render(request, "accounts/admin/users.html", context)


def _new_page(
    request: Request,
    session: Session,
    *,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    context = _choices(session) | {"values": values, "errors": errors or {}, "message": message}
    return render(request, "accounts/admin/user_new.html", context, status_code=status)


@router.get("/new")
def new_user(request: Request, session: SessionDep, signed: Admin) -> Response:
    """The form for a new user."""
    return _new_page(request, session, values={"role": Role.AGENT.value})


@router.post("/new")
async def create_user(request: Request, session: SessionDep, clock: ClockDep, signed: Admin) -> Response:
    """Create a user with an initial password (the CLI's rules: username, password length, no duplicate)."""
    _ = gettext_for(request)
    form = await request.form()
    values = common.form_values(form, ("username", *PROFILE_FIELDS), 100)
    password, confirmation = str(form.get("password") or "")[:256], str(form.get("password_confirm") or "")[:256]

    def redraw(error: DomainError, status: int) -> Response:
        errors = common.form_fields(error, _, VALUE_FIELDS)
        message = domain_message(error, _)
        return _new_page(request, session, values=values, errors=errors, message=message, status=status)

    role = _role(values["role"])
    with form_errors(request, session, redraw):
        _problems(
            {
                "username": rules.username_problem(values["username"]),
                "display_name": rules.display_name_problem(values["display_name"]),
                "role": None if role else N_("请选择角色"),
                "password": rules.password_problem(password),
                "password_confirm": None if password == confirmation else N_("两次输入的密码不一致"),
            }
        )
        assert role is not None
        try:
            user = accounts_service.create_user(
                session,
                clock=clock,
                actor=signed.actor,
                username=values["username"],
                role=role,
                password=password,
                display_name=values["display_name"].strip(),
                organisation_code=values["organisation"] or None,
            )
        except OrganisationNotFoundError as missing:
            raise _unknown_organisation(values["organisation"]) from missing
    commit(session)
    return redirect(request, f"/console/admin/users/{user.id}?done=created")


def _user_page(
    request: Request,
    session: Session,
    signed: SignedIn,
    user: User,
    *,
    form: str | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    organisation = directory.get_organisation(session, user.organisation_id) if user.organisation_id else None
    current = {
        "display_name": user.display_name,
        "role": Role(user.role).value,
        "organisation": organisation.code if organisation else "",
    }
    context = _choices(session) | {
        "user": user,
        "organisation": organisation,
        "last_login": directory.last_sign_in(session, user.id),
        "is_self": user.id == signed.actor.user_id,
        "form": form,
        "values": values if form == "profile" and values is not None else current,
        "errors": errors or {},
        "message": message,
        "done": DONE.get(request.query_params.get("done", "")),
    }
    return render(request, "accounts/admin/user.html", context, status_code=status)


@router.get("/{user_id}")
def user_page(request: Request, session: SessionDep, signed: Admin, user_id: IdPath) -> Response:
    """One user: the profile form, a password reset, and the account's state."""
    return _user_page(request, session, signed, directory.get_user_by_id(session, user_id))


@router.post("/{user_id}")
async def update_user(
    request: Request, session: SessionDep, clock: ClockDep, signed: Admin, user_id: IdPath
) -> Response:
    """Save the name, role and organisation (an admin's own role stays)."""
    _ = gettext_for(request)
    user = directory.get_user_by_id(session, user_id)
    form = await request.form()
    values = common.form_values(form, PROFILE_FIELDS, 100)
    before = (user.display_name, user.role, user.organisation_id)

    def redraw(error: DomainError, status: int) -> Response:
        refused = directory.get_user_by_id(session, user_id)
        errors, message = common.form_fields(error, _, {}), domain_message(error, _)
        return _user_page(
            request,
            session,
            signed,
            refused,
            form="profile",
            values=values,
            errors=errors,
            message=message,
            status=status,
        )

    role = _role(values["role"])
    with form_errors(request, session, redraw):
        _problems({"role": None if role else N_("请选择角色")})
        assert role is not None
        saved = directory.update_user(
            session,
            clock=clock,
            actor=signed.actor,
            user_id=user_id,
            display_name=values["display_name"],
            role=role,
            organisation_code=values["organisation"] or None,
            version=common.form_version(form),
        )
    commit(session)
    done = "saved" if (saved.display_name, saved.role, saved.organisation_id) != before else "unchanged"
    return redirect(request, f"/console/admin/users/{user_id}?done={done}")


@router.post("/{user_id}/password")
async def reset_password(
    request: Request, session: SessionDep, clock: ClockDep, signed: Admin, user_id: IdPath
) -> Response:
    """Set a new password; the user's sessions and API tokens end (they sign in with the new one)."""
    _ = gettext_for(request)
    user = directory.get_user_by_id(session, user_id)
    form = await request.form()
    password, confirmation = str(form.get("password") or "")[:256], str(form.get("password_confirm") or "")[:256]

    def redraw(error: DomainError, status: int) -> Response:
        refused = directory.get_user_by_id(session, user_id)
        errors, message = common.form_fields(error, _, {}), domain_message(error, _)
        return _user_page(
            request, session, signed, refused, form="password", errors=errors, message=message, status=status
        )

    with form_errors(request, session, redraw):
        _problems(
            {
                "password": rules.password_problem(password),
                "password_confirm": None if password == confirmation else N_("两次输入的密码不一致"),
            }
        )
        accounts_service.set_password(
            session, clock=clock, actor=signed.actor, username=user.username, password=password
        )
    commit(session)
    if user.id == signed.actor.user_id:
        return redirect(request, "/console/login")  # their own session has just ended too
    return redirect(request, f"/console/admin/users/{user_id}?done=password")


def _confirm_page(
    request: Request, signed: SignedIn, user: User, *, message: str | None = None, status: int = 200
) -> Response:
    context = {"user": user, "is_self": user.id == signed.actor.user_id, "message": message}
    return render(request, "accounts/admin/user_disable.html", context, status_code=status)


@router.get("/{user_id}/disable")
def confirm_disable(request: Request, session: SessionDep, signed: Admin, user_id: IdPath) -> Response:
    """Ask before disabling: what it does, and a button to go ahead."""
    user = directory.get_user_by_id(session, user_id)
    if not user.is_active:
        return redirect(request, f"/console/admin/users/{user_id}")
    return _confirm_page(request, signed, user)


@router.post("/{user_id}/disable")
async def disable(request: Request, session: SessionDep, clock: ClockDep, signed: Admin, user_id: IdPath) -> Response:
    """Disable the account: it can no longer sign in; its sessions and API tokens end now."""
    _ = gettext_for(request)
    user = directory.get_user_by_id(session, user_id)

    def redraw(error: DomainError, status: int) -> Response:
        refused = directory.get_user_by_id(session, user_id)
        return _confirm_page(request, signed, refused, message=domain_message(error, _), status=status)

    with form_errors(request, session, redraw):
        accounts_service.set_active(session, clock=clock, actor=signed.actor, username=user.username, active=False)
    commit(session)
    return redirect(request, f"/console/admin/users/{user_id}?done=disabled")


@router.post("/{user_id}/enable")
async def enable(request: Request, session: SessionDep, clock: ClockDep, signed: Admin, user_id: IdPath) -> Response:
    """Enable a disabled account (it signs in afresh; ended sessions and tokens stay ended)."""
    user = directory.get_user_by_id(session, user_id)
    accounts_service.set_active(session, clock=clock, actor=signed.actor, username=user.username, active=True)
    commit(session)
    return redirect(request, f"/console/admin/users/{user_id}?done=enabled")
