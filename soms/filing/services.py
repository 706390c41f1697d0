"""The filer's side of a record's life: create and edit drafts, submit, withdraw, discard, and
start a correction of an approved record. Reviewers' decisions are in :mod:`soms.review.services`.

Each function is one transaction with its audit event, checks the actor through ``restrict()``,
and refuses with a :class:`ServiceError` naming the field and the rule.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.audit.services import record as audit
from soms.audit.services import snapshot
from soms.core.errors import NotPermitted, ServiceError
from soms.core.locking import lock_current
from soms.filing import calendar, rules
from soms.filing.choices import EDITABLE, Direction, RecordStatus, Severity
from soms.filing.models import (
    Amendment,
    AnnualReport,
    Contract,
    Execution,
    FiledRecord,
    TrainingRecord,
    WorkforceReport,
)
from soms.reference.models import CatalogueItem, CatalogueVersion, Country, Currency
from soms.registry.models import Enterprise

R = TypeVar("R", bound=FiledRecord)


def _label(model: type[FiledRecord], field: str) -> Any:
    return getattr(model._meta.get_field(field), "verbose_name", field)


def _required(model: type[FiledRecord], field: str) -> ServiceError:
    return ServiceError(
        _("“%(field)s” is required."),
        code="required",
        field=field,
        params={"field": _label(model, field)},
    )


def _date(model: type[FiledRecord], field: str, value: Any, required: bool) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise _required(model, field)
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ServiceError(
            _("“%(value)s” is not a date (YYYY-MM-DD)."),
            code="invalid_date",
            field=field,
            params={"value": value},
        ) from None


def _decimal(model: type[FiledRecord], field: str, value: Any) -> Decimal:
    """A plain decimal number that the column holds (``max_digits``, ``decimal_places``): a
    larger number is refused here, not by the database."""
    if value in (None, ""):
        raise _required(model, field)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ServiceError(
            _("“%(value)s” is not a plain decimal number."),
            code="invalid_number",
            field=field,
            params={"value": value},
        ) from None
    if not number.is_finite():
        raise ServiceError(
            _("“%(value)s” is not a plain decimal number."),
            code="invalid_number",
            field=field,
            params={"value": value},
        )
    column: Any = model._meta.get_field(field)
    limit = Decimal(10) ** (column.max_digits - column.decimal_places)
    if number >= limit:
        step = Decimal(1).scaleb(-column.decimal_places)
        raise ServiceError(
            _("Ensure this value is less than or equal to %(limit_value)s."),
            code="too_large",
            field=field,
            params={"limit_value": f"{limit - step:,}"},
        )
    return number


def _places(model: type[FiledRecord], field: str, number: Decimal) -> bool:
    """Whether ``number`` has no more decimals than the column keeps."""
    return number == _stored(model, field, number)


def _stored(model: type[FiledRecord], field: str, number: Decimal) -> Decimal:
    """``number`` in the form the column gives back (``100`` as ``100.00``), so a record checked
    before it is saved already holds, and shows in its audit event, what the database will."""
    column: Any = model._meta.get_field(field)
    return number.quantize(Decimal(1).scaleb(-column.decimal_places))


def _amount(model: type[FiledRecord], field: str, value: Any) -> Decimal:
    amount = _decimal(model, field, value)
    if amount <= 0 or not _places(model, field, amount):
        raise ServiceError(
            _("The amount must be greater than zero, with at most two decimals."),
            code="invalid_amount",
            field=field,
        )
    return _stored(model, field, amount)


def _yuan(model: type[FiledRecord], field: str, value: Any) -> Decimal:
    """An amount that may be zero (an annual revenue the enterprise did not have)."""
    amount = _decimal(model, field, value)
    if amount < 0 or not _places(model, field, amount):
        raise ServiceError(
            _("The amount must be zero or more, with at most two decimals."),
            code="invalid_amount",
            field=field,
        )
    return _stored(model, field, amount)


def _hours(model: type[FiledRecord], field: str, value: Any) -> Decimal:
    hours = _decimal(model, field, value)
    if hours <= 0 or not _places(model, field, hours):
        raise ServiceError(
            _("The hours must be greater than zero, with at most one decimal."),
            code="invalid_hours",
            field=field,
        )
    return _stored(model, field, hours)


TRUE = frozenset({"1", "true", "yes", "y", "on", "是"})
FALSE = frozenset({"", "0", "false", "no", "n", "off", "否"})


def _flag(model: type[FiledRecord], field: str, value: Any) -> bool:
    """Yes or no; left out (an unticked box) is no."""
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in TRUE or text in FALSE:
        return text in TRUE
    raise ServiceError(
        _("“%(value)s” is not yes or no (true or false)."),
        code="invalid_choice",
        field=field,
        params={"value": value},
    )


def _year(model: type[FiledRecord], field: str, value: Any) -> int:
    text = str(value).strip()
    if not (len(text) == 4 and text.isdigit() and text[0] != "0"):
        raise ServiceError(
            _("“%(value)s” is not a year (YYYY)."),
            code="invalid_year",
            field=field,
            params={"value": value},
        )
    return int(text)


def _count(model: type[FiledRecord], field: str, value: Any) -> int:
    if value in (None, ""):
        raise _required(model, field)
    try:
        number = int(str(value))
    except ValueError:
        number = -1
    if number < 0:
        raise ServiceError(
            _("“%(value)s” is not a whole number of people."),
            code="invalid_count",
            field=field,
            params={"value": value},
        )
    if number > MAX_COUNT:
        raise ServiceError(
            _("Ensure this value is less than or equal to %(limit_value)s."),
            code="too_large",
            field=field,
            params={"limit_value": MAX_COUNT},
        )
    return number


MAX_COUNT = 2147483647  # what a PositiveIntegerField holds on every database


def _text(model: type[FiledRecord], field: str, value: Any, required: bool) -> str:
    text = str(value or "").strip()
    if not text and required:
        raise _required(model, field)
    limit = getattr(model._meta.get_field(field), "max_length", None)
    if limit and len(text) > limit:
        raise ServiceError(
            ngettext_lazy(
                "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
                "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
                limit,
            ),
            code="too_long",
            field=field,
            params={"limit_value": limit, "show_value": len(text)},
        )
    return text


def _country(value: Any, context: rules.Context | None = None) -> Country:
    text = str(value or "").strip()
    if not text:
        raise _required(Contract, "counterpart_country")
    country = rules.remember(
        context,
        ("country", text),
        lambda: (
            Country.objects.filter(code=text.upper()).first()
            or Country.objects.filter(name_zh=text).first()
            or Country.objects.filter(name_en__iexact=text).first()
        ),
    )
    if country is None:
        raise ServiceError(
            _(
                "“%(value)s” is not a country or territory of ISO 3166-1 (give its two-letter "
                "code, e.g. US, or its Chinese name)."
            ),
            code="unknown_country",
            field="counterpart_country",
            params={"value": text},
        )
    return country


def _currency(value: Any, context: rules.Context | None = None) -> Currency:
    text = str(value or "").strip().upper()
    if not text:
        raise _required(Contract, "currency")
    currency = rules.remember(
        context, ("currency", text), lambda: Currency.objects.filter(code=text).first()
    )
    if currency is None:
        raise ServiceError(
            _("“%(value)s” is not an ISO 4217 currency code."),
            code="unknown_currency",
            field="currency",
            params={"value": text},
        )
    return currency


def _category(
    value: Any, signed_on: dt.date, context: rules.Context | None = None
) -> CatalogueItem:
    code = str(value or "").strip().upper()
    if not code:
        raise _required(Contract, "category")
    version = rules.remember(
        context, ("catalogue", signed_on), lambda: CatalogueVersion.in_force_on(signed_on)
    )

    def leaf() -> CatalogueItem | None:
        item = version.items.filter(code=code).first() if version else None
        return None if item is None or item.children.exists() else item

    item = rules.remember(context, ("leaf", version, code), leaf)
    if item is None:
        raise ServiceError(
            _(
                "%(code)s is not a category of the catalogue in force on %(date)s (version "
                "%(version)s): choose one of its most detailed categories."
            ),
            code="category_not_leaf",
            field="category",
            params={
                "code": code,
                "date": signed_on.isoformat(),
                "version": version.code if version else "—",
            },
        )
    return item


def clean_values(
    model: type[R], data: dict[str, Any], context: rules.Context | None = None
) -> dict[str, Any]:
    """The value fields of a record kind, typed and looked up; refuses the first bad field.
    Lookups are memoised in ``context`` when it keeps a memo (a bulk import)."""
    if model is Contract:
        direction = data.get("direction")
        if direction not in Direction.values:
            raise ServiceError(
                _("The direction is “inbound” or “outbound”."),
                code="invalid_choice",
                field="direction",
            )
        name = _text(model, "counterpart_name", data.get("counterpart_name"), True)
        signed_on = _date(model, "signed_on", data.get("signed_on"), True)
        assert signed_on is not None
        return {
            "direction": direction,
            "counterpart_name": name,
            "counterpart_country": _country(data.get("counterpart_country"), context),
            "category": _category(data.get("category"), signed_on, context),
            "currency": _currency(data.get("currency"), context),
            "amount": _amount(model, "amount", data.get("amount")),
            "signed_on": signed_on,
            "start_on": _date(model, "start_on", data.get("start_on"), False),
            "end_on": _date(model, "end_on", data.get("end_on"), False),
        }
    if model is Amendment:
        return {
            "effective_on": _date(model, "effective_on", data.get("effective_on"), True),
            "new_amount": _amount(model, "new_amount", data.get("new_amount")),
            "reason": str(data.get("reason") or "").strip(),
        }
    if model is Execution:
        return {
            "executed_on": _date(model, "executed_on", data.get("executed_on"), True),
            "currency": _currency(data.get("currency"), context),
            "amount": _amount(model, "amount", data.get("amount")),
            "receipt_no": _text(model, "receipt_no", data.get("receipt_no"), False),
        }
    if model is WorkforceReport:
        return {f: _count(model, f, data.get(f)) for f in model.VALUE_FIELDS}
    if model is AnnualReport:
        return {
            f: (_yuan if f in AnnualReport.AMOUNT_FIELDS else _count)(model, f, data.get(f))
            for f in model.VALUE_FIELDS
        }
    if model is TrainingRecord:
        return {
            "trainee_name": _text(model, "trainee_name", data.get("trainee_name"), True),
            "institution": _text(model, "institution", data.get("institution"), True),
            "course": _text(model, "course", data.get("course"), True),
            "hours": _hours(model, "hours", data.get("hours")),
            "completed_on": _date(model, "completed_on", data.get("completed_on"), True),
            "hired": _flag(model, "hired", data.get("hired")),
        }
    raise ValueError(f"not a record kind: {model!r}")  # pragma: no cover


def _refuse_errors(row: FiledRecord, context: rules.Context) -> list[rules.Violation]:
    found = rules.check(row, context)
    errors = [v for v in found if v.severity == Severity.ERROR]
    if errors:
        first = errors[0]
        raise ServiceError(first.message, code=first.code, field=first.field, params=first.params)
    return [v for v in found if v.severity == Severity.WARNING]


def _migrating(actor: User, context: rules.Context | None) -> bool:
    """The ministry administrator importing history (exchange-format.md, ``--as-approved``)
    files for any enterprise; nobody else files outside their own."""
    return bool(context and context.history and actor.role == Role.MINISTRY_ADMIN)


def _require(
    actor: User, row: FiledRecord, action: str = "file", context: rules.Context | None = None
) -> None:
    if _migrating(actor, context):
        return
    if not type(row).objects.restrict(actor, action).filter(pk=row.pk).exists():
        raise NotPermitted(_("You may not do this to this record."), code="not_permitted")


def _locked(row: R, expected_version: int | None) -> R:
    return lock_current(
        row,
        expected_version,
        _(
            "This record was changed by someone else in the meantime. Reload the page to "
            "see its current state, then try again."
        ),
    )


def _key_taken(model: type[FiledRecord]) -> ServiceError:
    if model is AnnualReport:
        message = _(
            "There is already an annual information form for this year; change that record instead."
        )
    else:
        message = _("There is already a record with this number; change that record instead.")
    return ServiceError(message, code="duplicate", field=model.KEY_FIELDS[-1])


def build_record(
    *,
    actor: User,
    model: type[R],
    enterprise: Enterprise,
    key: dict[str, Any],
    data: dict[str, Any],
    context: rules.Context,
) -> R:
    """The new record :func:`create_record` saves, checked but unsaved: its values cleaned, the
    rules' errors refused and their warnings kept on it. A bulk import saves many together."""
    may_file = rules.remember(
        context,
        ("may_file", actor.pk, enterprise.pk),
        lambda: Enterprise.objects.restrict(actor, "change").filter(pk=enterprise.pk).exists(),
    )
    if not (may_file or _migrating(actor, context)):
        raise NotPermitted(_("You may not file for this enterprise."), code="not_permitted")
    if not enterprise.is_registered:
        raise ServiceError(_("Only a registered enterprise files records."), code="not_registered")
    key = {field: key.get(field) for field in model.KEY_FIELDS}  # nothing else is set by key
    for field in model.KEY_FIELDS:
        value = key.get(field)
        if isinstance(value, str):
            value = key[field] = _text(model, field, value, True)
        if not value:
            raise _required(model, field)
    if "contract" in key and key["contract"].enterprise_id != enterprise.pk:
        raise ServiceError(
            _("The contract belongs to another enterprise."),
            code="contract_of_other",
            field="contract",
        )
    if "month" in key:
        month = _date(model, "month", key["month"], True)
        assert month is not None
        key["month"] = calendar.month_of(month)
    if "year" in key:
        key["year"] = _year(model, "year", key["year"])
    values = clean_values(model, data, context)
    row = model(
        enterprise=enterprise,
        created_by=actor,
        **key,
        **model.derived_from_key(key),
        **values,
    )
    row.period = calendar.month_of(row.dated_on())
    row.warnings = [w.as_dict() for w in _refuse_errors(row, context)]
    return row


