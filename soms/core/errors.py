"""Refusals that speak both languages.

Officials and enterprises exchange screenshots and error reports across language settings, so a
refusal names the rule in Chinese and English at once. Every service function refuses with a
:class:`ServiceError`; forms, the API and imports render the same object.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import override


def in_language(message: str | Promise, language: str, params: dict[str, Any] | None) -> str:
    with override(language):
        text = str(message)
        return text % params if params else text


def bilingual(message: str | Promise, params: dict[str, Any] | None = None) -> str:
    """``中文说明 / English text`` for a lazily translated message."""
    zh = in_language(message, "zh-hans", params)
    en = in_language(message, "en", params)
    return zh if zh == en else f"{zh} / {en}"


class ServiceError(Exception):
    """A state change that was refused; nothing was written.

    ``field`` names the input at fault (a form field, an API attribute, a file column), ``code``
    the rule, so callers can react without parsing the text.
    """

    status = 400

    def __init__(
        self,
        message: str | Promise,
        *,
        code: str = "invalid",
        field: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        self.message = message
        self.code = code
        self.field = field
        self.params = params or {}
        super().__init__(self.text)

    @property
    def message_zh(self) -> str:
        return in_language(self.message, "zh-hans", self.params)

    @property
    def message_en(self) -> str:
        return in_language(self.message, "en", self.params)

    @property
    def text(self) -> str:
        return bilingual(self.message, self.params)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "field": self.field,
            "message": self.text,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }

    def as_validation_error(self) -> ValidationError:
        error = ValidationError(self.text, code=self.code)
        return ValidationError({self.field: error}) if self.field else error


class ConflictError(ServiceError):
    """Someone else changed the object between reading it and acting on it."""

    status = 409


class NotPermitted(ServiceError):
    """The actor may see the object but not do this to it."""

    status = 403


def bilingual_validation_error(
    message: str | Promise, code: str, params: dict[str, Any] | None = None
) -> ValidationError:
    return ValidationError(bilingual(message, params), code=code)
