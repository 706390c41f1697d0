"""Review pages: the month's sign-off up the hierarchy, completeness and timeliness with reminders,
deadline extensions, and the message inbox.

Every page but the inbox acts for the signed-in official's unit (:func:`hierarchy.unit_of`); a
unit outside it is a 404, never a 403. State changes go through the review services.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from soms.accounts.models import User, acting_user
from soms.core.errors import ServiceError, bilingual
from soms.core.forms import add_service_error
from soms.filing.calendar import due_date, next_month
from soms.filing.models import Extension
from soms.reference.models import Division
from soms.registry.models import Enterprise
from soms.review import completeness as stats
from soms.review import hierarchy, services
from soms.review.choices import Level, UnitState
from soms.review.forms import ExtensionForm, ReopenForm, parse_month
from soms.review.hierarchy import Unit
from soms.review.models import Message, SignOff

STATE_STYLE = {
    UnitState.WAITING: "secondary",
    UnitState.READY: "primary",
    UnitState.SIGNED: "success",
    UnitState.REOPENED: "warning",
    UnitState.NOTHING: "light",
}


# --- helpers ------------------------------------------------------------------------------------


def _own_unit(request: HttpRequest) -> Unit:
    """The unit the user acts for; users without one (enterprise users, evaluators) get 404."""
    unit = hierarchy.unit_of(acting_user(request))
    if unit is None:
        raise Http404
    return Unit(Level(unit.level), unit.code)


def previous_month(today: dt.date | None = None) -> dt.date:
    first = (today or timezone.localdate()).replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def _month(data: Any) -> dt.date:
    return parse_month(data.get("month")) or previous_month()


def _posted_month(request: HttpRequest) -> dt.date:
    """The month a state change is for: never guessed."""
    month = parse_month(request.POST.get("month"))
    if month is None:
        raise BadRequest("month")
    return month


def _unit_at(level: str | None, code: str | None, own: Unit) -> Unit:
    """The unit named by ``level`` and ``code`` if it is ``own`` or lies below it; else 404."""
    if level not in Level.values:
        raise Http404
    if level == Level.NATION:
        unit = Unit(Level.NATION, None)
    else:
        division = Division.objects.filter(code=(code or "").strip()).first()
        if division is None:
            raise Http404
        fits = {
            Level.COUNTY: division.accepts_enterprises,
            Level.CITY: division.is_city_unit,
            Level.PROVINCE: division.level == "province",
        }[Level(level)]
        if not fits:
            raise Http404
        unit = Unit(Level(level), division.code)
    if own not in hierarchy.chain(unit):
        raise Http404
    return unit


def _unit_from(data: Any, own: Unit) -> Unit:
    """The unit of a query or form (``level`` and ``code``), the user's own when not given."""
    if not data.get("level"):
        return own
    return _unit_at(data.get("level"), data.get("code"), own)


def unit_names(units: list[Unit]) -> dict[Unit, str]:
    """Display names of units in the active language: the division's name, 全国 for the nation."""
    codes = {u.code for u in units if u.code}
    divisions = {d.code: d.name for d in Division.objects.filter(code__in=codes)}
    return {
        u: str(Level.NATION.label) if u.code is None else divisions.get(u.code, u.code)
        for u in units
    }


def _unit_query(period: dt.date, unit: Unit) -> str:
    params = {"month": f"{period:%Y-%m}", "level": str(unit.level)}
    if unit.code:
        params["code"] = unit.code
    return urlencode(params)


def _month_nav(period: dt.date, unit: Unit | None = None) -> dict[str, Any]:
    """Links to the previous and next month (not beyond the current one), keeping the unit."""
    previous = (period - dt.timedelta(days=1)).replace(day=1)
    following = next_month(period)
    hidden = []
    if unit is not None:
        hidden = [("level", str(unit.level))] + ([("code", unit.code)] if unit.code else [])
    return {
        "month": period,
        "month_text": f"{period:%Y-%m}",
        "nav_hidden": hidden,
        "nav_query": urlencode(hidden),
        "previous_month": f"{previous:%Y-%m}",
        "next_month": (
            f"{following:%Y-%m}" if following <= timezone.localdate().replace(day=1) else None
        ),
    }


def _crumbs(period: dt.date, unit: Unit, own: Unit, view: str) -> list[tuple[str, str]]:
    """From the user's unit down to ``unit``: (name, link)."""
    path = [
        u for u in hierarchy.chain(unit) if hierarchy.rank(u.level) <= hierarchy.rank(own.level)
    ]
    path.reverse()
    names = unit_names(path)
    return [(names[u], f"{reverse(view)}?{_unit_query(period, u)}") for u in path]


# --- sign-off -----------------------------------------------------------------------------------


