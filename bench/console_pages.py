"""Server time of every console page on the full demo data set (target: ≤ 200 ms each).

Builds a SQLite database with ``aftersales demo`` (2,000 tickets over 90 days, the same as ``make run``),
starts ``aftersales serve``, signs in as each demo role and requests every page ``--repeat`` times, one
request at a time. The server time is the ``Server-Timing: app;dur=…`` header that the app adds to
console and self-service responses (request in → response headers out, inside the server process);
the client-side round trip is recorded too.

    .venv/bin/python bench/console_pages.py                 # builds the demo DB (~1 min), then measures
    .venv/bin/python bench/console_pages.py --db PATH       # reuse a demo database built before
    .venv/bin/python bench/console_pages.py --commit REV    # measure src/ as committed at REV
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import VENV_BIN, latency_summary_ms, machine_info, run_at_commit, write_result

TARGET_MS = 200.0


def _pages(ids: dict[str, Any]) -> list[tuple[str, str]]:
    """(role user, path) for every console page; ids come from the demo database (None: the demo has no
    such record, and the page is left out and reported as unmeasured)."""
    pages = [
        ("anonymous", "/console/login"),
        ("agent", "/console/"),
        ("agent", "/console/language?locale=zh_CN&next=/console/tickets"),
        ("agent", "/console/tickets"),
        ("agent", "/console/tickets?status=in_progress&priority=urgent"),
        ("agent", "/console/tickets?q=1380"),
        ("agent", "/console/tickets?page=20"),
        ("agent", "/console/tickets/new"),
        ("agent", f"/console/callers?phone={ids['phone']}"),
        ("agent", f"/console/tickets/{ids['ticket']}"),
        ("agent", f"/console/tickets/{ids['ticket']}/sla"),
        ("agent", f"/console/tickets/{ids['ticket']}/print"),
        ("agent", f"/console/tickets/{ids['ticket']}/edit"),
        ("agent", f"/console/tickets/{ids['ticket']}/suggestions"),
        ("agent", f"/console/tickets/{ids['ticket']}/bulletins"),
        ("agent", f"/console/tickets/{ids['ticket']}/promises"),
        ("agent", f"/console/tickets/{ids['job']}/appointments"),
        ("agent", f"/console/tickets/{ids['job']}/candidates"),
        ("agent", "/console/exports/tickets.csv?status=in_progress"),
        ("agent", "/console/inbox"),
        ("agent", "/console/inbox/badge"),
        ("agent", "/console/visits"),
        ("agent", f"/console/visits/{ids['visit']}"),
        ("manager", "/console/visits/stats"),
        ("agent", "/console/promises"),
        ("agent", "/console/knowledge"),
        ("agent", "/console/knowledge/new"),
        ("agent", f"/console/knowledge/{ids['article']}"),
        ("agent", f"/console/knowledge/{ids['article']}/edit"),
        ("agent", f"/console/knowledge/{ids['article']}/versions"),
        ("agent", "/console/knowledge/synonyms"),
        ("admin", f"/console/knowledge/synonyms/{ids['synonym']}"),
        ("admin", f"/console/knowledge/synonyms/{ids['synonym']}/delete"),
        ("manager", "/console/bulletins"),
        ("manager", "/console/bulletins/new"),
        ("manager", f"/console/bulletins/{ids['bulletin']}"),
        ("manager", f"/console/bulletins/{ids['bulletin']}/edit"),
        ("agent", "/console/notifications/preferences"),
        ("agent", f"/console/notifications/preferences?phone={ids['phone']}"),
        ("dispatcher", "/console/board"),
        ("dispatcher", "/console/board?city=深圳市"),
        ("dispatcher", f"/console/board/tickets/{ids['job']}/candidates"),
        ("dispatcher", "/console/plans?area=深圳市"),
        ("tech01", "/console/jobs"),
        ("tech01", f"/console/jobs/{ids['job']}"),
        ("tech01", f"/console/jobs/{ids['job']}/self-check"),
        ("tech01", f"/console/jobs/{ids['job']}/attachments/{ids['attachment']}"),
        ("manager", "/console/dashboard"),
        ("manager", "/console/dashboard?region=广东省"),
        ("manager", "/console/compensation"),
        ("manager", "/console/compensation/queue"),
        ("manager", f"/console/compensation/tickets/{ids['ticket']}"),
        ("inspector", "/console/quality"),
        ("inspector", "/console/quality/rectifications"),
        ("inspector", "/console/quality/scores"),
        ("inspector", "/console/visit-flags"),
        ("inspector", f"/console/visit-flags/{ids['flag']}/review"),
        ("inspector", f"/console/quality/inspections/{ids['inspection']}"),
        ("inspector", "/console/admin/audit"),
        ("inspector", "/console/notifications/outbox"),
        ("admin", "/console/admin/users"),
        ("admin", "/console/admin/users/new"),
        ("admin", f"/console/admin/users/{ids['user']}"),
        ("admin", f"/console/admin/users/{ids['user']}/disable"),
        ("admin", "/console/admin/organisations"),
        ("admin", "/console/admin/organisations/new"),
        ("admin", f"/console/admin/organisations/{ids['organisation']}"),
        ("admin", "/console/network"),
        ("admin", "/console/network/new"),
        ("admin", f"/console/network/points/{ids['point']}"),
        ("admin", "/console/network/technicians"),
        ("admin", "/console/network/technicians/tech01"),
        ("admin", "/console/network/districts?city=深圳市"),
        ("admin", "/console/sla/policies"),
        ("admin", "/console/sla/policies/urgent"),
        ("admin", "/console/sla/calendars"),
        ("admin", "/console/sla/calendars/statutory"),
        ("admin", "/console/notifications/rules"),
        ("admin", f"/console/notifications/rules/{ids['routing_rule']}"),
        ("admin", f"/console/notifications/rules/{ids['routing_rule']}/delete"),
        ("agent", f"/console/tickets/filters/{ids['saved_filter']}/delete"),
        ("manager", f"/console/compensation/ticket?number={ids['number']}"),
        ("anonymous", f"/survey/{ids['survey_token']}"),
        ("admin", "/console/triage/rules"),
        ("admin", f"/console/triage/rules/{ids['rule']}"),
        ("admin", f"/console/triage/rules/{ids['rule']}/delete"),
        ("admin", f"/console/triage/models/{ids['model']}/activate"),
        ("admin", "/console/triage/models"),
        ("admin", "/console/triage/try"),
        ("anonymous", "/self-service/request"),
        ("anonymous", "/self-service/status"),
        ("anonymous", f"/self-service/status?number={ids['number']}&phone={ids['phone']}"),
        ("anonymous", "/self-service/help"),
    ]
    return [(user, page) for user, page in pages if "None" not in page]


def _template(path: str) -> re.Pattern[str]:
    """A route's path as a pattern its measured pages match (``{name}`` is one path segment)."""
    return re.compile("^" + re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(path)) + "$")


