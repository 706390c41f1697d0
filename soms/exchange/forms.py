from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from soms.accounts.choices import Role
from soms.core.forms import StyledForm
from soms.core.imports import load_importers
from soms.core.uploads import TABLES, LimitedFileField

KIND_LABELS = {
    "enterprises": _("Enterprises"),
    "contracts": _("Contracts"),
    "amendments": _("Amendments"),
    "executions": _("Executions"),
    "workforce": _("Workforce"),
    "rates": _("Exchange rates"),
}


class UploadForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind of file"))
    file = LimitedFileField(label=_("File (CSV or XLSX)"), kinds=TABLES)
    dry_run = forms.BooleanField(
        label=_("Dry run: check everything, write nothing"), required=False
    )
    partial = forms.BooleanField(
        label=_("Import the valid rows even if some rows have errors"), required=False
    )
    submit = forms.BooleanField(label=_("Submit the records for review"), required=False)
    as_approved = forms.BooleanField(
        label=_("History: import as already approved (ministry administrator)"), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = sorted(load_importers())
        kind: Any = self.fields["kind"]
        kind.choices = [(k, KIND_LABELS.get(k, k)) for k in kinds]
        if getattr(user, "role", None) != Role.MINISTRY_ADMIN:
            del self.fields["as_approved"]
