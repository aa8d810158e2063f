"""Data for ``bench/scale.py``: 10,000,000 work orders over three years in a PostgreSQL database.

Built inside the server (``INSERT … SELECT`` over ``generate_series``, two connections in parallel on
halves of the id range) because 10 million tickets with their timelines are ~100 million rows: Python
row generation (``sweep_data``) manages ~5,000 tickets/s on this machine, the server ~10 times that.

What is reused, not redone: the schema is the project's (``aftersales.core.migrate.upgrade`` + the seeded
calendars and policies); the *open* tickets (the last days' work and a tail of stuck old ones, ~0.4 %)
come from ``sweep_data.make_ticket``, the generator whose SLA targets are exactly what the sweeps up to a
moment would have left (warned, breached, paused, ``next_check_at``). Closed and cancelled tickets — the
other 99.6 % — get their SLA targets from SQL functions that add open time on the seeded calendars
(7x24, and 08:00–20:00 every day in Asia/Shanghai); ``verify_targets`` checks a sample of them against
``sla.rules.plan_targets`` after the build and the build fails on any difference.

Rows: organisations (HQ, 4 regions, 2 service centres in each of 20 cities), users (agents, dispatcher,
managers, inspector, 1,200 technicians with their dispatch profiles), service points, 4,000,000
customers with one address and one installed product each, tickets (numbers per local day), their SLA
targets, their timelines (register, contact, check-in, progress, result, return visit, close, hold,
cancel, SLA warnings and breaches) and the return visits of resolved work.

The moment the data describe (``as_of``) is the build's start: open tickets are as the sweeps up to then
left them, so the first sweep afterwards finds what came due since.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import sweep_data
from common import CHANNELS, DESCRIPTIONS, GIVEN_NAMES, MOBILE_PREFIXES, PRODUCTS, SURNAMES
from sweep_data import BuildConfig, make_ticket, pg_admin, pg_conninfo

from aftersales.core import migrate
from aftersales.core.db import make_engine, make_session_factory, unit_of_work
from aftersales.sla import rules as sla_rules
from aftersales.sla.defaults import seed_defaults
from aftersales.triage.defaults import seed_rules

YEARS = 3
DAYS = 365 * YEARS
# province, city, (district, …), longitude, latitude, region index
CITIES = (
    ("广东省", "深圳市", ("南山区", "福田区", "宝安区", "龙岗区"), 114.06, 22.54, 1),
    ("广东省", "广州市", ("天河区", "海珠区", "白云区", "番禺区"), 113.26, 23.13, 1),
    ("广东省", "东莞市", ("南城街道", "东城街道", "长安镇"), 113.75, 23.02, 1),
    ("上海市", "上海市", ("浦东新区", "徐汇区", "闵行区", "静安区"), 121.47, 31.23, 0),
    ("江苏省", "南京市", ("鼓楼区", "玄武区", "江宁区"), 118.80, 32.06, 0),
    ("江苏省", "苏州市", ("姑苏区", "吴中区", "工业园区"), 120.58, 31.30, 0),
    ("浙江省", "杭州市", ("西湖区", "拱墅区", "滨江区", "余杭区"), 120.16, 30.27, 0),
    ("浙江省", "宁波市", ("海曙区", "鄞州区", "江北区"), 121.55, 29.87, 0),
    ("北京市", "北京市", ("朝阳区", "海淀区", "丰台区", "昌平区"), 116.40, 39.90, 2),
    ("天津市", "天津市", ("和平区", "南开区", "滨海新区"), 117.20, 39.08, 2),
    ("山东省", "济南市", ("历下区", "市中区", "槐荫区"), 117.00, 36.65, 2),
    ("山东省", "青岛市", ("市南区", "崂山区", "黄岛区"), 120.38, 36.07, 2),
    ("河北省", "石家庄市", ("长安区", "桥西区", "裕华区"), 114.51, 38.04, 2),
    ("四川省", "成都市", ("锦江区", "武侯区", "高新区", "双流区"), 104.07, 30.57, 3),
    ("重庆市", "重庆市", ("渝中区", "江北区", "渝北区"), 106.55, 29.56, 3),
    ("湖北省", "武汉市", ("江汉区", "武昌区", "洪山区"), 114.31, 30.59, 3),
    ("湖南省", "长沙市", ("岳麓区", "芙蓉区", "雨花区"), 112.94, 28.23, 3),
    ("陕西省", "西安市", ("雁塔区", "碑林区", "未央区"), 108.94, 34.34, 3),
    ("福建省", "厦门市", ("思明区", "湖里区", "集美区"), 118.09, 24.48, 1),
    ("河南省", "郑州市", ("金水区", "二七区", "中原区"), 113.63, 34.75, 2),
)
REGIONS = ("华东大区", "华南大区", "华北大区", "华中西南大区")
STREETS = ("人民路", "建设路", "中山路", "解放路", "和平路", "新华路", "长江路", "滨河路", "科技路", "文化路")
ESTATES = ("阳光花园", "锦绣家园", "翠湖苑", "星河湾", "幸福里", "金地名苑", "万科城", "华润城", "碧桂园", "世纪新城")
CENTRES_PER_CITY = 2
TECHNICIANS_PER_CENTRE = 30
AGENTS = 10
FIRST_CENTRE_ORG = 10
FIRST_MANAGER_USER = 100
FIRST_TECH_USER = 1000
# Local hour of day a request comes in, as a weighted table (the hotline is busiest 09:00–11:00 and 14:00–17:00).
HOUR_WEIGHTS = (1, 1, 0, 0, 0, 0, 1, 2, 5, 9, 10, 9, 6, 6, 8, 9, 9, 8, 6, 5, 4, 3, 2, 1)
NOTES = {
    "contact": ("已电话联系客户，约定上门时间", "已联系客户，远程指导处理", "客户已确认问题，安排师傅跟进"),
    "progress": ("师傅已出发", "等待配件到货", "已更换零部件，观察中"),
    "result": ("已上门处理，问题解决", "更换主板后恢复正常", "远程指导后恢复正常", "已完成安装调试"),
    "return_visit": ("客户表示满意", "客户认可处理结果", "回访已完成，客户无其他问题"),
    "close": ("工单闭环",),
    "cancel": ("客户自行解决，取消工单", "重复报单，取消"),
}
TAIL_OPEN_SHARE = 0.0005  # old tickets that never got finished (long breached, still open)


@dataclass(frozen=True)
class ScaleConfig:
    tickets: int
    customers: int
    seed: int
    as_of: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "tickets": self.tickets,
            "customers": self.customers,
            "seed": self.seed,
            "as_of": self.as_of.isoformat(),
        }


class OpenConfig(BuildConfig):
    """``sweep_data.BuildConfig`` whose previous sweep is the scale data's ``as_of``."""

    def __init__(self, tickets: int, customers: int, seed: int, as_of: datetime) -> None:
        super().__init__(tickets, 0, customers, 0.0, seed)
        object.__setattr__(self, "_as_of", as_of)

    @property
    def previous_sweep(self) -> datetime:
        return self._as_of  # type: ignore[attr-defined,no-any-return]


