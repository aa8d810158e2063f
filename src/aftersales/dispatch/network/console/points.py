"""Service points: the list, a new point (with its organisation), editing a point's area, capacity and
hours, and assigning technicians to it. The districts offered are those cpca knows under the city (an
HTMX fragment follows the city typed); codes it does not know may be typed in."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from aftersales.accounts.enums import OrganisationKind
from aftersales.accounts.models import Organisation
from aftersales.core.errors import DomainError, InvalidInputError
from aftersales.core.i18n import N_
from aftersales.customers import geo
from aftersales.dispatch.network import directory
from aftersales.dispatch.network.console.common import (
    ORGANISATION_KINDS,
    Admin,
    clip,
    labels,
    number,
    service_fields,
    words,
)
from aftersales.dispatch.network.models import ServicePoint
from aftersales.dispatch.network.schemas import ServicePointWrite
from aftersales.web.deps import ClockDep, SessionDep, commit
from aftersales.web.forms import pydantic_fields
from aftersales.web.messages import domain_message
from aftersales.web.pages import form_errors, redirect
from aftersales.web.templating import gettext_for, render

router = APIRouter(prefix="/console/network")
_ADCODE = re.compile(r"^\d{6}$")
POINT_FIELDS = ("kind", "longitude", "latitude", "other_adcodes", "radius_km", "capacity_per_day", "city_type")
NEW_FIELDS = ("code", "name", "organisation_kind", "parent", "city")


@router.get("")
def points(request: Request, session: SessionDep, signed: Admin) -> Response:
    """Every service point: where it is, the districts or radius it serves, capacity, hours, technicians."""
    context = labels() | {
        "rows": directory.list_points(session),
        "waiting": directory.organisations_without_point(session),
        "saved": clip(request.query_params.get("saved")),
    }
    return render(request, "network/points.html", context)


@router.get("/districts")
def districts(
    request: Request,
    signed: Admin,
    city: Annotated[str, Query(max_length=64)] = "",
    adcodes: Annotated[list[str] | None, Query(max_length=100)] = None,
) -> Response:
    """The district checkboxes of a city (the new-point form asks for them when the city is typed)."""
    context = labels() | {"districts": geo.districts_of(clip(city)), "values": {"adcodes": adcodes or []}}
    return render(request, "network/_districts.html", context)


def _point_values(point: ServicePoint | None) -> dict[str, Any]:
    if point is None:
        return {
            "kind": "service_center",
            "city_type": "urban",
            "capacity_per_day": "50",
            "opens": "08:00",
            "closes": "20:00",
            "adcodes": [],
            "radius_km": "",
            "longitude": "",
            "latitude": "",
        }
    return {
        "kind": point.kind,
        "longitude": str(point.longitude),
        "latitude": str(point.latitude),
        "adcodes": list(point.adcodes or []),
        "radius_km": str(point.radius_km) if point.radius_km is not None else "",
        "capacity_per_day": str(point.capacity_per_day),
        "city_type": point.city_type,
        "opens": point.opens,
        "closes": point.closes,
    }


def _form_page(
    request: Request,
    session: Session,
    *,
    organisation: Organisation | None,
    values: Mapping[str, Any],
    errors: Mapping[str, str] | None = None,
    message: str | None = None,
    assigned: str | None = None,
    created: bool = False,
    status: int = 200,
) -> Response:
    city = organisation.city if organisation is not None else values.get("city", "")
    known = geo.districts_of(city or "")
    known_codes = {district.adcode for district in known}
    chosen = list(values.get("adcodes", []))
    context = labels() | {
        "organisation": organisation,
        "values": {
            **values,
            "other_adcodes": values.get("other_adcodes")
            or " ".join(code for code in chosen if code not in known_codes),
        },
        "districts": known,
        "errors": errors or {},
        "message": message,
        "parents": directory.parent_organisations(session) if organisation is None else [],
        "people": directory.field_users(session, organisation_id=organisation.id) if organisation else [],
        "others": [
            user
            for user, _ in directory.field_users(session)
            if organisation is None or user.organisation_id != organisation.id
        ],
        "assigned": assigned,
        "created": created,
    }
    return render(request, "network/point.html", context, status_code=status)


@router.get("/new")
def new_point(request: Request, session: SessionDep, signed: Admin) -> Response:
    """The form for a new service point and the organisation it belongs to."""
    values = _point_values(None) | {
        "organisation_kind": "service_center",
        "parent": "",
        "code": "",
        "name": "",
        "city": "",
    }
    return _form_page(request, session, organisation=None, values=values)


@router.get("/points/{organisation_code}")
def point_page(request: Request, session: SessionDep, signed: Admin, organisation_code: str) -> Response:
    """A service point's form (empty for an organisation without one yet) and its technicians."""
    organisation, point = directory.point_of(session, organisation_code)
    assigned = clip(request.query_params.get("assigned")) or None
    created = request.query_params.get("created") == "1"
    return _form_page(
        request, session, organisation=organisation, values=_point_values(point), assigned=assigned, created=created
    )


