"""Pages of the demonstration cities and their evaluation.

Every page gets its objects through ``restrict``: a round, a city's submission or a decision
outside the user's scope answers 404. The ministry administrator defines rounds and reviews;
ministry statisticians see everything; a city evaluator fills its own city's form; everyone sees
published rounds' rankings and reports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from soms.accounts.choices import MINISTRY_ROLES, Role
from soms.core.errors import ServiceError
from soms.evaluation import services
from soms.evaluation.choices import RegionGroup, Source, SubmissionStatus
from soms.evaluation.forms import (
    CandidateForm,
    CityForm,
    DecisionForm,
    IndicatorForm,
    ReturnForm,
    RoundForm,
    ValuesForm,
)
from soms.evaluation.formulas import FORMULAS
from soms.evaluation.models import (
    CandidateCity,
    CityDecision,
    EvaluatedCity,
    EvaluationRound,
    Indicator,
    IndicatorValue,
)
from soms.evaluation.report import report_context, report_pdf, workbook
from soms.evaluation.results import Results
from soms.evaluation.tree import tree_order
from soms.reference.choices import DesignationKind
from soms.reference.models import CityDesignation

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _role(request: HttpRequest) -> str | None:
    return getattr(request.user, "role", None)


def _is_admin(request: HttpRequest) -> bool:
    return _role(request) == Role.MINISTRY_ADMIN


def _round(request: HttpRequest, pk: int, action: str) -> EvaluationRound:
    return get_object_or_404(EvaluationRound.objects.restrict(request.user, action), pk=pk)


def _ministry(request: HttpRequest) -> None:
    if _role(request) not in MINISTRY_ROLES:
        raise Http404  # the round's desk is the ministry's


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _refused(request: HttpRequest, form: Any, refused: ServiceError) -> None:
    """A refusal on its field when the form has it, else at the top of the page."""
    if form is not None and refused.field in form.fields:
        form.add_error(refused.field, refused.text)
    elif form is not None:
        form.add_error(None, refused.text)
    else:
        messages.error(request, refused.text)


# --- rounds -------------------------------------------------------------------------------------


def index(request: HttpRequest) -> HttpResponse:
    """The rounds a user may see: all for the ministry (with the form to create one), the
    rounds of its city for a city evaluator, the published ones for everyone."""
    form = RoundForm(request.POST or None) if _is_admin(request) else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = services.create_round(
                    request.user,
                    name_zh=data["name_zh"],
                    name_en=data["name_en"],
                    year=data["year"],
                    template=data["template"] or None,
                    cap=data["cap"],
                )
            except ServiceError as refused:
                _refused(request, form, refused)
            else:
                messages.success(request, _("The round was created as a draft."))
                return redirect("evaluation:round", pk=created.pk)
    rounds = EvaluationRound.objects.restrict(request.user, "view")
    own: dict[int, EvaluatedCity] = {}
    if _role(request) == Role.CITY_EVALUATOR:
        own = {
            c.evaluation_round_id: c
            for c in EvaluatedCity.objects.restrict(request.user, "view").select_related(
                "submission"
            )
        }
    return render(
        request,
        "evaluation/index.html",
        {
            "rounds": [(r, own.get(r.pk)) for r in rounds],
            "form": form,
            "ministry": _role(request) in MINISTRY_ROLES,
        },
    )


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _ministry(request)
    evaluation_round = _round(request, pk, "view")
    cities = (
        EvaluatedCity.objects.restrict(request.user, "view")
        .filter(evaluation_round=evaluation_round)
        .select_related("division", "submission")
        .order_by("kind", "region_group", "division_id")
    )
    return render(
        request,
        "evaluation/round.html",
        {
            "round": evaluation_round,
            "cities": cities,
            "problems": services.tree_problems(evaluation_round),
            "city_form": CityForm() if _is_admin(request) and evaluation_round.is_draft else None,
            "admin": _is_admin(request),
            "waiting": sum(1 for c in cities if c.submission.status == SubmissionStatus.SUBMITTED),
        },
    )


ROUND_ACTIONS: dict[str, tuple[Callable[..., Any], Promise]] = {
    "open": (services.open_round, _lazy("The round is open: the cities can fill their forms.")),
    "close": (services.close_round, _lazy("The round is closed: its values are final.")),
    "publish": (services.publish_round, _lazy("The round is published.")),
    "refresh": (services.refresh_computed, _lazy("The system's values were computed again.")),
    "add_cities": (services.add_demonstration_cities, _lazy("The cities were added.")),
}


@login_required
@require_POST
def round_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    evaluation_round = _round(request, pk, "manage")
    if action not in ROUND_ACTIONS:
        raise Http404
    service, done = ROUND_ACTIONS[action]
    try:
        outcome = service(request.user, evaluation_round)
    except ServiceError as refused:
        messages.error(request, refused.text)
    else:
        messages.success(request, str(done))
        if action == "refresh":
            for refusal in outcome:
                messages.warning(request, refusal)
    return redirect("evaluation:round", pk=pk)


@login_required
@require_POST
def city_add(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation_round = _round(request, pk, "manage")
    form = CityForm(request.POST)
    if form.is_valid():
        try:
            services.add_city(
                request.user,
                evaluation_round,
                form.cleaned_data["division"],
                form.cleaned_data["kind"],
            )
        except ServiceError as refused:
            messages.error(request, refused.text)
        else:
            messages.success(request, _("The city was added."))
    else:
        messages.error(request, _("Give a city code and its kind."))
    return redirect("evaluation:round", pk=pk)


@login_required
@require_POST
def city_remove(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    evaluation_round = _round(request, pk, "manage")
    city = get_object_or_404(EvaluatedCity, evaluation_round=evaluation_round, division_id=code)
    try:
        services.remove_city(request.user, city)
    except ServiceError as refused:
        messages.error(request, refused.text)
    return redirect("evaluation:round", pk=pk)


# --- the indicator tree -------------------------------------------------------------------------


@login_required
def indicators(request: HttpRequest, pk: int) -> HttpResponse:
    _ministry(request)
    evaluation_round = _round(request, pk, "view")
    editable = _is_admin(request) and evaluation_round.is_draft
    form = IndicatorForm(request.POST or None, evaluation_round=evaluation_round)
    if request.method == "POST":
        if not editable:
            raise Http404
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.add_indicator(request.user, evaluation_round, **data)
            except ServiceError as refused:
                _refused(request, form, refused)
            else:
                messages.success(request, _("The indicator was added."))
                return redirect("evaluation:indicators", pk=pk)
    tree = tree_order(list(evaluation_round.indicators.all()))
    parents = {i.parent_id for i in tree}
    return render(
        request,
        "evaluation/indicators.html",
        {
            "round": evaluation_round,
            "tree": [
                (i, i.pk not in parents, FORMULAS[i.formula].label if i.formula in FORMULAS else "")
                for i in tree
            ],
            "problems": services.tree_problems(evaluation_round),
            "form": form if editable else None,
            "editable": editable,
        },
    )


@login_required
def indicator_edit(request: HttpRequest, pk: int, indicator: int) -> HttpResponse:
    evaluation_round = _round(request, pk, "manage")
    item = get_object_or_404(Indicator, evaluation_round=evaluation_round, pk=indicator)
    fields = services.EDITABLE_INDICATOR_FIELDS
    form = IndicatorForm(
        request.POST or None,
        evaluation_round=evaluation_round,
        editing=True,
        initial={name: getattr(item, name) for name in fields},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.change_indicator(
                request.user, item, **{name: form.cleaned_data[name] for name in fields}
            )
        except ServiceError as refused:
            _refused(request, form, refused)
        else:
            messages.success(request, _("The indicator was saved."))
            return redirect("evaluation:indicators", pk=pk)
    return render(
        request,
        "evaluation/indicator_form.html",
        {"round": evaluation_round, "indicator": item, "form": form},
    )


@login_required
@require_POST
def indicator_remove(request: HttpRequest, pk: int, indicator: int) -> HttpResponse:
    evaluation_round = _round(request, pk, "manage")
    item = get_object_or_404(Indicator, evaluation_round=evaluation_round, pk=indicator)
    try:
        services.remove_indicator(request.user, item)
    except ServiceError as refused:
        messages.error(request, refused.text)
    else:
        messages.success(request, _("The indicator was removed."))
    return redirect("evaluation:indicators", pk=pk)


# --- a city's submission and its review ---------------------------------------------------------


def _city(request: HttpRequest, pk: int, code: str, action: str) -> EvaluatedCity:
    return get_object_or_404(
        EvaluatedCity.objects.restrict(request.user, action).select_related(
            "evaluation_round", "division", "submission"
        ),
        evaluation_round_id=pk,
        division_id=code,
    )


def _forms(
    request: HttpRequest, city: EvaluatedCity, data: Any = None
) -> tuple[ValuesForm, ValuesForm | None, bool]:
    """The city's own form (editable for its evaluator while it may), the ministry's form of
    external values (for the administrator while the round is open), and whether the first is
    editable."""
    user = request.user
    values = {v.indicator_id: v for v in IndicatorValue.objects.filter(city=city)}
    fill = (
        EvaluatedCity.objects.restrict(user, "fill").filter(pk=city.pk).exists()
        and city.submission.editable
    )
    own = ValuesForm(
        data if fill else None,
        indicators=services.leaves_of(city.evaluation_round, Source.SUBMITTED),
        values=values,
        disabled=not fill,
        prefix="own",
    )
    external = None
    if EvaluatedCity.objects.restrict(user, "review").filter(pk=city.pk).exists():
        external = ValuesForm(
            data,
            indicators=services.leaves_of(city.evaluation_round, Source.EXTERNAL),
            values=values,
            prefix="external",
        )
    return own, external, fill


@login_required
def submission(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """A city's values in a round: its evaluator fills and submits the form; the ministry
    reads it, approves or returns it and enters the external values."""
    city = _city(request, pk, code, "view")
    own, external, can_fill = _forms(request, city, request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action in ("save", "submit") and can_fill:
            form = own
        elif action == "external" and external is not None:
            form = external
        else:
            raise Http404
        form.is_valid()  # the form has no rule of its own: the service checks the values
        try:
            if form is external:
                services.save_external_values(request.user, city, form.entered())
            else:
                services.save_values(request.user, city, form.entered())
                if action == "submit":
                    services.submit(request.user, city)
        except ServiceError as refused:
            _refused(request, form, refused)
        else:
            if action == "submit":
                messages.success(request, _("The form was sent to the ministry."))
            else:
                messages.success(request, _("The values were saved."))
            return redirect("evaluation:submission", pk=pk, code=code)
    values = {v.indicator_id: v.value for v in IndicatorValue.objects.filter(city=city)}
    computed = [
        (i, values.get(i.pk)) for i in services.leaves_of(city.evaluation_round, Source.COMPUTED)
    ]
    return render(
        request,
        "evaluation/submission.html",
        {
            "round": city.evaluation_round,
            "city": city,
            "submission": city.submission,
            "own": own,
            "external": external,
            "computed": computed,
            "can_fill": can_fill,
            "can_review": external is not None,
            "return_form": ReturnForm(),
        },
    )


@login_required
def review_queue(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation_round = _round(request, pk, "manage")
    waiting = (
        EvaluatedCity.objects.restrict(request.user, "review")
        .filter(evaluation_round=evaluation_round, submission__status=SubmissionStatus.SUBMITTED)
        .select_related("division", "submission")
        .order_by("submission__submitted_at")
    )
    return render(
        request,
        "evaluation/review.html",
        {"round": evaluation_round, "waiting": waiting, "return_form": ReturnForm()},
    )


@login_required
@require_POST
def approve(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    city = _city(request, pk, code, "review")
    try:
        services.approve(request.user, city)
    except ServiceError as refused:
        messages.error(request, refused.text)
    else:
        messages.success(
            request, _("%(city)s's submission is approved.") % {"city": city.division.name}
        )
    return redirect("evaluation:review", pk=pk)


@login_required
@require_POST
def return_(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    city = _city(request, pk, code, "review")
    form = ReturnForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.return_submission(request.user, city, reason)
    except ServiceError as refused:
        messages.error(request, refused.text)
        return redirect("evaluation:submission", pk=pk, code=code)
    messages.success(
        request, _("%(city)s's submission was returned.") % {"city": city.division.name}
    )
    return redirect("evaluation:review", pk=pk)


# --- results ------------------------------------------------------------------------------------


def ranking(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation_round = _round(request, pk, "results")
    results = Results(evaluation_round)
    group = request.GET.get("group", "")
    if group and group not in RegionGroup.values:
        raise Http404
    lines = [line for line in results.lines if not group or line.score.group == group]
    return render(
        request,
        "evaluation/ranking.html",
        {
            "round": evaluation_round,
            "results": results,
            "lines": lines,
            "group": group,
            "groups": RegionGroup.choices,
            "ministry": _role(request) in MINISTRY_ROLES,
        },
    )


def report(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation_round = _round(request, pk, "results")
    results = Results(evaluation_round)
    context = report_context(results, with_values=_role(request) in MINISTRY_ROLES)
    return render(request, "evaluation/report.html", context)


def report_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation_round = _round(request, pk, "results")
    content = workbook(Results(evaluation_round), with_values=_role(request) in MINISTRY_ROLES)
    return _download(content, f"soms-evaluation-{evaluation_round.pk}.xlsx", XLSX)


def report_print(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation_round = _round(request, pk, "results")
    return _download(
        report_pdf(Results(evaluation_round)),
        f"soms-evaluation-{evaluation_round.pk}.pdf",
        "application/pdf",
    )


# --- demonstration cities, candidates, decisions ------------------------------------------------


def designations(request: HttpRequest) -> HttpResponse:
    """Demonstration and base cities with their designation history, the decisions the user
    may see, and the candidate cities."""
    rows = CityDesignation.objects.select_related("division").order_by(
        "kind", "designated_on", "division_id"
    )
    current = [d for d in rows if d.kind == DesignationKind.DEMONSTRATION and d.revoked_on is None]
    return render(
        request,
        "evaluation/designations.html",
        {
            "demonstration": [d for d in rows if d.kind == DesignationKind.DEMONSTRATION],
            "base": [d for d in rows if d.kind == DesignationKind.BASE],
            "current_count": len({d.division_id for d in current}),
            "decisions": CityDecision.objects.restrict(request.user, "view").select_related(
                "division"
            ),
            "candidates": CandidateCity.objects.restrict(request.user, "view").select_related(
                "division"
            ),
            "admin": _is_admin(request),
        },
    )


@login_required
def decision_new(request: HttpRequest) -> HttpResponse:
    if not _is_admin(request):
        raise Http404
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_decision(request.user, **form.cleaned_data)
        except ServiceError as refused:
            _refused(request, form, refused)
        else:
            messages.success(request, _("The decision was recorded."))
            return redirect("evaluation:designations")
    return render(
        request,
        "evaluation/form.html",
        {"form": form, "title": _("Record a decision on a demonstration city")},
    )


@login_required
def candidate_new(request: HttpRequest) -> HttpResponse:
    if not _is_admin(request):
        raise Http404
    form = CandidateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_candidate(request.user, **form.cleaned_data)
        except ServiceError as refused:
            _refused(request, form, refused)
        else:
            messages.success(request, _("The application was recorded."))
            return redirect("evaluation:designations")
    return render(
        request, "evaluation/form.html", {"form": form, "title": _("Record a candidate city")}
    )
