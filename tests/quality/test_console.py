"""The inspector's console: the workspace (forms waiting, by level and sample), drawing a sample, the
inspection form (a failed one opens a rectification), the rectification list where the assignee reports
the task done, and the score rollup. Refused roles see the 403 page; bad input is re-rendered with the
field's message and changes nothing."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.accounts.enums import Role
from aftersales.accounts.models import User
from aftersales.core.clock import FrozenClock
from aftersales.quality.models import Inspection, Rectification, Sample
from tests.conftest import UserFactory, console_login, local
from tests.quality.factories import insert_tickets, make_providers

POOR = {"service_standard": "5", "repair_quality": "6", "cleanliness": "3", "communication": "7", "timeliness": "8"}
GOOD = {"service_standard": "9", "repair_quality": "9", "cleanliness": "8", "communication": "9", "timeliness": "8"}
DRAW = {"level": "regional", "start": "2026-11-01", "end": "2026-11-15", "seed": "9"}


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _world(db: Session, clock: FrozenClock, make_user: UserFactory) -> dict[str, int]:
    """An inspector, two technicians and 12 repairs closed on 8 November by the first, 3 by the second."""
    [provider] = make_providers(db, clock, 1)
    make_user(Role.INSPECTOR, username="insp1", display_name="质检员甲")
    tech, _ = make_user(Role.TECHNICIAN, username="qtech1", display_name="刘师傅")
    other, _ = make_user(Role.TECHNICIAN, username="qtech2", display_name="黄师傅")
    assert tech.user_id is not None and other.user_id is not None
    insert_tickets(
        db, clock, organisation_id=provider, count=12, closed_at=local(2026, 11, 8, 15), assignee_id=tech.user_id
    )
    insert_tickets(
        db, clock, organisation_id=provider, count=3, closed_at=local(2026, 11, 9, 15), assignee_id=other.user_id,
        prefix="QB",
    )  # fmt: skip
    db.commit()
    return {"provider": provider, "tech": tech.user_id, "other": other.user_id}


def _draw(client: TestClient, csrf: str, **changes: str) -> object:
    return client.post("/console/quality/samples", data={"csrf_token": csrf, **DRAW, **changes}, follow_redirects=False)


def _field_error(page: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field}-error"[^>]*>([^<]*)</p>', page)
    assert match is not None, field
    return match.group(1)


def test_the_inspector_draws_a_sample_and_sees_its_forms_waiting(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _world(db, clock, make_user)
    csrf = console_login(client, db, "insp1")
    empty = client.get("/console/quality")
    assert empty.status_code == 200
    assert 'id="nothing-pending"' in empty.text
    assert '<a href="/console/quality" aria-current="page">质检</a>' in empty.text  # the navigation entry
    assert 'value="2026-11-15"' in empty.text and 'value="2026-11-21"' in empty.text  # last week by default
    reply = _draw(client, csrf)
    assert reply.status_code == 303
    sample = db.scalars(select(Sample)).one()
    assert reply.headers["location"] == f"/console/quality?sample={sample.id}&drawn=1"
    assert (sample.level, sample.seed, sample.population, sample.size, sample.drawn_by) == (
        "regional",
        9,
        15,
        3,
        "insp1",
    )
    assert (sample.period_start, sample.period_end) == (local(2026, 11, 1), local(2026, 11, 16))
    page = client.get(reply.headers["location"]).text
    assert "已抽样：区域抽检，15 单中抽取 3 单" in page
    assert f"抽样 #{sample.id}：区域抽检，2026-11-01 至 2026-11-15 闭环的工单，种子 9" in page
    inspections = db.scalars(select(Inspection).order_by(Inspection.id)).all()
    assert len(inspections) == 3
    for row in inspections:
        assert f'<tr data-inspection="{row.id}">' in page
        assert f'href="/console/quality/inspections/{row.id}">开始质检</a>' in page
    assert re.search(r'data-kpi="waiting-regional"><span>区域抽检（20%）待质检</span><strong>3</strong>', page)
    assert re.search(r'data-kpi="waiting-hq"><span>总部复检（5%）待质检</span><strong>0</strong>', page)
    hq = client.get("/console/quality", params={"level": "hq"}).text
    assert 'id="nothing-pending"' in hq
    # The same draw again answers with the stored sample; another seed for the period is refused.
    again = _draw(client, csrf)
    assert again.status_code == 303 and _count(db, Sample) == 1
    refused = _draw(client, csrf, seed="10")
    assert refused.status_code == 409
    assert "该时段已按种子 9 抽样，不能换种子重抽" in refused.text
    assert f'<a href="/console/quality?sample={sample.id}">查看已有抽样</a>' in refused.text
    assert 'value="10"' in refused.text  # what was typed is kept
    assert _count(db, Sample) == 1 and _count(db, Inspection) == 3


def test_a_bad_draw_is_shown_by_its_fields_and_changes_nothing(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _world(db, clock, make_user)
    csrf = console_login(client, db, "insp1")
    reply = _draw(client, csrf, start="2026-13-01", end="", seed="abc")
    assert reply.status_code == 422
    assert _field_error(reply.text, "draw-start") == "请按 年-月-日 填写开始日期"
    assert _field_error(reply.text, "draw-end") == "请按 年-月-日 填写结束日期"
    assert _field_error(reply.text, "draw-seed") == "随机种子须为非负整数"
    assert 'id="draw-start" name="start" value="2026-13-01" required aria-invalid="true"' in reply.text
    backwards = _draw(client, csrf, start="2026-11-15", end="2026-11-01")
    assert backwards.status_code == 422
    assert _field_error(backwards.text, "draw-end") == "结束日期不能早于开始日期"
    nothing = _draw(client, csrf, start="2026-10-01", end="2026-10-02")
    assert nothing.status_code == 409 and "该时段没有已闭环的工单" in nothing.text
    level = _draw(client, csrf, level="national")
    assert level.status_code == 422 and _field_error(level.text, "draw-level") == "抽检级别须为 regional 或 hq"
    assert _count(db, Sample) == 0 and _count(db, Inspection) == 0


def _sampled(client: TestClient, db: Session) -> tuple[str, Inspection]:
    csrf = console_login(client, db, "insp1")
    assert _draw(client, csrf).status_code == 303
    first = db.scalars(select(Inspection).order_by(Inspection.id)).first()
    assert first is not None
    return csrf, first


def test_a_failed_inspection_opens_a_rectification_for_the_technician(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    world = _world(db, clock, make_user)
    csrf, row = _sampled(client, db)
    form = client.get(f"/console/quality/inspections/{row.id}")
    assert form.status_code == 200
    assert '<label for="score-cleanliness">现场清洁（权重 15%）</label>' in form.text
    assert "技术员未登记服务自检。" in form.text
    assert "<dd>刘师傅</dd>" in form.text or "<dd>黄师傅</dd>" in form.text
    data = {"csrf_token": csrf, **POOR, "findings": "现场遗留包装和碎屑"}
    reply = client.post(f"/console/quality/inspections/{row.id}", data=data, follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == f"/console/quality/inspections/{row.id}?submitted=1"
    db.expire_all()
    inspected = db.get(Inspection, row.id)
    assert inspected is not None
    assert (inspected.status, inspected.weighted_score, inspected.inspector) == ("failed", 5.75, "insp1")
    assert inspected.findings == "现场遗留包装和碎屑"
    task = db.scalars(select(Rectification)).one()
    assert task.inspection_id == row.id and task.status == "open"
    assert task.description == "质检不合格，整改「服务规范」、「维修质量」、「现场清洁」：现场遗留包装和碎屑"
    assert task.assignee_user_id == inspected.technician_id
    assert task.assignee_user_id in (world["tech"], world["other"])
    assert task.due_at == clock.now() + timedelta(days=3)
    page = client.get(reply.headers["location"]).text
    assert "质检结果已提交" in page
    assert '<span class="badge" id="inspection-status" data-status="failed">不合格</span>' in page
    assert "加权总分 5.75" in page
    assert f'<li data-task="{task.id}" data-state="open">' in page
    assert "期限 2026-11-25 10:00" in page
    # Submitted once: a second submission is refused and changes nothing.
    again = client.post(f"/console/quality/inspections/{row.id}", data={"csrf_token": csrf, **GOOD})
    assert again.status_code == 409 and "该质检单已提交" in again.text
    assert _count(db, Rectification) == 1


def test_bad_scores_are_shown_by_their_fields_and_change_nothing(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _world(db, clock, make_user)
    csrf, row = _sampled(client, db)
    scores = {**GOOD, "repair_quality": "11", "cleanliness": "abc"}
    del scores["timeliness"]
    reply = client.post(f"/console/quality/inspections/{row.id}", data={"csrf_token": csrf, **scores})
    assert reply.status_code == 422
    assert _field_error(reply.text, "repair_quality") == "「维修质量」须为 0 到 10 的整数"
    assert _field_error(reply.text, "cleanliness") == "「现场清洁」须为 0 到 10 的整数"
    assert _field_error(reply.text, "timeliness") == "请为「时效」打分"
    assert (
        'id="score-cleanliness" name="cleanliness" min="0" max="10" step="1" inputmode="numeric" value="abc"'
        in reply.text
    )
    no_findings = client.post(f"/console/quality/inspections/{row.id}", data={"csrf_token": csrf, **POOR})
    assert no_findings.status_code == 422
    assert _field_error(no_findings.text, "findings") == "不合格时须填写问题描述"
    bad_due = client.post(
        f"/console/quality/inspections/{row.id}",
        data={"csrf_token": csrf, **POOR, "findings": "脏乱", "rectification": "清理现场", "due": "下周"},
    )
    assert bad_due.status_code == 422 and _field_error(bad_due.text, "due") == "请按 年-月-日 填写整改期限"
    past_due = client.post(
        f"/console/quality/inspections/{row.id}",
        data={"csrf_token": csrf, **POOR, "findings": "脏乱", "rectification": "清理现场", "due": "2026-11-01"},
    )
    assert past_due.status_code == 422 and _field_error(past_due.text, "due") == "整改期限须晚于现在（带时区）"
    db.expire_all()
    assert db.get(Inspection, row.id).status == "pending"  # type: ignore[union-attr]
    assert _count(db, Rectification) == 0


def test_the_assignee_reports_the_rectification_done_and_the_inspector_sees_it_closed(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _world(db, clock, make_user)
    csrf, row = _sampled(client, db)
    data = {
        "csrf_token": csrf,
        **POOR,
        "findings": "未穿鞋套",
        "rectification": "复训五步服务规范",
        "due": "2026-11-30",
    }
    assert client.post(f"/console/quality/inspections/{row.id}", data=data, follow_redirects=False).status_code == 303
    task = db.scalars(select(Rectification)).one()
    assert task.due_at == local(2026, 12, 1)
    assignee = "qtech1" if task.assignee_user_id == _user_id(db, "qtech1") else "qtech2"
    assert task.assignee_user_id == row.technician_id == _user_id(db, assignee)
    bystander = "qtech2" if assignee == "qtech1" else "qtech1"
    # A technician who is not the assignee sees nothing and may not close it.
    bystander_csrf = console_login(client, db, bystander)
    assert 'id="no-tasks"' in client.get("/console/quality/rectifications").text
    refused = client.post(f"/console/quality/rectifications/{task.id}/done", data={"csrf_token": bystander_csrf})
    assert refused.status_code == 403 and "只有整改负责人或质检人员可以完成整改" in refused.text
    assert client.get("/console/quality").status_code == 403  # the workspace is the inspectors'
    # The assignee sees it (navigation entry, job card link) and reports it done.
    tech_csrf = console_login(client, db, assignee)
    mine = client.get("/console/quality/rectifications").text
    assert '<a href="/console/quality/rectifications" aria-current="page">整改任务</a>' in mine
    assert f'<li data-task="{task.id}" data-state="open">' in mine
    assert f'<a href="/console/jobs/{task.ticket_id}">' in mine
    assert "复训五步服务规范" in mine and "期限 2026-12-01 00:00" in mine
    reply = client.post(
        f"/console/quality/rectifications/{task.id}/done",
        data={"csrf_token": tech_csrf, "note": "已参加复训", "status": "open"},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    assert reply.headers["location"] == "/console/quality/rectifications?status=open&completed=1"
    db.expire_all()
    done = db.get(Rectification, task.id)
    assert done is not None
    assert (done.status, done.done_by, done.resolution, done.done_at) == ("done", assignee, "已参加复训", clock.now())
    twice = client.post(f"/console/quality/rectifications/{task.id}/done", data={"csrf_token": tech_csrf})
    assert twice.status_code == 409 and "整改任务已完成" in twice.text
    # The inspector sees it closed.
    console_login(client, db, "insp1")
    closed = client.get("/console/quality/rectifications", params={"status": "done"}).text
    assert f'<li data-task="{task.id}" data-state="done">' in closed
    assert f"已完成：{assignee} 2026-11-22 10:00：已参加复训" in closed
    assert 'id="no-tasks"' in client.get("/console/quality/rectifications").text


def _user_id(db: Session, username: str) -> int:
    found = db.scalar(select(User.id).where(User.username == username))
    assert found is not None
    return found


def test_the_score_rollup_per_technician_and_provider(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _world(db, clock, make_user)
    csrf, _row = _sampled(client, db)
    rows = db.scalars(select(Inspection).order_by(Inspection.id)).all()
    for index, row in enumerate(rows):
        scores = POOR if index == 0 else GOOD
        data = {"csrf_token": csrf, **scores, "findings": "脏乱"}
        assert (
            client.post(f"/console/quality/inspections/{row.id}", data=data, follow_redirects=False).status_code == 303
        )
    page = client.get(
        "/console/quality/scores", params={"group": "provider", "start": "2026-11-22", "end": "2026-11-22"}
    )
    assert page.status_code == 200
    assert re.search(r"<th scope=\"row\">服务商1</th><td>3</td><td>2</td><td>66\.7%</td><td>7\.72</td>", page.text)
    match = re.search(r'<script type="application/json" id="quality-data">(.*?)</script>', page.text, re.S)
    assert match is not None
    chart = json.loads(match.group(1))
    assert chart["labels"] == ["服务商1"] and chart["score"]["values"] == [7.72] and chart["rate"]["values"] == [66.7]
    assert '<div class="chart" data-chart="quality_scores"' in page.text
    assert '<script src="/static/js/quality.js' in page.text
    by_tech = client.get("/console/quality/scores", params={"start": "2026-11-22", "end": "2026-11-22"}).text
    names = re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', by_tech)
    assert sum(int(count) for _name, count in names) == 3
    assert {name for name, _count in names} <= {"刘师傅", "黄师傅"}
    earlier = client.get("/console/quality/scores", params={"start": "2026-11-01", "end": "2026-11-21"}).text
    assert 'id="no-scores"' in earlier
    bad = client.get("/console/quality/scores", params={"start": "2026-02-30", "end": "2026-11-01", "group": "x"})
    assert bad.status_code == 200
    assert _field_error(bad.text, "start") == "开始日期无效，请按 年-月-日 填写；已显示最近 30 天"
    assert 'id="start" name="start" value="2026-10-24"' in bad.text  # the default period instead
    assert '<th scope="row">刘师傅</th>' in bad.text or '<th scope="row">黄师傅</th>' in bad.text


def test_roles_outside_the_policy_get_the_refusal_page(
    client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory
) -> None:
    _world(db, clock, make_user)
    make_user(Role.AGENT, username="qagent")
    csrf = console_login(client, db, "qagent")
    for path in ("/console/quality", "/console/quality/scores", "/console/quality/rectifications"):
        reply = client.get(path)
        assert reply.status_code == 403 and "您的角色无权访问此页面" in reply.text, path
    refused = _draw(client, csrf)
    assert refused.status_code == 403 and _count(db, Sample) == 0
    assert "/console/quality" not in client.get("/console/tickets").text.split("<main")[0]


def test_the_pages_read_in_english(client: TestClient, db: Session, clock: FrozenClock, make_user: UserFactory) -> None:
    _world(db, clock, make_user)
    csrf, row = _sampled(client, db)
    switched = client.post("/console/language", data={"csrf_token": csrf, "locale": "en"}, follow_redirects=False)
    assert switched.status_code == 303
    workspace = client.get("/console/quality").text
    assert (
        "<h1>Quality workspace</h1>" in workspace
        and '<a href="/console/quality" aria-current="page">Quality</a>' in workspace
    )
    assert "<span>Regional inspection（20%）To inspect</span><strong>3</strong>" in workspace
    assert "20% for regional, 5% for HQ inspection" in workspace
    form = client.get(f"/console/quality/inspections/{row.id}").text
    assert '<label for="score-cleanliness">Site cleanliness（weight 15%）</label>' in form
    bad = client.post(f"/console/quality/inspections/{row.id}", data={"csrf_token": csrf, **POOR})
    assert bad.status_code == 422 and _field_error(bad.text, "findings") != "不合格时须填写问题描述"
    for path in ("/console/quality/rectifications", "/console/quality/scores", "/console/compensation"):
        assert client.get(path).status_code == 200, path