def create_record(
    *,
    actor: User,
    model: type[R],
    enterprise: Enterprise,
    key: dict[str, Any],
    data: dict[str, Any],
    context: rules.Context | None = None,
) -> R:
    """A new record as a draft of ``enterprise``. ``key`` names it (``contract_no``; for an
    amendment or execution also its ``contract``; ``month`` for workforce)."""
    context = context or rules.Context()
    try:
        with transaction.atomic():
            row = build_record(
                actor=actor, model=model, enterprise=enterprise, key=key, data=data, context=context
            )
            natural = {field: getattr(row, field) for field in model.KEY_FIELDS}
            if model.objects.records().filter(enterprise=enterprise, **natural).exists():
                raise _key_taken(model)
            row.save()
            audit(f"filing.{model.kind}.created", actor=actor, obj=row, after=snapshot(row))
    except IntegrityError:
        raise _key_taken(model) from None
    return row


@transaction.atomic
def update_record(
    *,
    actor: User,
    row: R,
    data: dict[str, Any],
    expected_version: int | None = None,
    context: rules.Context | None = None,
) -> R:
    """Change the values of a draft or returned row (a record or a correction)."""
    _require(actor, row, context=context)
    current = _locked(row, expected_version)
    if current.status not in EDITABLE:
        raise ServiceError(
            _(
                "Only a draft or a returned record can be edited; this one is “%(status)s”. "
                "Start a correction to change an approved record."
            ),
            code="not_editable",
            params={"status": RecordStatus(current.status).label},
        )
    before = snapshot(current)
    for field, value in clean_values(type(current), data).items():
        setattr(current, field, value)
    current.period = calendar.month_of(current.dated_on())
    current.warnings = [w.as_dict() for w in _refuse_errors(current, context or rules.Context())]
    current.lock_version += 1
    current.save()
    audit(
        f"filing.{current.kind}.edited",
        actor=actor,
        obj=current,
        before=before,
        after=snapshot(current),
    )
    return current