def log(message: str, started: float) -> None:
    print(f"# [{time.monotonic() - started:6.0f} s] {message}", file=sys.stderr, flush=True)


def sql_functions(seed: int) -> str:
    """Deterministic per-row randomness and calendar arithmetic, inlinable SQL functions."""
    return f"""
CREATE OR REPLACE FUNCTION scale_u(n bigint, salt int) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (hashint8extended(n, salt + {seed}) & 2147483647)::float8 / 2147483648.0 $$;

-- Open time added on the seeded service-hours calendar (08:00–20:00 every day, Asia/Shanghai, no DST),
-- as sla.rules.add_business_time: a remainder that ends exactly at 20:00 is due at 20:00.
CREATE OR REPLACE FUNCTION scale_add_service(t timestamptz, secs float8) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (
     date_trunc('day', t AT TIME ZONE 'Asia/Shanghai')
     + CASE WHEN date_part('hour', t AT TIME ZONE 'Asia/Shanghai') >= 20 THEN interval '1 day' ELSE interval '0' END
     + interval '8 hours'
     + (ceil((CASE WHEN date_part('hour', t AT TIME ZONE 'Asia/Shanghai') >= 20 THEN 0
                   ELSE greatest(date_part('epoch', (t AT TIME ZONE 'Asia/Shanghai')
                                 - date_trunc('day', t AT TIME ZONE 'Asia/Shanghai')) - 28800, 0) END + secs)
             / 43200.0) - 1) * interval '1 day'
     + ((CASE WHEN date_part('hour', t AT TIME ZONE 'Asia/Shanghai') >= 20 THEN 0
              ELSE greatest(date_part('epoch', (t AT TIME ZONE 'Asia/Shanghai')
                            - date_trunc('day', t AT TIME ZONE 'Asia/Shanghai')) - 28800, 0) END + secs)
        - (ceil((CASE WHEN date_part('hour', t AT TIME ZONE 'Asia/Shanghai') >= 20 THEN 0
                      ELSE greatest(date_part('epoch', (t AT TIME ZONE 'Asia/Shanghai')
                                    - date_trunc('day', t AT TIME ZONE 'Asia/Shanghai')) - 28800, 0) END + secs)
                / 43200.0) - 1) * 43200) * interval '1 second'
   ) AT TIME ZONE 'Asia/Shanghai' $$;

CREATE OR REPLACE FUNCTION scale_add(t timestamptz, secs float8, always_open boolean) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN always_open THEN t + secs * interval '1 second' ELSE scale_add_service(t, secs) END $$;

-- Share of a span used before a step happened: late_share of them overrun it (1.0–1.6).
CREATE OR REPLACE FUNCTION scale_fraction(n bigint, salt int, late_share float8) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN scale_u(n, salt) < late_share THEN 1.0 + 0.6 * scale_u(n, salt + 1)
               ELSE 0.05 + 0.9 * scale_u(n, salt + 1) END $$;
"""


def _array(values: list[Any]) -> str:
    def literal(value: Any) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, (int, float)):
            return repr(value)
        return "'" + str(value).replace("'", "''") + "'"

    return "(ARRAY[" + ", ".join(literal(v) for v in values) + "])"


