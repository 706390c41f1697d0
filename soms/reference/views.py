"""Reference pages: readable by everyone; maintained by the ministry through services."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from soms.accounts.models import acting_user
from soms.core.errors import ServiceError
from soms.core.forms import add_service_error
from soms.core.tabular import FileError
from soms.reference import services
from soms.reference.choices import DivisionLevel
from soms.reference.forms import (
    ConcordanceForm,
    DraftVersionForm,
    ItemForm,
    MembershipForm,
    RatesUploadForm,
)
from soms.reference.imports import RatesImporter
from soms.reference.models import (
    CatalogueItem,
    CatalogueVersion,
    CityDesignation,
    Concordance,
    CountryGroup,
    CountryGroupMembership,
    Dataset,
    Division,
    ExchangeRate,
    Region,
)


def _is_editor(request: HttpRequest) -> bool:
    return request.user.is_authenticated and request.user.role in services.REFERENCE_EDITORS  # type: ignore[union-attr]


def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reference/index.html",
        {
            "datasets": Dataset.objects.all(),
            "versions": CatalogueVersion.objects.all(),
            "regions": Region.objects.prefetch_related("members"),
            "groups": CountryGroup.objects.annotate(n=Count("memberships")),
            "designations": CityDesignation.objects.select_related("division"),
        },
    )


def divisions(request: HttpRequest, code: str | None = None) -> HttpResponse:
    parent = get_object_or_404(Division, code=code) if code else None
    children = Division.objects.filter(parent=parent).annotate(n=Count("children"))
    return render(
        request,
        "reference/divisions.html",
        {
            "parent": parent,
            "children": children,
            "levels": DivisionLevel,
        },
    )


def catalogue(request: HttpRequest, code: str) -> HttpResponse:
    version = get_object_or_404(CatalogueVersion, code=code)
    items = version.items.select_related("parent").order_by("code")
    concordance = (
        Concordance.objects.filter(target__version=version)
        .select_related("source", "target")
        .order_by("source__code", "target__code")
    )
    context = {
        "version": version,
        "items": items,
        "concordance": concordance,
        "editor": _is_editor(request),
        "draft_form": DraftVersionForm(),
        "item_form": ItemForm(),
        "concordance_form": ConcordanceForm(
            initial={"pairs": "\n".join(f"{c.source.code},{c.target.code}" for c in concordance)}
        ),
        "problems": services.publication_problems(version) if version.is_draft else [],
    }
    return render(request, "reference/catalogue.html", context)


def _form_errors(form: forms.Form) -> str:
    return "; ".join(str(e) for errors in form.errors.values() for e in errors)


def _catalogue_action(
    request: HttpRequest, code: str, action: Callable[[], object], success: str
) -> HttpResponse:
    """Run one catalogue service call; report its outcome on the version's page."""
    try:
        action()
        messages.success(request, success)
    except ServiceError as error:
        messages.error(request, error.text)
    return redirect("reference:catalogue", code=code)


@login_required
@require_POST
def catalogue_draft(request: HttpRequest, code: str) -> HttpResponse:
    predecessor = get_object_or_404(CatalogueVersion, code=code)
    form = DraftVersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("reference:catalogue", code=code)
    new_code = form.cleaned_data["code"].strip()
    response = _catalogue_action(
        request,
        code,
        lambda: services.draft_catalogue_version(
            actor=acting_user(request), predecessor=predecessor, **form.cleaned_data
        ),
        _("Draft version created as a copy; adjust it, then publish."),
    )
    if CatalogueVersion.objects.filter(code=new_code, predecessor=predecessor).exists():
        return redirect("reference:catalogue", code=new_code)
    return response


@login_required
@require_POST
def catalogue_item(request: HttpRequest, code: str) -> HttpResponse:
    version = get_object_or_404(CatalogueVersion, code=code)
    form = ItemForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("reference:catalogue", code=code)
    return _catalogue_action(
        request,
        code,
        lambda: services.save_catalogue_item(
            actor=acting_user(request),
            version=version,
            code=form.cleaned_data["code"],
            data=form.cleaned_data,
        ),
        _("The item is saved."),
    )


@login_required
@require_POST
def catalogue_item_remove(request: HttpRequest, code: str, item: str) -> HttpResponse:
    target = get_object_or_404(CatalogueItem, version__code=code, code=item)
    return _catalogue_action(
        request,
        code,
        lambda: services.remove_catalogue_item(actor=acting_user(request), item=target),
        _("The item is removed."),
    )


@login_required
@require_POST
def catalogue_concordance(request: HttpRequest, code: str) -> HttpResponse:
    version = get_object_or_404(CatalogueVersion, code=code)
    form = ConcordanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("reference:catalogue", code=code)
    return _catalogue_action(
        request,
        code,
        lambda: services.set_concordance(
            actor=acting_user(request), version=version, pairs=form.cleaned_pairs()
        ),
        _("The concordance is saved."),
    )


@login_required
@require_POST
def catalogue_publish(request: HttpRequest, code: str) -> HttpResponse:
    version = get_object_or_404(CatalogueVersion, code=code)
    return _catalogue_action(
        request,
        code,
        lambda: services.publish_catalogue_version(actor=acting_user(request), version=version),
        _("Version %(code)s is published.") % {"code": version.code},
    )


def country_group(request: HttpRequest, code: str) -> HttpResponse:
    group = get_object_or_404(
        CountryGroup.objects.prefetch_related(
            Prefetch("memberships", CountryGroupMembership.objects.select_related("country"))
        ),
        code=code,
    )
    if request.method == "POST" and not _is_editor(request):
        raise Http404
    form = MembershipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_group_membership(
                actor=acting_user(request),
                group=group,
                countries=form.country_codes(),  # type: ignore[arg-type]
                valid_from=form.cleaned_data["valid_from"],
                valid_to=form.cleaned_data["valid_to"],
            )
            messages.success(request, _("The membership is saved."))
            return redirect("reference:group", code=code)
        except ServiceError as error:
            add_service_error(form, error)
    return render(
        request,
        "reference/group.html",
        {"group": group, "form": form, "editor": _is_editor(request)},
    )


def rates(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and not _is_editor(request):
        raise Http404
    form = RatesUploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / Path(upload.name).name
            path.write_bytes(upload.read())
            try:
                result = RatesImporter().run(
                    path, actor=acting_user(request), dry_run=form.cleaned_data["dry_run"]
                )
            except (ServiceError, FileError) as error:
                form.add_error("file", str(error))
    return render(
        request,
        "reference/rates.html",
        {
            "rates": ExchangeRate.objects.select_related("currency")[:600],
            "form": form,
            "result": result,
            "editor": _is_editor(request),
        },
    )