def unmeasured(measured: list[str]) -> list[str]:
    """The app's console, self-service and survey GET routes that no measured page reaches."""
    from fastapi.routing import APIRoute, _IncludedRouter

    from aftersales.app import create_app
    from aftersales.config import Settings

    def walk(routes: list[Any]) -> Any:
        for route in routes:
            if isinstance(route, _IncludedRouter):
                yield from walk(route.original_router.routes)
            elif isinstance(route, APIRoute):
                yield route

    app = create_app(
        Settings(
            database_url="sqlite:////tmp/aftersales-console-routes.db", secret_key="bench", run_jobs_in_process=False
        )
    )
    paths = [page.split("?")[0] for page in measured]
    return sorted(
        route.path
        for route in walk(app.routes)
        if "GET" in route.methods
        and route.path.startswith(("/console", "/self-service", "/survey"))
        and not any(_template(route.path).match(path) for path in paths)
    )


def _demo_ids(url: str) -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    queries = {
        "job": "SELECT t.id FROM tickets t JOIN users u ON u.id = t.assignee_id WHERE u.username = 'tech01' "
        "ORDER BY t.id DESC LIMIT 1",
        "visit": "SELECT id FROM feedback_visits ORDER BY id DESC LIMIT 1",
        "article": "SELECT id FROM knowledge_articles ORDER BY id LIMIT 1",
        "bulletin": "SELECT id FROM knowledge_bulletins ORDER BY id LIMIT 1",
        "user": "SELECT id FROM users WHERE username = 'agent'",
        "organisation": "SELECT id FROM organisations ORDER BY id LIMIT 1",
        "synonym": "SELECT id FROM knowledge_synonyms ORDER BY id LIMIT 1",
        "flag": "SELECT id FROM dispatch_visit_flags ORDER BY id LIMIT 1",
        "inspection": "SELECT id FROM quality_inspections ORDER BY id LIMIT 1",
        "rule": "SELECT id FROM triage_intake_rules ORDER BY id LIMIT 1",
        "model": "SELECT version FROM triage_models ORDER BY version DESC LIMIT 1",
        "point": "SELECT o.code FROM dispatch_service_points p JOIN organisations o ON o.id = p.organisation_id "
        "ORDER BY p.organisation_id LIMIT 1",
    }
    engine = create_engine(url)
    with engine.connect() as connection:
        ticket, number, phone = connection.execute(
            text(
                "SELECT t.id, t.number, c.phone FROM tickets t JOIN customers c ON c.id = t.customer_id "
                "WHERE c.phone LIKE '1%' ORDER BY t.id LIMIT 1"
            )
        ).one()
        found = {name: connection.execute(text(query)).scalar() for name, query in queries.items()}
    engine.dispose()
    return {"ticket": ticket, "number": number, "phone": phone, **found}