def reference_sql(created: datetime) -> list[str]:
    """Organisations, people, service points and technicians' profiles."""
    at = f"'{created.isoformat()}'::timestamptz"
    statements = [
        f"INSERT INTO organisations (id, code, name, kind, parent_id, city, created_at) VALUES (1, 'HQ', '总部', 'hq', NULL, '深圳市', {at})"
    ]
    for index, name in enumerate(REGIONS):
        statements.append(
            f"INSERT INTO organisations (id, code, name, kind, parent_id, city, created_at)"
            f" VALUES ({2 + index}, 'R{index}', '{name}', 'region', 1, NULL, {at})"
        )
    people = [
        (1, "admin", "系统管理员", "admin", 1, None),
        *((1 + n, f"agent{n:02d}", f"坐席{n:02d}", "agent", 1, None) for n in range(1, AGENTS + 1)),
        (20, "dispatcher", "调度员", "dispatcher", 1, None),
        (21, "manager", "总部经理", "manager", 1, None),
        (22, "inspector", "质检员", "inspector", 1, None),
    ]
    for city_index, (_province, city, districts, lon, lat, region) in enumerate(CITIES):
        for centre in range(CENTRES_PER_CITY):
            centre_index = city_index * CENTRES_PER_CITY + centre
            org_id = FIRST_CENTRE_ORG + centre_index
            statements.append(
                f"INSERT INTO organisations (id, code, name, kind, parent_id, city, created_at) VALUES"
                f" ({org_id}, 'SC{centre_index:03d}', '{city}{districts[centre % len(districts)]}服务中心',"
                f" 'service_center', {2 + region}, '{city}', {at})"
            )
            statements.append(
                "INSERT INTO dispatch_service_points (organisation_id, kind, longitude, latitude, adcodes, radius_km,"
                " capacity_per_day, opens, closes, city_type) VALUES"
                f" ({org_id}, 'service_center', {lon + 0.05 * centre}, {lat + 0.03 * centre}, '[]', 40,"
                f" 200, '08:00', '20:00', 'urban')"
            )
            manager_id = FIRST_MANAGER_USER + centre_index
            people.append((manager_id, f"mgr{centre_index:03d}", f"{city}中心经理{centre}", "manager", org_id, 21))
            for tech in range(TECHNICIANS_PER_CENTRE):
                user_id = FIRST_TECH_USER + centre_index * TECHNICIANS_PER_CENTRE + tech
                people.append(
                    (user_id, f"tech{centre_index:03d}-{tech:02d}", f"师傅{user_id}", "technician", org_id, manager_id)
                )
    values = ", ".join(
        f"({uid}, '{name}', '{display}', '{role}', {org}, {'NULL' if sup is None else sup}, true, {at}, 0)"
        for uid, name, display, role, org, sup in people
    )
    statements.append(
        "INSERT INTO users (id, username, display_name, role, organisation_id, supervisor_id, is_active,"
        f" created_at, failed_logins) VALUES {values}"
    )
    statements.append(
        "INSERT INTO dispatch_technicians (user_id, home_longitude, home_latitude, skills, shift_start, shift_end,"
        " days_off, max_jobs_per_day, certificates)"
        " SELECT u.id, sp.longitude + (u.id % 7) * 0.01, sp.latitude + (u.id % 5) * 0.01,"
        " '[\"lock\", \"tablet\", \"appliance\"]', '08:00', '20:00', '[]', 8, '[]'"
        " FROM users u JOIN dispatch_service_points sp ON sp.organisation_id = u.organisation_id"
        " WHERE u.role = 'technician'"
    )
    return statements


def customers_sql(config: ScaleConfig, lo: int, hi: int) -> list[str]:
    """Customer ``c`` lives in city ``c % 20`` and owns product ``c % 8`` (ticket rows rely on both)."""
    created = f"'{(config.as_of - timedelta(days=DAYS + 30)).isoformat()}'::timestamptz"
    cities = len(CITIES)
    return [
        f"""INSERT INTO customers (id, name, phone, phone_kind, created_at)
SELECT c, {_array(list(SURNAMES))}[1 + (hashint4(c) & 1023) % {len(SURNAMES)}]
          || {_array(list(GIVEN_NAMES))}[1 + (hashint4(c + 7) & 1023) % {len(GIVEN_NAMES)}],
       {_array(MOBILE_PREFIXES)}[1 + c % {len(MOBILE_PREFIXES)}]
          || lpad((((c / {len(MOBILE_PREFIXES)})::bigint * 12345677) % 100000000)::text, 8, '0'),
       'mobile', {created}
FROM generate_series({lo}, {hi}) c""",
        f"""INSERT INTO addresses (id, customer_id, raw, province, city, district, adcode, detail, longitude, latitude,
                       created_at)
SELECT c, c, province || city || district || detail, province, city, district, NULL, detail,
       lon + ((hashint4(c) & 1023) - 512) / 5000.0, lat + ((hashint4(c + 1) & 1023) - 512) / 5000.0, {created}
FROM (SELECT c,
             {_array([p for p, *_ in CITIES])}[1 + c % {cities}] AS province,
             {_array([city for _, city, *_ in CITIES])}[1 + c % {cities}] AS city,
             {_array([lon for *_, lon, _, _ in CITIES])}[1 + c % {cities}] AS lon,
             {_array([lat for *_, lat, _ in CITIES])}[1 + c % {cities}] AS lat,
             {_array([d for _, _, ds, *_ in CITIES for d in (list(ds) + list(ds))[:4]])}
               [1 + (c % {cities}) * 4 + (c / {cities}) % 4] AS district,
             {_array(list(STREETS))}[1 + (c / 7) % {len(STREETS)}] || (1 + (c / 70) % 800) || '号'
               || {_array(list(ESTATES))}[1 + (c / 3) % {len(ESTATES)}] || (1 + c % 30) || '栋'
               || (1 + c % 4) || '单元' || (1 + c % 33) || lpad((1 + c % 8)::text, 2, '0') || '室' AS detail
      FROM generate_series({lo}, {hi}) c) a""",
        f"""INSERT INTO installed_products (id, customer_id, model, serial_number, purchase_date, warranty_end,
                                created_at)
SELECT c, c, model, replace(model, '-', '') || lpad(((c::bigint * 7919) % 10000000000)::text, 10, '0'),
       bought, bought + 730, {created}
FROM (SELECT c, {_array([m for m, _, _ in PRODUCTS])}[1 + c % {len(PRODUCTS)}] AS model,
             (DATE '{(config.as_of - timedelta(days=DAYS + 400)).date()}' + (hashint4(c) & 2047) % 1400) AS bought
      FROM generate_series({lo}, {hi}) c) p""",
    ]