@transaction.atomic
def submit(
    *,
    actor: User,
    row: R,
    comment: str = "",
    expected_version: int | None = None,
    context: rules.Context | None = None,
) -> R:
    """Submit a draft or a returned row for review. Errors block; warnings need a comment."""
    _require(actor, row, context=context)
    current = _locked(row, expected_version)
    if current.status not in EDITABLE:
        raise ServiceError(
            _("Only a draft or a returned record can be submitted; this one is “%(status)s”."),
            code="illegal_transition",
            params={"status": RecordStatus(current.status).label},
        )
    before = snapshot(current)
    submission(current, context or rules.Context(), comment)
    current.save()
    audit(
        f"filing.{current.kind}.submitted",
        actor=actor,
        obj=current,
        before=before,
        after=snapshot(current),
        reason=current.warning_comment,
    )
    return current


def submission(row: FiledRecord, context: rules.Context, comment: str = "") -> None:
    """Make a draft or returned ``row`` submitted (unsaved): the rules' errors refused, their
    warnings explained by ``comment``, lateness judged on the day of filing."""
    warnings = _refuse_errors(row, context)
    comment = (comment or "").strip()
    if warnings and not comment:
        raise ServiceError(
            _("Explain the warnings before submitting: %(warnings)s"),
            code="warning_comment_required",
            field="warning_comment",
            params={"warnings": rules.Listing(warnings)},
        )
    enterprise = row.enterprise
    row.status = RecordStatus.SUBMITTED
    row.submitted_at = context.now or timezone.now()
    row.warnings = [w.as_dict() for w in warnings]
    row.warning_comment = comment if warnings else ""
    # Late against the day of filing: the moment given, else the day the rules judged by.
    filed_on = timezone.localdate(context.now) if context.now else context.today
    due = rules.remember(
        context,
        ("due", enterprise.pk, row.period, row.CYCLE),
        lambda: calendar.effective_due_date(
            enterprise.pk, enterprise.division_id, row.period, row.CYCLE
        ),
    )
    row.is_late = (not context.history) and filed_on > due
    row.lock_version += 1