def _typed(form: FormData, names: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {name: clip(form.get(name), 200) for name in names}
    values["opens"], values["closes"] = clip(form.get("opens"), 5), clip(form.get("closes"), 5)
    values["adcodes"] = [clip(code, 12) for code in form.getlist("adcodes")][:100]
    return values


def _write(values: dict[str, Any], city: str, errors: dict[str, str], _: Any) -> ServicePointWrite | None:
    """The typed point as the service's input, or None with ``errors`` saying what is wrong with it."""
    longitude, latitude = number(values["longitude"]), number(values["latitude"])
    if not values["longitude"] and not values["latitude"]:
        # Left blank: the city centre cpca knows (the point can be moved later).
        centre = geo.parse_address(city) if city else None
        longitude, latitude = (centre.longitude, centre.latitude) if centre else (None, None)
        if longitude is None:
            errors["longitude"] = _("请填写坐标，或填写系统能识别的城市")
    elif longitude is None or latitude is None:
        errors["longitude"] = _("经度和纬度都请填写数字")
    extra = words(values["other_adcodes"])
    if any(not _ADCODE.match(code) for code in extra):
        errors["other_adcodes"] = _("区县编码为 6 位数字，多个用空格或逗号分隔")
    radius = number(values["radius_km"]) if values["radius_km"] else None
    if values["radius_km"] and (radius is None or not 0 < radius <= 200):
        errors["radius_km"] = _("服务半径应在 0 到 200 公里之间")
    capacity = values["capacity_per_day"]
    if not capacity.isdigit() or not 1 <= int(capacity) <= 100_000:
        errors["capacity_per_day"] = _("每日接单能力请填写 1 以上的整数")
    if errors or longitude is None or latitude is None:
        return None
    try:
        return ServicePointWrite(
            kind=values["kind"],
            longitude=longitude,
            latitude=latitude,
            adcodes=list(dict.fromkeys([*values["adcodes"], *extra])),
            radius_km=radius,
            capacity_per_day=int(capacity),
            city_type=values["city_type"],
            opens=values["opens"],
            closes=values["closes"],
        )
    except ValidationError as error:
        errors.update(pydantic_fields(error, _))
        return None


def _refused(
    request: Request, session: Session, organisation: Organisation | None, values: dict[str, Any], typed: dict[str, str]
) -> Any:
    """Draw the form again with the typed values, the fields in error and the error's message."""
    _ = gettext_for(request)

    def redraw(error: DomainError, status: int) -> Response:
        errors = dict(typed)
        if error.fields:  # bad input, or a code already in use (a conflict)
            errors |= service_fields(error, _, {})
        return _form_page(
            request,
            session,
            organisation=organisation,
            values=values,
            errors=errors,
            message=domain_message(error, _),
            status=status,
        )

    return redraw


@router.post("/new")
async def create_point(request: Request, session: SessionDep, clock: ClockDep, signed: Admin) -> Response:
    """Open a service point: a new service centre or provider organisation and its point, in one go."""
    _ = gettext_for(request)
    form = await request.form()
    values = _typed(form, (*NEW_FIELDS, *POINT_FIELDS))
    typed: dict[str, str] = {}
    for name in ("code", "name", "city"):
        if not values[name]:
            typed[name] = _("此项必填")
    if values["organisation_kind"] not in ORGANISATION_KINDS:
        typed["organisation_kind"] = _("请选择有效的选项")
    parents = {organisation.code for organisation in directory.parent_organisations(session)}
    if values["parent"] not in parents:
        typed["parent"] = _("请选择上级机构")
    body = _write(values, values["city"], typed, _)
    with form_errors(request, session, _refused(request, session, None, values, typed)):
        if typed or body is None:
            raise InvalidInputError(N_("网点信息有误，请按提示修改"), code="dispatch.invalid")
        directory.open_service_point(
            session, clock=clock, actor=signed.actor, code=values["code"], name=values["name"],
            kind=OrganisationKind(values["organisation_kind"]), parent_code=values["parent"], city=values["city"],
            values=body,
        )  # fmt: skip
    commit(session)
    return redirect(request, f"/console/network/points/{values['code']}?created=1")


@router.post("/points/{organisation_code}")
async def save_point(
    request: Request, session: SessionDep, clock: ClockDep, signed: Admin, organisation_code: str
) -> Response:
    """Save a service point's place, area, capacity and hours (its organisation stays as it is)."""
    _ = gettext_for(request)
    organisation, _point = directory.point_of(session, organisation_code)
    form = await request.form()
    values = _typed(form, POINT_FIELDS)
    typed: dict[str, str] = {}
    body = _write(values, organisation.city or "", typed, _)
    with form_errors(request, session, _refused(request, session, organisation, values, typed)):
        if typed or body is None:
            raise InvalidInputError(N_("网点信息有误，请按提示修改"), code="dispatch.invalid")
        directory.save_service_point(
            session, clock=clock, actor=signed.actor, organisation_code=organisation_code, values=body
        )
    commit(session)
    return redirect(request, f"/console/network?saved={organisation_code}")


@router.post("/points/{organisation_code}/technicians")
async def assign_technician(
    request: Request, session: SessionDep, clock: ClockDep, signed: Admin, organisation_code: str
) -> Response:
    """Have a technician (or a provider's user) work from this point: they join its organisation."""
    _ = gettext_for(request)
    organisation, point = directory.point_of(session, organisation_code)
    form = await request.form()
    username = clip(form.get("username"))

    def redraw(error: DomainError, status: int) -> Response:
        message = domain_message(error, _)
        return _form_page(request, session, organisation=organisation, values=_point_values(point),
                          errors={"username": message}, message=message, status=status)  # fmt: skip

    with form_errors(request, session, redraw):
        if username not in {user.username for user, _profile in directory.field_users(session)}:
            raise InvalidInputError(
                N_("请选择技术员"), code="dispatch.invalid", fields={"username": N_("请选择技术员")}
            )
        directory.assign_to_point(
            session, clock=clock, actor=signed.actor, username=username, organisation_code=organisation_code
        )
    commit(session)
    return redirect(request, f"/console/network/points/{organisation_code}?assigned={username}")
