"""``aftersales users|tokens|orgs`` commands."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from aftersales.accounts import service as accounts_service
from aftersales.accounts import tokens
from aftersales.accounts.enums import OrganisationKind, Role
from aftersales.accounts.schemas import SYSTEM_ACTOR
from aftersales.core.clock import SystemClock
from aftersales.core.commandline import domain_errors
from aftersales.core.db import unit_of_work
from aftersales.core.runtime import session_factory

users_app = typer.Typer(help="Users (用户).", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens (访问令牌).", no_args_is_help=True)
orgs_app = typer.Typer(help="Organisations (机构).", no_args_is_help=True)


@users_app.command("create")
@domain_errors
def create_user(
    username: Annotated[str, typer.Option(help="login name")],
    role: Annotated[Role, typer.Option(help="role")],
    password: Annotated[str | None, typer.Option(help="password (prompted when omitted)")] = None,
    display_name: Annotated[str | None, typer.Option(help="name shown to others")] = None,
    org: Annotated[str | None, typer.Option(help="organisation code")] = None,
    supervisor: Annotated[str | None, typer.Option(help="supervisor's username")] = None,
    phone: Annotated[str | None, typer.Option(help="mobile or landline (a customer's tickets are under it)")] = None,
    email: Annotated[str | None, typer.Option(help="e-mail address")] = None,
) -> None:
    """Create a user (a customer account with the phone it may report under: --role customer --phone …)."""
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with unit_of_work(session_factory()) as session:
        user = accounts_service.create_user(
            session,
            clock=SystemClock(),
            actor=SYSTEM_ACTOR,
            username=username,
            role=role,
            password=password,
            display_name=display_name,
            organisation_code=org,
            supervisor_username=supervisor,
            phone=phone,
            email=email,
        )
        typer.echo(f"created user {user.username} ({user.role})")


@users_app.command("disable")
@domain_errors
def disable_user(username: Annotated[str, typer.Option()]) -> None:
    """Disable an account: it can no longer sign in, and its sessions and API tokens end now."""
    with unit_of_work(session_factory()) as session:
        accounts_service.set_active(session, clock=SystemClock(), actor=SYSTEM_ACTOR, username=username, active=False)
    typer.echo(f"disabled {username}")


@users_app.command("enable")
@domain_errors
def enable_user(username: Annotated[str, typer.Option()]) -> None:
    """Enable a disabled account again (it signs in afresh; old sessions and tokens stay ended)."""
    with unit_of_work(session_factory()) as session:
        accounts_service.set_active(session, clock=SystemClock(), actor=SYSTEM_ACTOR, username=username, active=True)
    typer.echo(f"enabled {username}")


@users_app.command("set-password")
@domain_errors
def set_password(
    username: Annotated[str, typer.Option()],
    password: Annotated[str | None, typer.Option(help="prompted when omitted")] = None,
) -> None:
    """Replace a user's password."""
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with unit_of_work(session_factory()) as session:
        accounts_service.set_password(
            session, clock=SystemClock(), actor=SYSTEM_ACTOR, username=username, password=password
        )
    typer.echo("password updated")


@tokens_app.command("create")
@domain_errors
def create_token(
    username: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option(help="what the token is for")] = "cli",
    expires_in_days: Annotated[int | None, typer.Option(min=1, help="the token ends after this many days")] = None,
    scope: Annotated[
        str, typer.Option(help="full (the user's rights), read (GET only), intake (open and read tickets)")
    ] = "full",
) -> None:
    """Issue an API token and print only the token (shown once, stored hashed)."""
    clock = SystemClock()
    expires_at = clock.now() + timedelta(days=expires_in_days) if expires_in_days else None
    with unit_of_work(session_factory()) as session:
        _, plain = tokens.create_token(
            session, clock=clock, actor=SYSTEM_ACTOR, username=username, name=name, expires_at=expires_at, scope=scope
        )
    typer.echo(plain)


@tokens_app.command("revoke")
@domain_errors
def revoke_token(prefix: Annotated[str, typer.Option(help="the token or its first 10 characters")]) -> None:
    """Revoke tokens by prefix."""
    with unit_of_work(session_factory()) as session:
        count = tokens.revoke_token(session, clock=SystemClock(), actor=SYSTEM_ACTOR, prefix=prefix)
    typer.echo(f"revoked {count}")


@orgs_app.command("create")
@domain_errors
def create_org(
    code: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()],
    kind: Annotated[OrganisationKind, typer.Option()],
    parent: Annotated[str | None, typer.Option(help="parent organisation code")] = None,
    city: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create an organisation."""
    with unit_of_work(session_factory()) as session:
        accounts_service.create_organisation(
            session,
            clock=SystemClock(),
            actor=SYSTEM_ACTOR,
            code=code,
            name=name,
            kind=kind,
            parent_code=parent,
            city=city,
        )
    typer.echo(f"created organisation {code}")
