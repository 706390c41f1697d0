from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from soms.core.forms import StyledForm
from soms.core.uploads import SCANS, LimitedFileField
from soms.registry.choices import CertificationKind, Ownership, RegistrationStatus, Size
from soms.registry.models import Enterprise


class ProfileForm(StyledForm):
    """The profile fields of an enterprise; the service functions do the real checking."""

    name = forms.CharField(label=_("registered name"), max_length=200)
    name_en = forms.CharField(label=_("English name"), max_length=300, required=False)
    division = forms.CharField(
        label=_("division of registration"),
        max_length=6,
        help_text=_("Six-digit GB/T 2260 code of the district or county, e.g. 310115."),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "list": "division-options", "autocomplete": "off"}
        ),
    )
    ownership = forms.ChoiceField(label=_("ownership"), choices=Ownership.choices)
    size = forms.ChoiceField(label=_("size"), choices=[("", "—"), *Size.choices], required=False)
    established_on = forms.DateField(
        label=_("established on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    address = forms.CharField(label=_("address"), max_length=300, required=False)
    contact_name = forms.CharField(label=_("contact person"), max_length=100)
    contact_phone = forms.CharField(label=_("contact telephone"), max_length=40)
    contact_email = forms.EmailField(label=_("contact e-mail"), required=False)

    @classmethod
    def initial_from(cls, enterprise: Enterprise) -> dict[str, Any]:
        values = {f: getattr(enterprise, f) for f in Enterprise.PROFILE_FIELDS}
        values["division"] = enterprise.division_id
        return values


class RegistrationForm(ProfileForm):
    uscc = forms.CharField(
        label=_("unified social credit code"),
        max_length=30,
        help_text=_("18 characters, as printed on the business licence."),
    )
    username = forms.CharField(label=_("user name"), max_length=150)
    password = forms.CharField(label=_("password"), widget=forms.PasswordInput)
    password_again = forms.CharField(label=_("password again"), widget=forms.PasswordInput)

    field_order = ["uscc", "name", "name_en", "division"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") != data.get("password_again"):
            from soms.core.errors import bilingual

            self.add_error("password_again", bilingual(_("The two passwords differ.")))
        return data


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class VersionForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CertificationForm(StyledForm):
    kind = forms.ChoiceField(label=_("certification"), choices=CertificationKind.choices)
    kind_other = forms.CharField(label=_("name of other certification"), required=False)
    level = forms.TypedChoiceField(
        label=_("level"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", "—")] + [(n, str(n)) for n in range(1, 6)],
    )
    certificate_no = forms.CharField(label=_("certificate number"), max_length=100)
    issuer = forms.CharField(label=_("issuer"), max_length=200)
    valid_from = forms.DateField(
        label=_("valid from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_to = forms.DateField(
        label=_("valid until"), widget=forms.DateInput(attrs={"type": "date"})
    )
    scan = LimitedFileField(label=_("scanned certificate"), required=False, kinds=SCANS, max_mb=20)


class UserForm(StyledForm):
    username = forms.CharField(label=_("user name"), max_length=150)
    display_name = forms.CharField(label=_("name"), max_length=100)
    email = forms.EmailField(label=_("e-mail"), required=False)
    password = forms.CharField(label=_("initial password"), widget=forms.PasswordInput)


class DeregisterForm(ReasonForm):
    on = forms.DateField(label=_("deregistered on"), widget=forms.DateInput(attrs={"type": "date"}))


class EnterpriseFilterForm(StyledForm):
    q = forms.CharField(label=_("search"), required=False)
    status = forms.ChoiceField(
        label=_("registration status"),
        required=False,
        choices=[("", _("all")), *RegistrationStatus.choices],
    )
    division = forms.CharField(label=_("division"), required=False)