def _records_the_demo_lacks(url: str, secret_key: str) -> dict[str, Any]:
    """Records a working department has but the demo does not (an admin's routing rule, an agent's saved
    filter), made through the services, and a survey link signed for a scheduled visit, so that their
    pages are measured too."""
    from sqlalchemy import select

    from aftersales.accounts.enums import Role
    from aftersales.accounts.models import User
    from aftersales.accounts.schemas import SYSTEM_ACTOR, Actor
    from aftersales.config import Settings, secret_bytes
    from aftersales.core.clock import SystemClock
    from aftersales.core.db import make_engine, make_session_factory, unit_of_work
    from aftersales.dispatch.fieldwork import flags as field_flags
    from aftersales.dispatch.fieldwork.rules import FlagReason
    from aftersales.feedback import rules as feedback_rules
    from aftersales.feedback import visits
    from aftersales.feedback.models import ReturnVisit
    from aftersales.notifications import routing
    from aftersales.quality.inspection import sampling
    from aftersales.tickets.models import Ticket, TicketAttachment, TicketEvent
    from aftersales.tickets.saved_filters import service as saved_filters

    engine = make_engine(url)
    clock = SystemClock()
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            users = {name: ident for name, ident in session.execute(select(User.username, User.id))}
            admin = Actor(user_id=users["admin"], username="admin", role=Role.ADMIN)
            agent = Actor(user_id=users["agent"], username="agent", role=Role.AGENT)
            # Kept from an earlier run on the same database (--db), or made now.
            rule = next(iter(routing.list_rules(session)), None) or routing.create_rule(
                session, clock=clock, actor=admin, event="sla_breached", channel="email", target="ops@example.com"
            )
            saved = next(
                (kept for kept in saved_filters.list_filters(session, actor=agent) if kept.name == "紧急未完成"), None
            ) or saved_filters.save_filter(
                session, clock=clock, actor=agent, name="紧急未完成", filters={"priority": "urgent"}
            )
            key = secret_bytes(Settings(database_url=url, secret_key=secret_key))
            # The demo's visits are all done: the worker would schedule one for a result still awaiting it.
            scheduled = (ReturnVisit.status == "scheduled", ReturnVisit.link_expires_at > clock.now())
            if session.scalar(select(ReturnVisit.id).where(*scheduled).limit(1)) is None:
                visits.schedule_due(session, clock=clock, key=key, base_url="http://127.0.0.1", limit=1)
            visit = session.scalars(select(ReturnVisit).where(*scheduled).order_by(ReturnVisit.id).limit(1)).first()
            token = feedback_rules.sign_link(key, visit.id, visit.link_expires_at, visit.link_nonce) if visit else None
            # An inspector's regional sample of the last 30 days' closed tickets (the same one on a rerun).
            inspector = Actor(user_id=users["inspector"], username="inspector", role=Role.INSPECTOR)
            end = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
            drawn = sampling.draw_sample(
                session,
                clock=clock,
                actor=inspector,
                level="regional",
                period_start=end - timedelta(days=30),
                period_end=end,
                seed=20261205,
            )
            inspection = drawn.inspections[0].id if drawn.inspections else None
            # A check-in 4.2 km from the address, flagged for the inspector as the job flow would.
            check_in = session.scalars(
                select(TicketEvent).where(TicketEvent.type == "check_in").order_by(TicketEvent.id).limit(1)
            ).first()
            flag = None
            if check_in is not None:
                flag = field_flags.raise_flags(
                    session,
                    clock=clock,
                    actor=SYSTEM_ACTOR,
                    ticket=session.get_one(Ticket, check_in.ticket_id),
                    check_in=check_in,
                    reasons=[FlagReason.FAR_FROM_ADDRESS],
                    distance_km=4.2,
                )
            # A photo on one of tech01's jobs, stored as the job flow's upload stores it.
            job = session.scalar(
                select(Ticket.id).where(Ticket.assignee_id == users["tech01"]).order_by(Ticket.id.desc()).limit(1)
            )
            photo = b"\x89PNG\r\n\x1a\n" + bytes(2048)
            attachment = TicketAttachment(
                ticket_id=job,
                kind="photo",
                filename="现场.png",
                content_type="image/png",
                size_bytes=len(photo),
                sha256=hashlib.sha256(photo).hexdigest(),
                data=photo,
                uploaded_by="tech01",
                created_at=clock.now(),
            )
            session.add(attachment)
            session.flush()
            return {
                "routing_rule": rule.id,
                "saved_filter": saved.id,
                "survey_token": token,
                "inspection": inspection,
                "flag": flag.id if flag is not None else None,
                "job": job,
                "attachment": attachment.id,
            }
    finally:
        engine.dispose()


