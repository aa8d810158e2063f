"""Application factory: mounts every router, the error handlers and (optionally) the job loop."""

from __future__ import annotations

import functools
import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from aftersales.accounts import policy
from aftersales.accounts.admin import router as accounts_admin_router
from aftersales.accounts.api import router as accounts_router
from aftersales.accounts.console import router as accounts_console_router
from aftersales.accounts.deps import anyone
from aftersales.accounts.enums import Permission
from aftersales.accounts.policy import Scope
from aftersales.analytics.api import router as analytics_router
from aftersales.analytics.console import router as analytics_console_router
from aftersales.config import Settings, require_secret_key
from aftersales.core import logs, offload, timeutil
from aftersales.core.background import BackgroundRunner, InlineRunner, ProcessRunner
from aftersales.core.clock import Clock, LinkedClock, SystemClock
from aftersales.core.db import WalCheckpointer, make_engine, make_session_factory
from aftersales.core.runtime import clock_for
from aftersales.core.write_gate import WriteTurn
from aftersales.core.write_queue import WriteQueue
from aftersales.customers import rules as customer_rules
from aftersales.dispatch.fieldwork.api import router as field_router
from aftersales.dispatch.fieldwork.console import router as fieldwork_console_router
from aftersales.dispatch.fieldwork.console_flags import router as visit_flags_console_router
from aftersales.dispatch.network.api import router as network_router
from aftersales.dispatch.network.console import router as network_console_router
from aftersales.dispatch.planning.api import router as planning_router
from aftersales.dispatch.planning.console import router as dispatch_console_router
from aftersales.dispatch.planning.console_appointments import router as appointments_console_router
from aftersales.dispatch.planning.jobs import dispatch_job, dispatcher_process
from aftersales.feedback.api import router as feedback_router
from aftersales.feedback.console import router as feedback_console_router
from aftersales.feedback.console_promises import router as promises_console_router
from aftersales.feedback.console_stats import router as visit_stats_console_router
from aftersales.knowledge import rendering as knowledge_rendering
from aftersales.knowledge.api import router as knowledge_router
from aftersales.knowledge.bulletins.console import router as bulletins_console_router
from aftersales.knowledge.console import router as knowledge_console_router
from aftersales.knowledge.console_edit import router as knowledge_edit_console_router
from aftersales.knowledge.console_synonyms import router as synonyms_console_router
from aftersales.notifications.api import router as notifications_router
from aftersales.notifications.console import router as inbox_console_router
from aftersales.notifications.console_admin import router as notifications_console_router
from aftersales.quality.api import router as quality_router
from aftersales.quality.console import router as quality_console_router
from aftersales.sla.console import router as sla_console_router
from aftersales.triage.api import router as triage_router
from aftersales.triage.console import router as triage_console_router
from aftersales.usecases.api import assist_router, customers_router, tickets_router
from aftersales.usecases.console import router as tickets_console_router
from aftersales.web import assets, templating
from aftersales.web.errors import PROBLEM_RESPONSES, install_error_handlers
from aftersales.web.guard import RequestGuard, SecurityHeaders
from aftersales.web.i18n import N_
from aftersales.web.pages import install_console_handlers
from aftersales.web.ratelimit import RateLimiter

# The console's navigation: (path, label, roles that see it); the roles are the policy's for the page.
NAVIGATION: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("/console/tickets", N_("工单"), policy.roles_allowed(Permission.TICKET_READ, Scope.ALL)),
    ("/console/tickets/new", N_("新建工单"), policy.roles_allowed(Permission.TICKET_REGISTER)),
    ("/console/board", N_("调度看板"), policy.roles_allowed(Permission.DISPATCH_BOARD)),
    ("/console/plans", N_("日计划"), policy.roles_allowed(Permission.DISPATCH_PLAN)),
    ("/console/visits", N_("回访"), policy.roles_allowed(Permission.VISIT_RECORD)),
    ("/console/jobs", N_("我的任务"), policy.roles_allowed(Permission.FIELD_WORK)),
    ("/console/dashboard", N_("经营看板"), policy.roles_allowed(Permission.DASHBOARD_READ)),
    ("/console/quality", N_("质检"), policy.roles_allowed(Permission.QUALITY_INSPECT)),
    ("/console/visit-flags", N_("异常上门"), policy.roles_allowed(Permission.QUALITY_INSPECT)),
    # Technicians and providers finish their own rectification tasks; quality staff reach them from 质检.
    (
        "/console/quality/rectifications",
        N_("整改任务"),
        policy.roles_allowed(Permission.QUALITY_RECTIFY) - policy.roles_allowed(Permission.QUALITY_INSPECT),
    ),
    ("/console/compensation", N_("补偿"), policy.roles_allowed(Permission.COMPENSATION_READ)),
    ("/console/network", N_("服务网络"), policy.roles_allowed(Permission.NETWORK_MANAGE)),
    ("/console/sla/policies", N_("SLA 策略"), policy.roles_allowed(Permission.SLA_MANAGE)),
    ("/console/admin/users", N_("用户"), policy.roles_allowed(Permission.USERS_MANAGE)),
    ("/console/admin/organisations", N_("组织"), policy.roles_allowed(Permission.USERS_MANAGE)),
    ("/console/admin/audit", N_("审计日志"), policy.roles_allowed(Permission.AUDIT_READ)),
    ("/console/knowledge", N_("知识库"), policy.roles_allowed(Permission.KNOWLEDGE_READ)),
    ("/console/bulletins", N_("已知问题公告"), policy.roles_allowed(Permission.KNOWLEDGE_READ)),
    ("/console/triage/rules", N_("分诊规则"), policy.roles_allowed(Permission.RULES_MANAGE)),
    # Promises made to customers, which every department sees (technicians see theirs on the job card).
    ("/console/promises", N_("承诺"), policy.roles_allowed(Permission.TICKET_READ, Scope.ALL)),
    ("/console/notifications/rules", N_("消息路由"), policy.roles_allowed(Permission.NOTIFICATIONS_ROUTE)),
    ("/console/notifications/outbox", N_("发送队列"), policy.roles_allowed(Permission.NOTIFICATIONS_READ)),
    # Agents and dispatchers set a caller's preferences; operators reach them from 发送队列's tabs.
    (
        "/console/notifications/preferences",
        N_("客户通知偏好"),
        policy.roles_allowed(Permission.PREFERENCES_READ) - policy.roles_allowed(Permission.NOTIFICATIONS_READ),
    ),
)


