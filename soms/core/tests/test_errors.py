"""Refusals speak Chinese and English at once (soms.core.errors)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from soms.core.errors import (
    ConflictError,
    NotPermitted,
    ServiceError,
    bilingual,
    bilingual_validation_error,
)

# A message Django itself translates, so both languages are known without our catalogue.
REQUIRED = _("This field is required.")
REQUIRED_ZH = "这个字段是必填项。"


def test_bilingual_joins_chinese_and_english():
    assert bilingual(REQUIRED) == f"{REQUIRED_ZH} / This field is required."


def test_bilingual_says_it_once_when_both_languages_agree():
    assert bilingual("USD") == "USD"
    # A message no catalogue translates reads the same in both languages.
    assert bilingual(_("soms test: untranslated %(code)s"), {"code": "ITO01"}) == (
        "soms test: untranslated ITO01"
    )


def test_bilingual_does_not_depend_on_the_active_language():
    with override("en"):
        in_english = bilingual(REQUIRED)
    with override("zh-hans"):
        in_chinese = bilingual(REQUIRED)
    assert in_english == in_chinese == f"{REQUIRED_ZH} / This field is required."


def test_a_service_error_carries_both_languages_its_rule_and_field():
    error = ServiceError(REQUIRED, code="required", field="name_zh")
    assert error.code == "required"
    assert error.field == "name_zh"
    assert error.status == 400
    assert error.message_zh == REQUIRED_ZH
    assert error.message_en == "This field is required."
    assert str(error) == error.text == f"{REQUIRED_ZH} / This field is required."
    assert error.as_dict() == {
        "code": "required",
        "field": "name_zh",
        "message": f"{REQUIRED_ZH} / This field is required.",
        "message_zh": REQUIRED_ZH,
        "message_en": "This field is required.",
    }


def test_parameters_are_filled_in_both_languages():
    error = ServiceError(
        _("Catalogue version %(code)s is published."),
        code="version_published",
        params={"code": "v1"},
    )
    assert error.message_en == "Catalogue version v1 is published."
    assert "v1" in error.message_zh
    assert error.params == {"code": "v1"}
    assert error.as_dict()["field"] is None
    assert ServiceError("refused").code == "invalid"


def test_a_message_without_parameters_keeps_a_literal_percent_sign():
    assert ServiceError("Growth of 5% refused").message_en == "Growth of 5% refused"


def test_subclasses_carry_their_http_status():
    assert NotPermitted("no", code="not_permitted").status == 403
    assert ConflictError("changed", code="conflict").status == 409
    assert isinstance(NotPermitted("no"), ServiceError)
    assert isinstance(ConflictError("changed"), ServiceError)


def test_as_validation_error_attaches_to_the_field():
    error = ServiceError(REQUIRED, code="required", field="name_zh").as_validation_error()
    assert isinstance(error, ValidationError)
    assert error.message_dict == {"name_zh": [f"{REQUIRED_ZH} / This field is required."]}
    assert error.error_dict["name_zh"][0].code == "required"

    plain = ServiceError(REQUIRED, code="required").as_validation_error()
    assert plain.messages == [f"{REQUIRED_ZH} / This field is required."]
    assert plain.code == "required"


def test_bilingual_validation_error():
    error = bilingual_validation_error(REQUIRED, "required")
    assert error.messages == [f"{REQUIRED_ZH} / This field is required."]
    assert error.code == "required"