@dataclass
class UnitRow:
    unit: Unit
    name: str
    state: str
    sign_off: SignOff | None
    queue: int | None = None

    @property
    def state_label(self) -> str:
        return str(UnitState(self.state).label)

    @property
    def style(self) -> str:
        return STATE_STYLE[UnitState(self.state)]

    @property
    def key(self) -> str:
        return f"{self.unit.level}:{self.unit.code or ''}"


def _sign_offs(period: dt.date, units: list[Unit]) -> dict[tuple[str, str | None], SignOff]:
    q = Q(pk__in=[])
    by_level: dict[str, list[str | None]] = {}
    for unit in units:
        by_level.setdefault(str(unit.level), []).append(unit.code)
    for level, codes in by_level.items():
        q |= (
            Q(level=level, division__isnull=True)
            if level == Level.NATION
            else Q(level=level, division_id__in=codes)
        )
    rows = SignOff.objects.filter(q, period=period).select_related("signed_by", "reopened_by")
    return {(row.level, row.division_id): row for row in rows}


def _row(period: dt.date, unit: Unit, name: str, sign_off: SignOff | None) -> UnitRow:
    return UnitRow(
        unit=unit,
        name=name,
        state=services.unit_state(period, unit),
        sign_off=sign_off,
        queue=services.queue_for(period, unit) if unit.level == Level.COUNTY else None,
    )


@login_required
def signoff(request: HttpRequest) -> HttpResponse:
    """The month's sign-off dashboard: the user's unit and the state of every unit below."""
    own = _own_unit(request)
    period = _month(request.GET)
    below = hierarchy.children(period, own)
    names = unit_names([own, *below])
    sign_offs = _sign_offs(period, [own, *below])
    own_row = _row(period, own, names[own], sign_offs.get((own.level, own.code)))
    rows = [_row(period, u, names[u], sign_offs.get((u.level, u.code))) for u in below]
    summary = [
        (state, str(state.label), STATE_STYLE[state], sum(r.state == state for r in rows))
        for state in UnitState
    ]
    above = [u for u in hierarchy.chain(own)[1:] if services.signed(period, u)]
    return render(
        request,
        "review/signoff.html",
        {
            **_month_nav(period),
            "own": own_row,
            "rows": rows,
            "summary": [s for s in summary if s[3]],
            "child_level": hierarchy.CHILD_LEVEL.get(Level(own.level)),
            "locked_above": bool(above),
            "due": due_date(period),
        },
    )


@login_required
@require_POST
def sign(request: HttpRequest) -> HttpResponse:
    own = _own_unit(request)
    period = _posted_month(request)
    try:
        services.sign_off(actor=acting_user(request), period=period)
    except ServiceError as error:
        messages.error(request, error.text)
    else:
        messages.success(
            request,
            _("%(month)s is signed off for %(unit)s.")
            % {"month": f"{period:%Y-%m}", "unit": unit_names([own])[own]},
        )
    return redirect(f"{reverse('review:signoff')}?month={period:%Y-%m}")


@login_required
@require_POST
def reopen(request: HttpRequest) -> HttpResponse:
    own = _own_unit(request)
    period = _posted_month(request)
    form = ReopenForm(request.POST)
    unit = _unit_at(request.POST.get("level"), request.POST.get("code"), own)
    form.is_valid()
    try:
        reopened = services.reopen(
            actor=acting_user(request),
            period=period,
            unit=unit,
            reason=form.cleaned_data.get("reason", ""),
        )
    except ServiceError as error:
        messages.error(request, error.text)
    else:
        messages.success(
            request,
            _("%(month)s is reopened for %(unit)s; sign-offs reopened: %(count)d.")
            % {
                "month": f"{period:%Y-%m}",
                "unit": unit_names([unit])[unit],
                "count": len(reopened),
            },
        )
    return redirect(f"{reverse('review:signoff')}?month={period:%Y-%m}")


# --- completeness -------------------------------------------------------------------------------


@dataclass
class CompletenessRow:
    name: str
    figures: stats.Completeness
    link: str
    missing_link: str


@login_required
def completeness(request: HttpRequest) -> HttpResponse:
    """Expected, filed, on time, late and missing reporters per unit below, with a chart; a
    unit's name drills down to its own breakdown, its missing count to the missing list."""
    own = _own_unit(request)
    period = _month(request.GET)
    unit = _unit_from(request.GET, own)
    breakdown = stats.breakdown(period, unit)
    total = stats.completeness(period, unit)
    names = unit_names([unit, *(row.unit for row in breakdown)])
    page, missing_page = reverse("review:completeness"), reverse("review:missing")

    def row(figures: stats.Completeness) -> CompletenessRow:
        query = _unit_query(period, figures.unit)
        return CompletenessRow(
            names[figures.unit], figures, f"{page}?{query}", f"{missing_page}?{query}"
        )

    rows = [row(f) for f in breakdown]
    chart = {
        "labels": [r.name for r in rows],
        "links": [r.link for r in rows],
        "series": [
            {"key": "on_time", "name": _("on time"), "data": [r.figures.on_time for r in rows]},
            {"key": "late", "name": _("late"), "data": [r.figures.late for r in rows]},
            {"key": "missing", "name": _("missing"), "data": [r.figures.missing for r in rows]},
        ],
    }
    return render(
        request,
        "review/completeness.html",
        {
            **_month_nav(period, unit),
            "unit": unit,
            "unit_name": names[unit],
            "unit_query": _unit_query(period, unit),
            "crumbs": _crumbs(period, unit, own, "review:completeness"),
            "rows": rows,
            "total": row(total),
            "chart": chart,
            "chart_height": max(320, 28 * len(rows) + 80),
            "due": due_date(period),
        },
    )