def schedule_sql(config: ScaleConfig) -> str:
    """(id, number, reported_at) of every ticket, ids in registration order; volume grows over the years
    (twice as many a day at the end as at the start), with the hotline's hours of the day."""
    hours = [hour for hour, weight in enumerate(HOUR_WEIGHTS) for _ in range(weight)]
    first_day = (config.as_of.astimezone(ZoneInfo("Asia/Shanghai")) - timedelta(days=DAYS)).date()
    return f"""
CREATE UNLOGGED TABLE scale_sched AS
SELECT row_number() OVER (ORDER BY reported_at, g)::int AS id,
       'SH' || to_char(reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-'
         || lpad(row_number() OVER (PARTITION BY (reported_at AT TIME ZONE 'Asia/Shanghai')::date
                                    ORDER BY reported_at, g)::text, 6, '0') AS number,
       reported_at
FROM (SELECT g, CASE WHEN t < '{config.as_of.isoformat()}' THEN t ELSE t - interval '1 day' END AS reported_at
      FROM (SELECT g, ((DATE '{first_day}' + floor((sqrt(1 + 3 * scale_u(g, 11)) - 1) * {DAYS})::int)
                       + {_array(hours)}[1 + floor(scale_u(g, 12) * {len(hours)})::int] * interval '1 hour'
                       + floor(scale_u(g, 13) * 3600) * interval '1 second') AT TIME ZONE 'Asia/Shanghai' AS t
            FROM generate_series(1, {config.tickets}) g) x) y"""


WORK_COLUMNS = """id int, number text, reported_at timestamptz, kind text, priority text, status text, channel text,
 customer_id int, description_index int, technician_id int, organisation_id int, agent_id int,
 contact_at timestamptz, checkin_at timestamptz, progress_at timestamptz, resolved_at timestamptz,
 visited_at timestamptz, closed_at timestamptz, cancel_at timestamptz, hold_at timestamptz,
 fr_warn timestamptz, fr_due timestamptz, on_warn timestamptz, on_due timestamptz,
 res_warn timestamptz, res_due timestamptz, is_open boolean"""


def work_sql(config: ScaleConfig, calendars: dict[str, int], lo: int, hi: int) -> str:
    """Every ticket's facts as if its loop were complete (closed or cancelled); ``is_open`` marks those
    whose loop would end after ``as_of`` (and a small tail of old ones that never ended)."""
    del calendars
    kinds = [kind for _, kind, _ in DESCRIPTIONS]
    priorities = [priority for _, _, priority in DESCRIPTIONS]
    cities = len(CITIES)
    centres = CENTRES_PER_CITY * TECHNICIANS_PER_CENTRE
    as_of = f"'{config.as_of.isoformat()}'::timestamptz"
    return f"""
INSERT INTO scale_work
SELECT id, number, reported_at, kind, priority, status, channel, customer_id, description_index,
       technician_id, organisation_id, agent_id,
       contact_at, checkin_at, progress_at, resolved_at, visited_at, closed_at, cancel_at, NULL,
       fr_warn, fr_due, on_warn, on_due, res_warn, res_due,
       coalesce(closed_at, cancel_at) > {as_of} - interval '1 minute'
         OR (scale_u(id, 90) < {TAIL_OPEN_SHARE} AND reported_at < {as_of} - interval '5 days')
FROM (
  SELECT s.id, s.number, s.reported_at, d.kind, d.priority, d.description_index, d.customer_id,
         {_array(list(CHANNELS))}[1 + floor(scale_u(s.id, 3) * {len(CHANNELS)})::int] AS channel,
         CASE WHEN c.cancelled THEN 'cancelled' ELSE 'closed' END AS status,
         CASE WHEN c.contacted THEN {FIRST_TECH_USER} + (d.customer_id % {cities}) * {centres}
              + floor(scale_u(s.id, 4) * {centres})::int END AS technician_id,
         CASE WHEN c.contacted THEN {FIRST_CENTRE_ORG} + (d.customer_id % {cities}) * {CENTRES_PER_CITY}
              + floor(scale_u(s.id, 4) * {centres})::int / {TECHNICIANS_PER_CENTRE} END AS organisation_id,
         2 + floor(scale_u(s.id, 5) * {AGENTS})::int AS agent_id,
         CASE WHEN c.contacted THEN t.contact_at END AS contact_at,
         CASE WHEN NOT c.cancelled AND d.kind IN ('installation', 'repair') THEN t.checkin_at END AS checkin_at,
         CASE WHEN NOT c.cancelled AND scale_u(s.id, 6) < 0.5 THEN t.contact_at + (t.resolved_at - t.contact_at) * 0.6
              END AS progress_at,
         CASE WHEN NOT c.cancelled THEN t.resolved_at END AS resolved_at,
         CASE WHEN NOT c.cancelled THEN t.visited_at END AS visited_at,
         CASE WHEN NOT c.cancelled THEN t.visited_at + (5 + scale_u(s.id, 7) * 600) * interval '1 minute'
              END AS closed_at,
         CASE WHEN c.cancelled THEN c.cancel_at END AS cancel_at,
         p.fr_warn, p.fr_due, p.on_warn, p.on_due, p.res_warn, p.res_due
  FROM scale_sched s
  CROSS JOIN LATERAL (
    SELECT di AS description_index,
           {_array(kinds)}[di] AS kind,
           CASE WHEN {_array(priorities)}[di] = 'routine' AND scale_u(s.id, 8) < 0.15 THEN 'complex'
                ELSE {_array(priorities)}[di] END AS priority,
           1 + floor(scale_u(s.id, 9) * {config.customers})::int AS customer_id
    FROM (SELECT 1 + floor(scale_u(s.id, 2) * {len(DESCRIPTIONS)})::int AS di OFFSET 0) x OFFSET 0
  ) d
  CROSS JOIN LATERAL (
    SELECT scale_add(s.reported_at, CASE d.priority WHEN 'urgent' THEN 1440 ELSE 34560 END, d.priority = 'urgent') AS fr_warn,
           scale_add(s.reported_at, CASE d.priority WHEN 'urgent' THEN 1800 ELSE 43200 END, d.priority = 'urgent') AS fr_due,
           CASE WHEN d.priority = 'urgent' AND d.kind IN ('installation', 'repair')
                THEN s.reported_at + interval '96 minutes' END AS on_warn,
           CASE WHEN d.priority = 'urgent' AND d.kind IN ('installation', 'repair')
                THEN s.reported_at + interval '120 minutes' END AS on_due,
           scale_add(s.reported_at, CASE d.priority WHEN 'complex' THEN 138240 ELSE 69120 END, d.priority = 'urgent') AS res_warn,
           scale_add(s.reported_at, CASE d.priority WHEN 'complex' THEN 172800 ELSE 86400 END, d.priority = 'urgent') AS res_due
    OFFSET 0
  ) p
  CROSS JOIN LATERAL (
    SELECT contact_at, checkin_at, resolved_at,
           -- The return visit: the next day at 10:00 local time, a complaint two hours after the result.
           CASE WHEN d.kind = 'complaint' THEN resolved_at + interval '2 hours'
                ELSE ((resolved_at AT TIME ZONE 'Asia/Shanghai')::date + 1 + time '10:00') AT TIME ZONE 'Asia/Shanghai'
                END + scale_u(s.id, 24) * interval '3 hours' AS visited_at
    FROM (
      SELECT contact_at, checkin_at,
             greatest(s.reported_at + (p.res_due - s.reported_at) * scale_fraction(s.id, 22, 0.08),
                      coalesce(checkin_at, contact_at) + (10 + scale_u(s.id, 23) * 110) * interval '1 minute')
               AS resolved_at
      FROM (
        SELECT contact_at,
               CASE WHEN d.kind IN ('installation', 'repair') THEN
                 contact_at + (coalesce(p.on_due, p.res_due) - s.reported_at)
                              * scale_fraction(s.id, 20, CASE WHEN p.on_due IS NULL THEN 0 ELSE 0.1 END) * 0.5
               END AS checkin_at
        FROM (SELECT s.reported_at + (p.fr_due - s.reported_at) * scale_fraction(s.id, 18, 0.06) AS contact_at
              OFFSET 0) a
        OFFSET 0
      ) b
      OFFSET 0
    ) e
    OFFSET 0
  ) t
  CROSS JOIN LATERAL (
    SELECT cancelled, cancel_at, NOT cancelled OR t.contact_at < cancel_at AS contacted
    FROM (SELECT scale_u(s.id, 30) < 0.05 AS cancelled,
                 s.reported_at + (p.res_due - s.reported_at) * (0.02 + 0.38 * scale_u(s.id, 31)) AS cancel_at
          OFFSET 0) z
    OFFSET 0
  ) c
  WHERE s.id BETWEEN {lo} AND {hi}
  OFFSET 0
) w"""