@transaction.atomic
def withdraw(*, actor: User, row: R, expected_version: int | None = None) -> R:
    """Take a submitted row back before review; it returns to draft."""
    _require(actor, row)
    current = _locked(row, expected_version)
    if current.status != RecordStatus.SUBMITTED:
        raise ServiceError(
            _("Only a record awaiting review can be withdrawn; this one is “%(status)s”."),
            code="illegal_transition",
            params={"status": RecordStatus(current.status).label},
        )
    before = snapshot(current)
    current.status = RecordStatus.DRAFT
    current.lock_version += 1
    current.save()
    audit(
        f"filing.{current.kind}.withdrawn",
        actor=actor,
        obj=current,
        before=before,
        after=snapshot(current),
    )
    return current


@transaction.atomic
def discard(*, actor: User, row: FiledRecord) -> None:
    """Delete a draft that was never approved (a record or a correction)."""
    _require(actor, row)
    current = _locked(row, None)
    if current.status != RecordStatus.DRAFT:
        raise ServiceError(_("Only a draft can be discarded."), code="illegal_transition")
    dependants: list[Any] = [getattr(current, name, None) for name in ("executions", "amendments")]
    if current.corrects_id is None and any(d is not None and d.exists() for d in dependants):
        raise ServiceError(
            _("Discard the contract's executions and amendments first."), code="has_dependants"
        )
    audit(f"filing.{current.kind}.discarded", actor=actor, obj=current, before=snapshot(current))
    current.delete()


@transaction.atomic
def start_correction(*, actor: User, record: R, context: rules.Context | None = None) -> R:
    """A draft correction of an approved record, with the record's values to edit. The record
    keeps its approved values, and keeps counting, until the correction is approved."""
    _require(actor, record, context=context)
    current = _locked(record, None)
    if current.corrects_id is not None or current.status != RecordStatus.APPROVED:
        raise ServiceError(_("Only an approved record is corrected."), code="illegal_transition")
    model: Any = type(current)  # the concrete kind; typed loosely for the ORM plugin
    open_correction = (
        model.objects.filter(corrects_id=current.pk).exclude(status=RecordStatus.APPROVED).first()
    )
    if open_correction is not None:
        return open_correction  # type: ignore[return-value]
    values: dict[str, Any] = {
        f: getattr(current, f)
        for f in (*current.KEY_FIELDS, *current.VALUE_FIELDS, current.DATE_FIELD)
    }
    values.update(
        enterprise=current.enterprise, corrects=current, created_by=actor, period=current.period
    )
    correction = type(current)(**values)
    correction.save()
    audit(
        f"filing.{current.kind}.correction_started",
        actor=actor,
        obj=current,
        after={"correction": correction.pk},
    )
    return correction  # type: ignore[return-value]