GIL_SWITCH_INTERVAL_S = 0.0005


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    session_factory: sessionmaker[Session] | None = None,
    run_jobs: bool = False,
) -> FastAPI:
    """Build the FastAPI app. Tests pass their own session factory and a frozen clock.

    Raises MissingSecretKeyError (before touching anything) in production mode without a secret key.
    """
    require_secret_key(settings)
    timeutil.configure_local_zone(settings.timezone)
    # `serve --access-log` writes each request line, query string included: no full phone numbers there.
    logs.mask_phones_in("uvicorn.access", "uvicorn.error")
    templating.configure(
        navigation=NAVIGATION,
        filters={
            "mask_phone": customer_rules.mask_phone,
            "markdown": knowledge_rendering.render_markdown,  # article bodies, sanitised, wherever shown
            # ``role|allowed("inbox.read")``: what a template shows follows the policy table too.
            "allowed": lambda role, permission: policy.allows(role, Permission(permission)),
        },
    )
    checkpointer: WalCheckpointer | None = None
    is_sqlite = make_url(settings.database_url).get_backend_name() == "sqlite"
    # Decisions in a child process: only when this app builds its own engine, which the child builds too.
    app_clock: Clock = clock or clock_for(settings)
    decides_in_child = (
        session_factory is None
        and settings.dispatch_in_background
        and settings.dispatch_in_server
        and settings.dispatch_in_child_process
    )
    database = make_url(settings.database_url).database if is_sqlite else None
    people_file = Path(f"{database}-people") if database and database != ":memory:" else None
    write_turn = WriteTurn(people_file) if decides_in_child and is_sqlite else None
    if session_factory is None:
        engine = make_engine(
            settings.database_url,
            sqlite_synchronous=settings.sqlite_synchronous,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            pool_size=settings.db_pool_size,
            write_turn=write_turn,
        )
        session_factory = make_session_factory(engine)
        checkpointer = WalCheckpointer(engine)
    factory = session_factory

    def dispatch_pending() -> object:
        if not settings.dispatch_in_server:
            return None  # the worker process decides
        # People first: on SQLite a routine decision gives way while this process's writer is busy.
        busy = write_queue.is_busy if write_queue is not None else None
        return dispatch_job(factory, app_clock, settings, people_waiting=busy)

    dispatcher: BackgroundRunner | InlineRunner | ProcessRunner
    if not settings.dispatch_in_background:
        dispatcher = InlineRunner(dispatch_pending, name="aftersales-dispatcher")
    elif decides_in_child:
        # The wall clock reads the same in both processes; any other clock (a demo clock running from
        # AFTERSALES_CLOCK_START, a test's frozen clock) is published to the child at every kick.
        link = None if isinstance(app_clock, SystemClock) else LinkedClock(app_clock)
        dispatcher = ProcessRunner(
            functools.partial(dispatcher_process, settings, link or app_clock, write_turn),
            name="aftersales-dispatcher",
            poll_seconds=settings.dispatch_poll_seconds,
            before_kick=link.publish if link is not None else None,
        )
    else:
        dispatcher = BackgroundRunner(
            dispatch_pending, name="aftersales-dispatcher", poll_seconds=settings.dispatch_poll_seconds
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Everything loaded at start-up lives as long as the process: keep it out of the garbage
        # collector's full passes, which otherwise pause every request for tens of milliseconds.
        gc.collect()
        gc.freeze()
        # Intake's writer releases the GIL at every SQLite call and must win it back each time; against a
        # busy thread (the dispatcher, the event loop) each win-back waits up to the switch interval
        # (5 ms by default), a convoy that halved intake throughput. Switch ten times as often.
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        offload.enable(settings.offload_computation)
        if checkpointer is not None:
            checkpointer.start()
        dispatcher.start()
        stop = None
        if run_jobs:
            from aftersales.worker import start_in_thread

            _, stop = start_in_thread(session_factory, app_clock, settings)
        try:
            yield
        finally:
            if stop is not None:
                stop.set()
            dispatcher.stop()
            if write_queue is not None:
                write_queue.stop()
            if checkpointer is not None:
                checkpointer.stop()
            offload.enable(False)
            sys.setswitchinterval(switch_interval)

    app = FastAPI(
        title="Aftersales 售后服务闭环管理系统",
        version="0.1.0",
        description="Work orders with the closed loop and SLA clocks. Errors: {code, detail, fields}.",
        lifespan=lifespan,
        docs_url=None,  # served below from vendored files: FastAPI's page loads Swagger UI from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.rate_limiter = RateLimiter()
    app.state.clock = app_clock
    app.state.session_factory = session_factory
    # Group commit only where it pays: SQLite's single writer. PostgreSQL takes one unit of work per request.
    write_queue = WriteQueue(session_factory, turn=write_turn) if is_sqlite else None
    app.state.write_queue = write_queue
    app.state.dispatcher = dispatcher
    install_error_handlers(app)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    install_console_handlers(app)
    app.mount("/static", StaticFiles(packages=[("aftersales.web", "static")]), name="static")

    @app.get("/healthz", tags=["health"], dependencies=[anyone("health")])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/docs", include_in_schema=False, dependencies=[anyone("api_docs")])
    def api_docs(request: Request) -> HTMLResponse:
        return assets.docs_page(request, openapi_url=app.openapi_url or "/openapi.json", title=app.title)

    @app.get("/favicon.ico", include_in_schema=False, dependencies=[anyone("static")])
    def favicon() -> FileResponse:
        return FileResponse(assets.FAVICON_ICO, media_type="image/vnd.microsoft.icon")

    app.include_router(tickets_router, responses=PROBLEM_RESPONSES)
    app.include_router(triage_router, responses=PROBLEM_RESPONSES)
    app.include_router(customers_router, responses=PROBLEM_RESPONSES)
    app.include_router(accounts_router, responses=PROBLEM_RESPONSES)
    app.include_router(knowledge_router, responses=PROBLEM_RESPONSES)
    app.include_router(analytics_router, responses=PROBLEM_RESPONSES)
    app.include_router(assist_router, responses=PROBLEM_RESPONSES)
    app.include_router(network_router, responses=PROBLEM_RESPONSES)
    app.include_router(planning_router, responses=PROBLEM_RESPONSES)
    app.include_router(feedback_router, responses=PROBLEM_RESPONSES)
    app.include_router(quality_router, responses=PROBLEM_RESPONSES)
    app.include_router(notifications_router, responses=PROBLEM_RESPONSES)
    # Before the visit pages: /console/visits/stats is not /console/visits/{visit_id}.
    app.include_router(visit_stats_console_router, include_in_schema=False)  # HTML pages, not the API
    app.include_router(feedback_console_router, include_in_schema=False)  # HTML pages, not the API
    app.include_router(field_router, responses=PROBLEM_RESPONSES)
    app.include_router(accounts_console_router, include_in_schema=False)  # HTML pages, not the API
    app.include_router(accounts_admin_router, include_in_schema=False)  # HTML pages, not the API
    app.include_router(tickets_console_router, include_in_schema=False)  # HTML pages, not the API
    app.include_router(fieldwork_console_router, include_in_schema=False)  # HTML pages, not the API
    app.include_router(analytics_console_router, include_in_schema=False)  # HTML pages, not the API
    app.include_router(knowledge_console_router, include_in_schema=False)  # HTML pages, not the API
    # Before the editor's /console/knowledge/{article_id}, which would otherwise take "synonyms" for an id.
    app.include_router(synonyms_console_router, include_in_schema=False)  # HTML pages, not the API
    app.include_router(knowledge_edit_console_router, include_in_schema=False)  # HTML pages, not the API
    app.include_router(bulletins_console_router, include_in_schema=False)  # HTML pages, not the API
    app.include_router(dispatch_console_router, include_in_schema=False)  # HTML pages, not the API
    app.include_router(inbox_console_router, include_in_schema=False)  # HTML pages, not the API
    app.include_router(notifications_console_router, include_in_schema=False)  # HTML pages, not the API
    app.include_router(quality_console_router, include_in_schema=False)  # HTML pages, not the API
    app.include_router(network_console_router, include_in_schema=False)  # HTML pages, not the API
    app.include_router(sla_console_router, include_in_schema=False)  # HTML pages, not the API
    app.include_router(promises_console_router, include_in_schema=False)  # HTML pages, not the API
    app.include_router(appointments_console_router, include_in_schema=False)  # HTML pages, not the API
    app.include_router(triage_console_router, include_in_schema=False)  # HTML pages, not the API
    app.include_router(visit_flags_console_router, include_in_schema=False)  # HTML pages, not the API
    return app


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` and multi-process serving: settings from the environment."""

    from aftersales.config import get_settings

    settings = get_settings()
    return create_app(settings, run_jobs=settings.run_jobs_in_process)
