"""The filing rule that review adds: nothing is filed or changed in a signed-off month.

Every record kind is placed in the month of its date; the annual information form in its year's
December, so signing December off also closes the year's annual forms."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from django.utils.translation import gettext_lazy as _

from soms.filing.calendar import month_of
from soms.filing.choices import Severity
from soms.filing.models import RECORD_MODELS, FiledRecord
from soms.filing.rules import Context, Violation, remember, rule


@rule("locked_month", Severity.ERROR, *RECORD_MODELS.values())
def locked_month(record: FiledRecord, context: Context) -> Iterator[Violation]:
    from soms.review.services import locking_sign_off

    day = record.dated_on()
    if day is None:
        return
    months = [month_of(day)]
    if record.corrects_id is not None:
        # A correction also changes the month the record counts in now (its date may move).
        months.append(record.record.period)
    division = record.enterprise.division_id
    for month in months:
        sign_off = remember(
            context, ("locked", division, month), partial(locking_sign_off, division, month)
        )
        if sign_off is not None:
            yield Violation(
                "locked_month",
                Severity.ERROR,
                record.date_input(),
                _(
                    "%(month)s is signed off and locked for this jurisdiction; ask the level "
                    "above to reopen it."
                ),
                {"month": f"{month:%Y-%m}"},
            )
            return
