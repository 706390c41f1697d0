"""Downloads of the list pages, in the exchange formats (the files ``soms import`` takes)."""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from soms.accounts.models import acting_user
from soms.core.errors import ServiceError
from soms.exchange import jobs
from soms.exchange.exports import EXPORTS, write
from soms.exchange.forms import UploadForm
from soms.exchange.models import ImportJob

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@login_required
def export(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    """The records the caller may see, filtered as the list page is (month, status)."""
    if kind not in EXPORTS or fmt not in CONTENT_TYPES:
        raise Http404
    where = {f: v for f in ("month", "status") if (v := request.GET.get(f, "").strip())}
    target = io.BytesIO()
    try:
        write(kind, target, actor=request.user, where=where, fmt=fmt)  # type: ignore[arg-type]
    except ServiceError as error:
        return HttpResponse(error.text, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(target.getvalue(), content_type=CONTENT_TYPES[fmt])
    name = f"soms-{kind}-{timezone.localdate():%Y%m%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    """Upload an exchange file; it is imported by a job of its own, followed on its page."""
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = jobs.create(
                actor=acting_user(request),
                kind=data["kind"],
                upload=data["file"],
                options={k: bool(data.get(k)) for k in jobs.OPTIONS},
            )
        except ServiceError as error:
            form.add_error(error.field if error.field in form.fields else None, error.text)
        else:
            jobs.start(job)
            return redirect("exchange:job", pk=job.pk)
    recent = ImportJob.objects.filter(created_by=acting_user(request))[:10]
    return render(request, "exchange/upload.html", {"form": form, "jobs": recent})


def _own_job(request: HttpRequest, pk: int) -> ImportJob:
    # A job is its uploader's: anyone else gets 404, as for any object outside their scope.
    return get_object_or_404(ImportJob, pk=pk, created_by=acting_user(request))


@login_required
def job(request: HttpRequest, pk: int) -> HttpResponse:
    current = jobs.refresh(_own_job(request, pk))
    context = {"job": current, **jobs.summary(current)}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "exchange/_job_progress.html", context)
    return render(request, "exchange/job.html", context)


@login_required
def report(request: HttpRequest, pk: int) -> FileResponse:
    current = _own_job(request, pk)
    if not current.report:
        raise Http404
    path = Path(settings.MEDIA_ROOT) / current.report
    name = f"{Path(current.file_name).stem}-errors.xlsx"
    return FileResponse(path.open("rb"), as_attachment=True, filename=name)
