"""Checks on registry input, each refusing with a bilingual message that names the rule."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from soms.core.errors import ServiceError


def clean_uscc(value: str, field: str = "uscc") -> str:
    """The USCC in its canonical form (upper case, no spaces), or a refusal naming the rule:
    18 characters (GB 32100-2015), the allowed alphabet, and the check character."""
    compact = stdnum_uscc.compact(value or "")
    if not compact:
        raise ServiceError(
            _("The unified social credit code is required."), code="required", field=field
        )
    if len(compact) != 18:
        raise ServiceError(
            _(
                "The unified social credit code has 18 characters; “%(value)s” has "
                "%(length)d (GB 32100-2015)."
            ),
            code="uscc_length",
            field=field,
            params={"value": compact, "length": len(compact)},
        )
    try:
        stdnum_uscc.validate(compact)
    except InvalidChecksum:
        raise ServiceError(
            _(
                "The check character (the 18th) of the unified social credit code “%(value)s” "
                "is wrong (GB 32100-2015): check for a mistyped character."
            ),
            code="uscc_check",
            field=field,
            params={"value": compact},
        ) from None
    except (InvalidFormat, InvalidComponent, InvalidLength):
        raise ServiceError(
            _(
                "The unified social credit code “%(value)s” contains characters or parts that "
                "GB 32100-2015 does not allow (digits and capital letters without I, O, S, V, Z)."
            ),
            code="uscc_format",
            field=field,
            params={"value": compact},
        ) from None
    return compact