@login_required
def missing(request: HttpRequest) -> HttpResponse:
    """The enterprises of a unit that have not filed the month's report, with their contacts."""
    own = _own_unit(request)
    period = _month(request.GET)
    unit = _unit_from(request.GET, own)
    enterprises = (
        stats.missing_enterprises(period, unit)
        .select_related("division", "division__parent")
        .annotate(active_users=Count("users", filter=Q(users__is_active=True)))
        .order_by("division_id", "name")
    )
    return render(
        request,
        "review/missing.html",
        {
            **_month_nav(period, unit),
            "unit": unit,
            "unit_name": unit_names([unit])[unit],
            "unit_query": _unit_query(period, unit),
            "crumbs": _crumbs(period, unit, own, "review:missing"),
            "enterprises": enterprises,
            "recipients": sum(e.active_users for e in enterprises),
            "due": due_date(period),
        },
    )


@login_required
@require_POST
def remind(request: HttpRequest) -> HttpResponse:
    own = _own_unit(request)
    period = _posted_month(request)
    unit = _unit_from(request.POST, own)
    enterprises = stats.missing_enterprises(period, unit).count()
    sent = stats.send_reminders(actor=acting_user(request), period=period, unit=unit)
    if enterprises:
        messages.success(
            request,
            _("Reminders sent: %(count)d, to the users of %(enterprises)d enterprises.")
            % {"count": sent, "enterprises": enterprises},
        )
    else:
        messages.info(request, _("Every enterprise has filed; no reminders were sent."))
    return redirect(f"{reverse('review:missing')}?{_unit_query(period, unit)}")


# --- extensions ---------------------------------------------------------------------------------


def _extensions_in_scope(user: User) -> Any:
    by_enterprise = user.division_scope("enterprise__division")
    by_district = user.division_scope("division")
    if by_enterprise is None or by_district is None:
        return Extension.objects.none()
    return Extension.objects.filter(
        (Q(enterprise__isnull=False) & by_enterprise) | (Q(division__isnull=False) & by_district)
    )


@login_required
def extensions(request: HttpRequest) -> HttpResponse:
    """The extensions granted in the user's jurisdiction, and a form to grant one."""
    _own_unit(request)
    user = acting_user(request)
    form = ExtensionForm(request.POST or None, initial={"month": f"{previous_month():%Y-%m}"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target: dict[str, Any] = {}
        if data["uscc"]:
            enterprise = Enterprise.objects.restrict(user, "view").filter(uscc=data["uscc"]).first()
            if enterprise is None:
                form.add_error(
                    "uscc",
                    bilingual(gettext_lazy("No enterprise with this USCC in your jurisdiction.")),
                )
            target["enterprise"] = enterprise
        else:
            division = Division.objects.filter(code=data["division"]).first()
            if division is None:
                form.add_error("division", bilingual(gettext_lazy("No division has this code.")))
            target["division"] = division
        if not form.errors:
            try:
                services.grant_extension(
                    actor=user,
                    period=data["month"],
                    until=data["until"],
                    reason=data["reason"],
                    **target,
                )
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("The extension is granted."))
                return redirect("review:extensions")
    granted = (
        _extensions_in_scope(user)
        .select_related("enterprise", "enterprise__division", "division", "granted_by")
        .order_by("-period", "-granted_at")
    )
    page = Paginator(granted, 50).get_page(request.GET.get("page"))
    return render(request, "review/extensions.html", {"form": form, "page": page})


# --- inbox --------------------------------------------------------------------------------------


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The user's messages, unread first: returns, reminders, deadline notices."""
    user = acting_user(request)
    rows = Message.objects.filter(recipient=user).order_by(
        Case(
            When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
        ),
        "-created_at",
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    unread = Message.objects.filter(recipient=user, read_at__isnull=True).count()
    return render(request, "review/inbox.html", {"page": page, "unread": unread})


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(Message, pk=pk, recipient=acting_user(request))
    if message.read_at is None:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])
    return redirect("review:inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = Message.objects.filter(recipient=acting_user(request), read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if count:
        messages.success(request, _("All messages are marked as read."))
    return redirect("review:inbox")