def open_rows(
    connection: psycopg.Connection[Any], config: ScaleConfig, policies: dict[str, Any]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Tickets, targets and the facts for their timelines of every open ticket, from
    ``sweep_data.make_ticket`` (as the sweeps up to ``as_of`` left them)."""
    del policies
    open_config = OpenConfig(config.tickets, config.customers, config.seed, config.as_of)
    sweep_data.TECHNICIANS.clear()
    for city in range(len(CITIES)):
        for centre in range(CENTRES_PER_CITY):
            for tech in range(TECHNICIANS_PER_CENTRE):
                centre_index = city * CENTRES_PER_CITY + centre
                user = FIRST_TECH_USER + centre_index * TECHNICIANS_PER_CENTRE + tech
                sweep_data.TECHNICIANS.append((user, FIRST_CENTRE_ORG + centre_index))
    rng = random.Random(config.seed + 5)
    tickets, targets, facts = [], [], []
    rows = connection.execute(
        "SELECT id, number, reported_at, customer_id, agent_id FROM scale_work WHERE is_open ORDER BY id"
    ).fetchall()
    for ticket_id, number, reported, customer_id, agent_id in rows:
        ticket, ticket_targets = make_ticket(rng, ticket_id, number, reported, True, open_config)
        row = dict(zip(sweep_data.TICKET_COLUMNS, ticket, strict=True))
        model_index = PRODUCTS.index(next(p for p in PRODUCTS if p[0] == row["product_model"]))
        customer = max(1, (customer_id // len(PRODUCTS)) * len(PRODUCTS) + model_index)
        customer = customer if customer <= config.customers else customer - len(PRODUCTS)
        row["customer_id"] = customer
        row["address_id"] = customer
        row["installed_product_id"] = customer
        row["created_by_id"] = agent_id
        if row["assignee_id"] is not None:  # a technician of a service centre in the customer's city
            centre = (customer % len(CITIES)) * CENTRES_PER_CITY + rng.randrange(CENTRES_PER_CITY)
            row["assignee_id"] = (
                FIRST_TECH_USER + centre * TECHNICIANS_PER_CENTRE + rng.randrange(TECHNICIANS_PER_CENTRE)
            )
            row["organisation_id"] = FIRST_CENTRE_ORG + centre
        tickets.append(tuple(row[column] for column in sweep_data.TICKET_COLUMNS))
        targets.extend(ticket_targets)
        by_kind = {target[1]: dict(zip(sweep_data.TARGET_COLUMNS, target, strict=True)) for target in ticket_targets}
        status = row["status"]
        resolved = row["resolved_at"]
        onsite = by_kind.get("onsite", {}).get("met_at")
        hold = by_kind["resolution"]["paused_since"]
        visited = resolved + (config.as_of - resolved) * 0.5 if status == "visited" and resolved else None
        facts.append(
            (
                ticket_id,
                status,
                row["kind"],
                row["priority"],
                customer,
                row["assignee_id"],
                row["organisation_id"],
                row["first_contact_at"],
                onsite,
                resolved,
                visited,
                hold,
            )
        )
    return tickets, targets, facts


def events_sql(lo: int, hi: int) -> str:
    """Timeline events of tickets ``lo``–``hi`` from their facts, and the SLA warnings and breaches from
    their targets. Users: agents register, contact and visit; technicians check in and report results."""
    notes = {key: _array(list(values)) for key, values in NOTES.items()}

    def note(kind: str, salt: int) -> str:
        return f"{notes[kind]}[1 + floor(scale_u(w.id, {salt}) * {len(NOTES[kind])})::int]"

    agent = "w.agent_id, 'agent' || lpad((w.agent_id - 1)::text, 2, '0')"
    tech = (
        f"w.technician_id, 'tech' || lpad(((w.technician_id - {FIRST_TECH_USER}) / {TECHNICIANS_PER_CENTRE})::text, 3, '0')"
        f" || '-' || lpad(((w.technician_id - {FIRST_TECH_USER}) % {TECHNICIANS_PER_CENTRE})::text, 2, '0')"
    )
    return f"""
INSERT INTO ticket_events (ticket_id, type, at, recorded_at, actor_id, actor_name, note, from_status, to_status, data)
SELECT w.id, e.type, e.at, e.at, e.actor_id, e.actor_name, e.note, e.from_status, e.to_status, NULL
FROM scale_work w
CROSS JOIN LATERAL (VALUES
  ('register', w.reported_at, {agent}, NULL, NULL, 'registered'),
  ('contact', w.contact_at, {agent}, {note("contact", 40)}, 'registered', 'in_progress'),
  ('check_in', w.checkin_at, {tech}, NULL, NULL, NULL),
  ('progress', w.progress_at, {tech}, {note("progress", 41)}, NULL, NULL),
  ('hold', w.hold_at, {agent}, '等待配件', 'in_progress', 'on_hold'),
  ('result', w.resolved_at, {tech}, {note("result", 42)}, 'in_progress', 'resolved'),
  ('return_visit', w.visited_at, {agent}, {note("return_visit", 43)}, 'resolved', 'visited'),
  ('close', w.closed_at, {agent}, {note("close", 44)}, 'visited', 'closed'),
  ('cancel', w.cancel_at, {agent}, {note("cancel", 45)},
     CASE WHEN w.contact_at IS NULL THEN 'registered' ELSE 'in_progress' END, 'cancelled')
) AS e(type, at, actor_id, actor_name, note, from_status, to_status)
WHERE w.id BETWEEN {lo} AND {hi} AND e.at IS NOT NULL;
INSERT INTO ticket_events (ticket_id, type, at, recorded_at, actor_id, actor_name, note, from_status, to_status, data)
SELECT t.ticket_id, e.type, e.at, e.at, NULL, 'system', NULL, NULL, NULL,
       jsonb_build_object('target', t.kind, 'due_at', t.due_at)
FROM sla_targets t
CROSS JOIN LATERAL (VALUES ('sla_warning', t.warned_at), ('sla_breached', t.breached_at)) AS e(type, at)
WHERE t.ticket_id BETWEEN {lo} AND {hi} AND e.at IS NOT NULL"""


def closed_tickets_sql(config: ScaleConfig, calendars: dict[str, int], lo: int, hi: int) -> str:
    products = {model: name for model, name, _ in PRODUCTS}
    templates = [template for template, _, _ in DESCRIPTIONS]
    models = [model for model, _, _ in PRODUCTS]
    names = [products[m] for m in models]
    del config
    met = """CASE WHEN w.status = 'cancelled' THEN
               (CASE x.kind WHEN 'first_response' THEN coalesce(w.contact_at, w.cancel_at) ELSE w.cancel_at END)
             ELSE (CASE x.kind WHEN 'first_response' THEN w.contact_at WHEN 'onsite' THEN w.checkin_at
                   ELSE w.resolved_at END) END"""
    return f"""
INSERT INTO tickets (id, number, kind, priority, status, channel, customer_id, address_id, installed_product_id,
                     product_model, description, external_id, reported_at, created_at, updated_at, created_by_id,
                     assignee_id, organisation_id, sla_state, first_contact_at, resolved_at, closed_at,
                     reopen_count, triage, version)
SELECT w.id, w.number, w.kind, w.priority, w.status, w.channel, w.customer_id, w.customer_id, w.customer_id,
       {_array(models)}[1 + w.customer_id % {len(models)}],
       replace({_array(templates)}[w.description_index], '{{p}}', {_array(names)}[1 + w.customer_id % {len(models)}]),
       CASE WHEN w.channel = 'api' THEN 'CRM-' || w.id END,
       w.reported_at, w.reported_at, coalesce(w.closed_at, w.cancel_at), w.agent_id,
       w.technician_id, w.organisation_id,
       CASE WHEN coalesce(w.contact_at, w.cancel_at) >= w.fr_due
              OR (w.on_due IS NOT NULL AND coalesce(w.checkin_at, w.cancel_at) >= w.on_due)
              OR coalesce(w.resolved_at, w.cancel_at) >= w.res_due THEN 'breached' ELSE 'met' END,
       w.contact_at, w.resolved_at, w.closed_at, 0, NULL,
       CASE WHEN w.status = 'cancelled' THEN 2 ELSE 6 + (w.progress_at IS NOT NULL)::int END
FROM scale_work w
WHERE w.id BETWEEN {lo} AND {hi} AND NOT w.is_open;
INSERT INTO sla_targets (ticket_id, kind, calendar_id, started_at, duration_seconds, warning_ratio, paused_seconds,
                         paused_since, warn_at, due_at, warned_at, breached_at, met_at, state, next_check_at)
SELECT w.id, x.kind, CASE WHEN w.priority = 'urgent' THEN {calendars["7x24"]} ELSE {calendars["service_hours"]} END,
       w.reported_at, x.duration, 0.8, 0, NULL, x.warn_at, x.due_at,
       CASE WHEN x.warn_at <= m.met_at THEN x.warn_at END,
       CASE WHEN x.due_at <= m.met_at THEN x.due_at END,
       m.met_at,
       CASE WHEN x.due_at <= m.met_at THEN 'breached' ELSE 'met' END,
       NULL
FROM scale_work w
CROSS JOIN LATERAL (VALUES
  ('first_response', CASE w.priority WHEN 'urgent' THEN 1800 ELSE 43200 END, w.fr_warn, w.fr_due),
  ('onsite', 7200, w.on_warn, w.on_due),
  ('resolution', CASE w.priority WHEN 'complex' THEN 172800 ELSE 86400 END, w.res_warn, w.res_due)
) AS x(kind, duration, warn_at, due_at)
CROSS JOIN LATERAL (SELECT {met} AS met_at) m
WHERE w.id BETWEEN {lo} AND {hi} AND NOT w.is_open AND x.due_at IS NOT NULL"""


def visits_sql(lo: int, hi: int) -> str:
    """The return visit of every result: done for visited and closed tickets, scheduled for the rest."""
    return f"""
INSERT INTO feedback_visits (ticket_id, resolution_at, status, due_at, attempts, last_attempt_at, completed_at,
                             outcome, link_nonce, link_expires_at, link_used_at, created_at)
SELECT w.id, w.resolved_at, CASE WHEN w.visited_at IS NULL THEN 'scheduled' ELSE 'done' END, v.due_at,
       (w.visited_at IS NOT NULL)::int, w.visited_at, w.visited_at,
       CASE WHEN w.visited_at IS NOT NULL THEN '客户满意' END,
       substr(md5(w.id::text), 1, 16), v.due_at + interval '7 days', NULL, w.resolved_at
FROM scale_work w
CROSS JOIN LATERAL (
  SELECT CASE WHEN w.kind = 'complaint' THEN w.resolved_at + interval '2 hours'
              ELSE ((w.resolved_at AT TIME ZONE 'Asia/Shanghai')::date + 1 + time '10:00') AT TIME ZONE 'Asia/Shanghai'
              END AS due_at) v
WHERE w.id BETWEEN {lo} AND {hi} AND w.resolved_at IS NOT NULL"""


def parallel(url: str, statements: list[str], started: float, label: str) -> None:
    """Run each statement on a connection of its own, all at once (one per core)."""
    errors: list[BaseException] = []

    def run(sql: str) -> None:
        try:
            with psycopg.connect(**pg_conninfo(url), autocommit=True) as connection:
                connection.execute("SET session_replication_role = replica")  # no FK triggers while loading
                connection.execute("SET synchronous_commit = off")
                connection.execute("SET work_mem = '256MB'")
                for part in sql.split(";\n"):
                    connection.execute(part)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(sql,)) for sql in statements]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    log(label, started)


def halves(first: int, last: int, parts: int = 2) -> list[tuple[int, int]]:
    size = (last - first + parts) // parts
    return [(first + i * size, min(last, first + (i + 1) * size - 1)) for i in range(parts)]


def secondary_indexes(connection: psycopg.Connection[Any], tables: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(kind, name, statement to recreate) of every index and unique constraint but the primary keys."""
    found: list[tuple[str, str, str]] = []
    for table in tables:
        for name, definition in connection.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass"
            " AND contype = 'u'",
            (table,),
        ):
            found.append(("constraint", name, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
        for name, definition in connection.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN"
            " (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            (table, table),
        ):
            found.append(("index", name, definition))
    return found


def drop_indexes(connection: psycopg.Connection[Any], indexes: list[tuple[str, str, str]]) -> None:
    for kind, name, statement in indexes:
        table = statement.split(" ON ")[1].split()[0] if kind == "index" else statement.split()[2]
        if kind == "constraint":
            connection.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        else:
            connection.execute(f'DROP INDEX "{name}"')


BIG_TABLES = (
    "customers",
    "addresses",
    "installed_products",
    "tickets",
    "sla_targets",
    "ticket_events",
    "feedback_visits",
)


def build(config: ScaleConfig, url: str) -> dict[str, Any]:
    """Drop and rebuild the database of ``url`` with the scale data; returns facts about it."""
    started = time.monotonic()
    name = pg_conninfo(url)["dbname"]
    with pg_admin(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(url)
    migrate.upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        seed_defaults(session)
        seed_rules(session)
    sweep_data.load_policies(engine)
    engine.dispose()
    log("schema at head, defaults seeded", started)

    with psycopg.connect(**pg_conninfo(url), autocommit=True) as connection:
        connection.execute("SET session_replication_role = replica")
        calendars = dict(connection.execute("SELECT code, id FROM sla_calendars").fetchall())
        connection.execute(sql_functions(config.seed))
        indexes = secondary_indexes(connection, BIG_TABLES)
        drop_indexes(connection, indexes)
        for statement in reference_sql(config.as_of - timedelta(days=DAYS + 60)):
            connection.execute(statement)
        connection.execute(f"COMMENT ON DATABASE \"{name}\" IS '{json.dumps(config.as_dict())}'")
        log(f"reference data; dropped {len(indexes)} secondary indexes for the load", started)
    parallel(
        url,
        [";\n".join(customers_sql(config, lo, hi)) for lo, hi in halves(1, config.customers)],
        started,
        f"{config.customers:,} customers, addresses, installed products",
    )
    with psycopg.connect(**pg_conninfo(url), autocommit=True) as connection:
        connection.execute("SET work_mem = '1GB'")
        connection.execute(schedule_sql(config))
        connection.execute(f"CREATE UNLOGGED TABLE scale_work ({WORK_COLUMNS})")
    log("schedule", started)
    parallel(url, [work_sql(config, calendars, lo, hi) for lo, hi in halves(1, config.tickets)], started, "work")
    with psycopg.connect(**pg_conninfo(url), autocommit=True) as connection:
        connection.execute("CREATE INDEX ON scale_work (id)")
        connection.execute("ANALYZE scale_work")
        tickets, targets, facts = open_rows(connection, config, sweep_data.POLICIES)
        log(f"{len(tickets):,} open tickets from sweep_data.make_ticket", started)
        connection.execute("SET session_replication_role = replica")
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY tickets ({', '.join(sweep_data.TICKET_COLUMNS)}) FROM STDIN") as copy:
                for row in tickets:
                    copy.write_row(row)
            with cursor.copy(f"COPY sla_targets ({', '.join(sweep_data.TARGET_COLUMNS)}) FROM STDIN") as copy:
                for row in targets:
                    copy.write_row(row)
            cursor.execute(
                "CREATE TEMP TABLE open_facts (id int, status text, kind text, priority text, customer_id int,"
                " technician_id int, organisation_id int, contact_at timestamptz, checkin_at timestamptz,"
                " resolved_at timestamptz, visited_at timestamptz, hold_at timestamptz)"
            )
            with cursor.copy("COPY open_facts FROM STDIN") as copy:
                for row in facts:
                    copy.write_row(row)
            cursor.execute(
                "UPDATE scale_work w SET status = f.status, kind = f.kind, priority = f.priority,"
                " customer_id = f.customer_id, technician_id = f.technician_id, organisation_id = f.organisation_id,"
                " contact_at = f.contact_at, checkin_at = f.checkin_at, progress_at = NULL,"
                " resolved_at = f.resolved_at, visited_at = f.visited_at, closed_at = NULL, cancel_at = NULL,"
                " hold_at = f.hold_at FROM open_facts f WHERE w.id = f.id"
            )
    parallel(
        url,
        [closed_tickets_sql(config, calendars, lo, hi) for lo, hi in halves(1, config.tickets)],
        started,
        "closed tickets and their SLA targets",
    )
    parallel(url, [events_sql(lo, hi) for lo, hi in halves(1, config.tickets)], started, "timelines")
    parallel(url, [visits_sql(lo, hi) for lo, hi in halves(1, config.tickets)], started, "return visits")
    with psycopg.connect(**pg_conninfo(url), autocommit=True) as connection:
        connection.execute(
            "INSERT INTO ticket_number_sequences (day, last_value)"
            " SELECT substr(number, 3, 8), max(substr(number, 12)::int) FROM scale_sched GROUP BY 1"
        )
        for table in (
            "organisations",
            "users",
            "customers",
            "addresses",
            "installed_products",
            "tickets",
            "sla_targets",
            "ticket_events",
            "feedback_visits",
        ):
            connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        verified = verify_targets(connection)
        log(f"SLA targets of {verified} sampled closed tickets agree with sla.rules.plan_targets", started)
        connection.execute("DROP TABLE scale_sched")
        connection.execute("DROP TABLE scale_work")
    recreate_indexes(url, indexes, started)
    with psycopg.connect(**pg_conninfo(url), autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")
        log("VACUUM ANALYZE", started)
        facts_found = database_facts(connection)
    facts_found["build_s"] = round(time.monotonic() - started, 1)
    return facts_found


def recreate_indexes(url: str, indexes: list[tuple[str, str, str]], started: float) -> None:
    """Build the dropped indexes, two at a time (one per core; each may use parallel workers too)."""
    pending = list(indexes)
    lock = threading.Lock()

    def worker() -> None:
        with psycopg.connect(**pg_conninfo(url), autocommit=True) as connection:
            connection.execute("SET maintenance_work_mem = '1GB'")
            while True:
                with lock:
                    if not pending:
                        return
                    _kind, name, statement = pending.pop(0)
                begun = time.monotonic()
                connection.execute(statement)
                log(f"index {name} in {time.monotonic() - begun:.0f} s", started)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def verify_targets(connection: psycopg.Connection[Any], sample: int = 2000) -> int:
    """Recompute the SLA targets of a sample of closed tickets with ``sla.rules.plan_targets`` and compare."""
    rows = connection.execute(
        "SELECT t.id, t.kind, t.priority, t.reported_at, s.kind, s.warn_at, s.due_at FROM tickets t"
        " JOIN sla_targets s ON s.ticket_id = t.id"
        " WHERE t.id IN (SELECT id FROM scale_work WHERE NOT is_open AND scale_u(id, 99) < %s)",
        (sample / 10_000_000,),
    ).fetchall()
    found: dict[int, dict[str, tuple[datetime, datetime]]] = {}
    meta: dict[int, tuple[str, str, datetime]] = {}
    for ticket_id, kind, priority, reported, target_kind, warn_at, due_at in rows:
        found.setdefault(ticket_id, {})[target_kind] = (warn_at, due_at)
        meta[ticket_id] = (kind, priority, reported)
    for ticket_id, (kind, priority, reported) in meta.items():
        policy = sweep_data.POLICIES[priority]
        plans = sla_rules.plan_targets(policy.spec, policy.calendar, start=reported, ticket_kind=kind)
        expected = {plan.kind.value: (plan.warn_at, plan.due_at) for plan in plans}
        if expected != found[ticket_id]:
            raise SystemExit(f"ticket {ticket_id}: targets {found[ticket_id]} != plan_targets {expected}")
    return len(meta)


def database_facts(connection: psycopg.Connection[Any]) -> dict[str, Any]:
    def one(sql: str) -> Any:
        return connection.execute(sql).fetchone()[0]  # type: ignore[index]

    facts: dict[str, Any] = {
        table: one(f"SELECT reltuples::bigint FROM pg_class WHERE relname = '{table}'") for table in (*BIG_TABLES,)
    }
    facts["tickets_exact"] = one("SELECT count(*) FROM tickets")
    facts["open_tickets"] = one("SELECT count(*) FROM tickets WHERE status NOT IN ('closed', 'cancelled')")
    facts["reported_between"] = [
        str(v) for v in connection.execute("SELECT min(reported_at), max(reported_at) FROM tickets").fetchone()
    ]  # type: ignore[union-attr]
    facts["database_bytes"] = one("SELECT pg_database_size(current_database())")
    facts["database_size"] = one("SELECT pg_size_pretty(pg_database_size(current_database()))")
    return facts


def stored_config(connection: psycopg.Connection[Any]) -> dict[str, Any] | None:
    """The build's parameters, kept as the database's comment."""
    comment = connection.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()"
    ).fetchone()
    return json.loads(comment[0]) if comment and comment[0] else None


def now_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)