def _login(client: Any, username: str) -> None:
    page = client.get("/console/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert token is not None
    reply = client.post(
        "/console/login", data={"username": username, "password": "demo1234", "login_csrf": token.group(1)}
    )
    assert reply.status_code in (200, 303), reply.status_code


def main() -> None:
    run_at_commit()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="existing demo SQLite file to reuse")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--commit")
    args = parser.parse_args()

    import httpx2

    path = Path(args.db) if args.db else Path(tempfile.mkdtemp(prefix="aftersales-console-")) / "demo.db"
    url = f"sqlite:///{path}"
    # Production mode (the default) refuses to serve without a signing key.
    env = {**os.environ, "AFTERSALES_DATABASE_URL": url, "AFTERSALES_SECRET_KEY": "bench-signing-key"}
    cli = str(VENV_BIN / "aftersales")
    build_s = None
    if not path.exists():
        began = time.perf_counter()
        subprocess.run([cli, "db", "upgrade"], env=env, check=True, capture_output=True)
        subprocess.run([cli, "demo"], env=env, check=True, capture_output=True)
        build_s = round(time.perf_counter() - began, 1)
    if _demo_ids(url)["model"] is None:
        # A model version to show the activate confirmation for (the demo ships none; about 40 s here).
        subprocess.run([cli, "triage", "train"], env=env, check=True, capture_output=True)
    ids = _demo_ids(url) | _records_the_demo_lacks(url, env["AFTERSALES_SECRET_KEY"])
    server = subprocess.Popen(
        [cli, "serve", "--host", "127.0.0.1", "--port", str(args.port), "--no-jobs"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx2.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx2.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("server did not start")
            time.sleep(0.2)
        clients: dict[str, Any] = {}
        results = []
        for user, page in _pages(ids):
            if user not in clients:
                clients[user] = httpx2.Client(base_url=base, timeout=30, follow_redirects=False)
                if user != "anonymous":
                    _login(clients[user], user)
            client = clients[user]
            statuses: set[int] = set()
            server_s: list[float] = []
            round_trip_s: list[float] = []
            for attempt in range(args.repeat + 2):
                began = time.perf_counter()
                reply = client.get(page)
                elapsed = time.perf_counter() - began
                statuses.add(reply.status_code)
                timing = re.search(r"app;dur=([\d.]+)", reply.headers.get("server-timing", ""))
                if attempt >= 2 and timing:  # the first two warm caches and templates
                    server_s.append(float(timing.group(1)) / 1000)
                    round_trip_s.append(elapsed)
            summary = latency_summary_ms(server_s)
            results.append(
                {
                    "user": user,
                    "page": page,
                    "statuses": sorted(statuses),
                    "server": summary,
                    "round_trip": latency_summary_ms(round_trip_s),
                    "meets_target": bool(server_s)
                    and (summary["max_ms"] or 0) <= TARGET_MS
                    and statuses <= {200, 303},  # a page that sends the user on (the start page) answers 303
                }
            )
            print(
                f"{user:10} {page:70} {sorted(statuses)} p50 {summary['p50_ms']} ms  p95 {summary['p95_ms']} ms  max {summary['max_ms']} ms",
                file=sys.stderr,
            )
    finally:
        server.terminate()
        server.wait(timeout=10)
    result = {
        "benchmark": "console_pages",
        "machine": machine_info(),
        "config": {"database": url, "demo_build_s": build_s, "repeat": args.repeat, "target_ms": TARGET_MS},
        "pages": results,
        "all_meet_target": all(entry["meets_target"] for entry in results),
        # Console GET routes no measured page reached (a record the demo does not have, e.g. an attachment).
        "unmeasured_routes": unmeasured([entry["page"] for entry in results]),
    }
    print(write_result("console_pages", result))


if __name__ == "__main__":
    main()
