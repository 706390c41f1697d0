"""The record files of exchange-format.md: contracts, amendments, executions and workforce.

A file's rows go through the same services as the filing forms (``soms.filing.services``: the
values checked by ``clean_values``, the rules of ``rules.py``), so a rule is declared once. Each
row is found by its natural key: a new key is created as a draft of its enterprise (submitted with
``submit``); an unchanged row changes nothing; a changed draft or returned record is edited; a
changed approved record gets a correction that goes through review. The ministry administrator
alone may import history as already approved (``as_approved``): exempt from the filing window and
deadlines, every other rule applies, and the act is audited with the file's checksum.

The whole file runs in one transaction, read in chunks of ``CHUNK`` rows, so memory does not grow
with the file. A row whose natural key is new (the bulk of a large file) is built and checked by
``services.build_record`` without touching the database, the rules' lookups remembered for the
chunk (``rules.Context.memo``) and the rows kept back counted by the rules as the database would
(``rules.Context.pending``); the chunk's new records and their audit events are then written
together. Any other row (an existing key, a history import) goes through the services in a
savepoint of its own, after the rows kept back are written. A refused row is reported (row,
column, value, message) and writes nothing; without ``partial`` any refused row, and a dry run
always, rolls the whole file back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar

from django.db import reset_queries, transaction
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.audit.services import Entry, record_many, snapshot
from soms.audit.services import record as audit
from soms.core.db import insert_many
from soms.core.errors import NotPermitted, ServiceError
from soms.core.imports import Importer, ImportResult, register
from soms.core.tabular import (
    CellError,
    Column,
    Row,
    RowError,
    parse_date,
    parse_decimal,
    parse_month,
    parse_text,
    read_rows,
)
from soms.filing import rules, services
from soms.filing.choices import RecordStatus
from soms.filing.models import Amendment, Contract, Execution, FiledRecord, WorkforceReport
from soms.registry.models import Enterprise
from soms.registry.services import import_enterprise
from soms.review.services import approve_as_history

USCC = Column("uscc", "统一社会信用代码")
CHUNK = 1000  # rows read, checked and written together


def batched(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _uscc(value: Any) -> str:
    return parse_text(value).upper()


CONTRACT_NO = Column("contract_no", "合同编号")
DIRECTIONS = {"inbound": "inbound", "接包": "inbound", "outbound": "outbound", "发包": "outbound"}


def _integer(value: Any) -> int:
    number = parse_decimal(value)
    if number != number.to_integral_value():
        raise CellError(_("“%(value)s” is not a whole number."), {"value": value})
    return int(number)


def _direction(value: Any) -> str:
    text = parse_text(value)
    direction = DIRECTIONS.get(text.lower()) or DIRECTIONS.get(text)
    if direction is None:
        raise CellError(
            _("“%(value)s” is not a direction (inbound 接包 or outbound 发包)."), {"value": text}
        )
    return direction


OWNERSHIPS = {
    "民营": "private",
    "国有": "state",
    "外商投资": "foreign",
    "港澳台商投资": "hmt",
    "集体": "collective",
    "其他": "other",
}


def _ownership(value: Any) -> str:
    text = parse_text(value)
    return OWNERSHIPS.get(text, text.lower())


def _optional(parser: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return parser(value)

    return parse


@dataclass(frozen=True)
class Field:
    """A file column: how its cell is read and which service field it feeds."""

    column: Column
    parse: Callable[[Any], Any]
    target: str  # the key or value name the filing services take


USCC_FIELD = Field(USCC, _uscc, "uscc")


class RowImporter(Importer):
    """A file written row by row through a service, each row in a savepoint of the file's one
    transaction (see the module's docstring)."""

    fields: ClassVar[list[Field]]

    @classmethod
    def file_columns(cls) -> list[Column]:
        return [f.column for f in cls.fields]

    def check_actor(self, actor: Any) -> None:
        if not isinstance(actor, User):
            raise ServiceError(
                _("Name the user the records are filed as (--user)."), code="user_required"
            )

    @abstractmethod
    def _write_row(self, actor: User, values: dict[str, Any]) -> str:
        """Write one row's values; returns created, updated or unchanged."""

    def _written(self, actor: User, path: Path, result: ImportResult) -> None:
        """After a file was written (in its transaction): a kind's own record of the act."""

    def _cells(self, row: Row) -> dict[str, Any]:
        """The row's parsed cells by service name; cell errors on ``row``."""
        values: dict[str, Any] = {}
        for field in self.fields:
            raw = row.values.get(field.column.name, "")
            try:
                if field.column.required and (raw is None or not str(raw).strip()):
                    raise CellError(_("A value is required."))
                values[field.target] = field.parse(raw)
            except CellError as error:
                row.errors.append(RowError(row.number, field.column.name, _shown(raw), str(error)))
        return values

    def run(
        self,
        path: Path | str,
        *,
        actor: Any,
        dry_run: bool = False,
        partial: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> ImportResult:
        path = Path(path)
        self.check_actor(actor)
        result = ImportResult()
        with transaction.atomic():
            for chunk in batched(read_rows(path, self.file_columns()), CHUNK):
                parsed = [(row, self._cells(row)) for row in chunk]
                self._prefetch(actor, [values for row, values in parsed if not row.errors])
                for row, values in parsed:
                    result.rows += 1
                    if not row.errors:
                        try:
                            outcome = self._take(actor, values)
                            setattr(result, outcome, getattr(result, outcome) + 1)
                        except ServiceError as error:
                            row.errors.append(self._row_error(row, error))
                    result.add_errors(row.errors)
                    if progress is not None:
                        progress(result.rows)
                self._flush(actor)
                # With DEBUG on, Django keeps the SQL of the last 9,000 queries; a chunk's
                # lookups name a thousand keys each, so that log alone would grow to hundreds
                # of megabytes over a long file. Memory stays bounded by the chunk.
                reset_queries()
            if dry_run or (result.errors and not partial):
                transaction.set_rollback(True)
                result.created = result.updated = result.unchanged = 0
                return result
            self._written(actor, path, result)
            result.written = True
        return result

    def _prefetch(self, actor: User, rows: list[dict[str, Any]]) -> None:
        """Before a chunk's rows are taken: look up together what they will need."""

    def _take(self, actor: User, values: dict[str, Any]) -> str:
        """One row written in its own savepoint, so that a refused row is undone alone."""
        with transaction.atomic():
            return self._write_row(actor, values)

    def _flush(self, actor: User) -> None:
        """After a chunk: write what ``_take`` kept back."""

    def _row_error(self, row: Row, error: ServiceError) -> RowError:
        names = {f.target: f.column.name for f in self.fields}
        names.update(contract="contract_no", category="category_code", division="division_code")
        column = names.get(error.field or "", error.field or "")
        return RowError(row.number, column, _shown(row.values.get(column, "")), error.text)


class RecordImporter(RowImporter):
    options = frozenset({"submit", "as_approved"})
    model: ClassVar[type[FiledRecord]]
    parent: ClassVar[bool] = False  # amendments and executions belong to a contract

    def __init__(
        self, *, submit: bool = False, as_approved: bool = False, today: dt.date | None = None
    ) -> None:
        self.submit = submit
        self.as_approved = as_approved
        self.context = rules.Context(today=today or dt.date.today(), history=as_approved, memo={})
        self.enterprises: dict[str, Enterprise | None] = {}
        # The chunk's contracts by (enterprise, number), and the natural keys that exist.
        self.contracts: dict[tuple[int, str], Contract | None] = {}
        self.existing: set[tuple[Any, ...]] = set()
        self.kept: dict[tuple[Any, ...], FiledRecord] = {}  # new records not yet written
        self.drafts: dict[int, dict[str, Any]] = {}  # a submitted one's values as a draft

    def check_actor(self, actor: Any) -> None:
        super().check_actor(actor)
        if self.as_approved and actor.role != Role.MINISTRY_ADMIN:
            raise NotPermitted(
                _("Only the ministry administrator may import records as already approved."),
                code="not_permitted",
            )

    def _enterprise(self, uscc: str, actor: User) -> Enterprise:
        if uscc not in self.enterprises:
            # History is migrated by the ministry administrator for any enterprise.
            allowed = (
                Enterprise.objects.all()
                if self.as_approved
                else Enterprise.objects.restrict(actor, "change")
            )
            self.enterprises[uscc] = allowed.filter(uscc=uscc).first()
        enterprise = self.enterprises[uscc]
        if enterprise is None:
            raise ServiceError(
                _("No enterprise with this code that you may file for."),
                code="unknown_enterprise",
                field="uscc",
            )
        return enterprise

    def _contract(self, enterprise: Enterprise, number: str) -> Contract | None:
        if (enterprise.pk, number) not in self.contracts:
            self.contracts[enterprise.pk, number] = (
                Contract.objects.records().filter(enterprise=enterprise, contract_no=number).first()
            )
        return self.contracts[enterprise.pk, number]

    def _key(self, enterprise: Enterprise, values: dict[str, Any]) -> dict[str, Any]:
        key = {f: values.pop(f) for f in self.model.KEY_FIELDS if f != "contract"}
        if self.parent:
            number = values.pop("contract_no")
            contract = self._contract(enterprise, number)
            if contract is None:
                raise ServiceError(
                    _("The enterprise has no contract numbered “%(value)s”."),
                    code="unknown_contract",
                    field="contract_no",
                    params={"value": number},
                )
            key["contract"] = contract
        return key

    def _natural(self, enterprise_id: int, key: dict[str, Any]) -> tuple[Any, ...]:
        return (
            enterprise_id,
            *(v.pk if isinstance(v, Model) else v for v in (key[f] for f in self.model.KEY_FIELDS)),
        )

    def _prefetch(self, actor: User, rows: list[dict[str, Any]]) -> None:
        """The chunk's enterprises, contracts and existing natural keys, a query or two each."""
        self.contracts, self.existing = {}, set()
        if self.as_approved:
            return
        keyed: dict[int, list[dict[str, Any]]] = {}
        for values in rows:
            try:
                enterprise = self._enterprise(values["uscc"], actor)
            except ServiceError:
                continue  # reported when the row is taken
            keyed.setdefault(enterprise.pk, []).append(values)
        last = self.model.KEY_FIELDS[-1]
        for enterprise_id, group in keyed.items():
            if self.parent:
                numbers = {v["contract_no"] for v in group}
                found = {
                    c.contract_no: c
                    for c in Contract.objects.records().filter(
                        enterprise_id=enterprise_id, contract_no__in=numbers
                    )
                }
                for number in numbers:
                    self.contracts[enterprise_id, number] = found.get(number)
            fields = [f"{f}_id" if f == "contract" else f for f in self.model.KEY_FIELDS]
            model: Any = self.model
            numbers = {v[last] for v in group}
            if self.parent:
                # By the contracts, so the (contract, number) index answers whatever the
                # statistics say: by the enterprise the query could read every record it has.
                parents = {
                    c.pk for (e, _n), c in self.contracts.items() if c and e == enterprise_id
                }
                found_keys = model.objects.records().filter(
                    contract_id__in=parents, **{f"{last}__in": numbers}
                )
            else:
                found_keys = model.objects.records().filter(
                    enterprise_id=enterprise_id, **{f"{last}__in": numbers}
                )
            self.existing.update(found_keys.order_by().values_list("enterprise_id", *fields))

    def _take(self, actor: User, values: dict[str, Any]) -> str:
        if self.as_approved:
            return super()._take(actor, values)
        enterprise = self._enterprise(values.pop("uscc"), actor)
        key = self._key(enterprise, values)
        natural = self._natural(enterprise.pk, key)
        if natural in self.existing or natural in self.kept:
            # The database must hold what came before: the services find the record there.
            self._flush(actor)
            try:
                with transaction.atomic():
                    return self._file(actor, enterprise, key, values)
            finally:
                self.context.memo = {}
        row = services.build_record(
            actor=actor,
            model=self.model,
            enterprise=enterprise,
            key=key,
            data=values,
            context=self.context,
        )
        if self.submit:
            draft = snapshot(row, fields=SUBMISSION_FIELDS)
            services.submission(row, self.context)
            self.drafts[id(row)] = draft
        self.kept[natural] = row
        self.context.keep(row)
        return "created"

    def _flush(self, actor: User) -> None:
        """Write the new records kept back, with the events the services would have written
        one by one: created, and submitted."""
        rows = list(self.kept.values())
        if rows:
            insert_many(rows)
            entries = []
            for row in rows:
                after = snapshot(row)
                draft = self.drafts.pop(id(row), None)
                if draft is None:
                    entries.append(Entry(f"filing.{row.kind}.created", row, after=after))
                    continue
                before = {**after, **draft}
                entries.append(Entry(f"filing.{row.kind}.created", row, after=before))
                entries.append(
                    Entry(
                        f"filing.{row.kind}.submitted",
                        row,
                        before=before,
                        after=after,
                        reason=row.warning_comment,
                    )
                )
            record_many(entries, actor=actor)
            self.existing.update(self.kept)
        self.kept, self.drafts = {}, {}
        self.context.pending, self.context.memo = {}, {}

    def _same(self, row: FiledRecord, data: dict[str, Any]) -> bool:
        cleaned = services.clean_values(self.model, data)
        return all(getattr(row, f) == v for f, v in cleaned.items())

    def _file(
        self, actor: User, enterprise: Enterprise, key: dict[str, Any], data: dict[str, Any]
    ) -> str:
        """Write one row; returns created, updated or unchanged."""
        model: Any = self.model
        existing = model.objects.records().filter(enterprise=enterprise, **key).first()
        if existing is None:
            row = services.create_record(
                actor=actor,
                model=model,
                enterprise=enterprise,
                key=key,
                data=data,
                context=self.context,
            )
            self._advance(actor, row)
            return "created"
        if existing.status == RecordStatus.APPROVED:
            open_correction = (
                model.objects.filter(corrects=existing)
                .exclude(status=RecordStatus.APPROVED)
                .first()
            )
            if open_correction is None and self._same(existing, data):
                return "unchanged"
            if open_correction is not None and self._same(open_correction, data):
                return "unchanged"
            correction = open_correction or services.start_correction(
                actor=actor, record=existing, context=self.context
            )
            if correction.status == RecordStatus.SUBMITTED:
                raise _awaiting()
            correction = services.update_record(
                actor=actor, row=correction, data=data, context=self.context
            )
            # A correction of approved figures always goes to review.
            services.submit(actor=actor, row=correction, context=self.context)
            return "updated"
        if self._same(existing, data):
            return "unchanged"
        if existing.status == RecordStatus.SUBMITTED:
            raise _awaiting()
        row = services.update_record(actor=actor, row=existing, data=data, context=self.context)
        self._advance(actor, row)
        return "updated"

    def _write_row(self, actor: User, values: dict[str, Any]) -> str:
        enterprise = self._enterprise(values.pop("uscc"), actor)
        key = self._key(enterprise, values)
        return self._file(actor, enterprise, key, values)

    def _advance(self, actor: User, row: FiledRecord) -> None:
        if self.submit or self.as_approved:
            row = services.submit(actor=actor, row=row, context=self.context)
        if self.as_approved:
            approve_as_history(actor=actor, row=row, context=self.context)

    def _written(self, actor: User, path: Path, result: ImportResult) -> None:
        if self.as_approved and (result.created or result.updated):
            audit(
                f"import.{self.kind}.as_approved",
                actor=actor,
                obj=actor,  # the act is the administrator's; each record has its own event
                after={
                    "file": path.name,
                    "sha256": _sha256(path),
                    "rows": result.rows,
                    "created": result.created,
                    "updated": result.updated,
                },
            )


# What submitting changes on a draft (``services.submission``).
SUBMISSION_FIELDS = [
    "status",
    "submitted_at",
    "warnings",
    "warning_comment",
    "is_late",
    "lock_version",
]


def _shown(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    return "" if value is None else str(value)


def _awaiting() -> ServiceError:
    return ServiceError(
        _("The record is awaiting review: withdraw it before changing it."),
        code="awaiting_review",
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@register("contracts")
class ContractImporter(RecordImporter):
    model = Contract
    fields = [
        USCC_FIELD,
        Field(CONTRACT_NO, parse_text, "contract_no"),
        Field(Column("direction", "合同方向"), _direction, "direction"),
        Field(Column("counterpart_name", "对方名称"), parse_text, "counterpart_name"),
        Field(Column("counterpart_country", "对方国家或地区"), parse_text, "counterpart_country"),
        Field(Column("category_code", "业务类别"), parse_text, "category"),
        Field(Column("currency", "币种"), parse_text, "currency"),
        Field(Column("amount", "合同金额"), parse_decimal, "amount"),
        Field(Column("signed_on", "签约日期"), parse_date, "signed_on"),
        Field(Column("start_on", "开始日期", required=False), _optional(parse_date), "start_on"),
        Field(Column("end_on", "结束日期", required=False), _optional(parse_date), "end_on"),
    ]


@register("amendments")
class AmendmentImporter(RecordImporter):
    model = Amendment
    parent = True
    fields = [
        USCC_FIELD,
        Field(CONTRACT_NO, parse_text, "contract_no"),
        Field(Column("amendment_no", "变更编号"), parse_text, "amendment_no"),
        Field(Column("effective_on", "生效日期"), parse_date, "effective_on"),
        Field(Column("new_amount", "变更后金额"), parse_decimal, "new_amount"),
        Field(Column("reason", "变更原因", required=False), _optional(parse_text), "reason"),
    ]


@register("executions")
class ExecutionImporter(RecordImporter):
    model = Execution
    parent = True
    fields = [
        USCC_FIELD,
        Field(CONTRACT_NO, parse_text, "contract_no"),
        Field(Column("execution_no", "执行编号"), parse_text, "execution_no"),
        Field(Column("executed_on", "执行日期"), parse_date, "executed_on"),
        Field(Column("currency", "币种"), parse_text, "currency"),
        Field(Column("amount", "执行金额"), parse_decimal, "amount"),
        Field(
            Column("receipt_no", "收汇凭证号", required=False), _optional(parse_text), "receipt_no"
        ),
    ]


@register("workforce")
class WorkforceImporter(RecordImporter):
    model = WorkforceReport
    fields = [
        USCC_FIELD,
        Field(Column("month", "月份"), parse_month, "month"),
        Field(Column("employees", "从业人员"), _integer, "employees"),
        Field(Column("employees_college", "大学及以上学历"), _integer, "employees_college"),
        Field(Column("new_hires", "新增从业人员"), _integer, "new_hires"),
        Field(Column("new_hires_college", "新增大学及以上学历"), _integer, "new_hires_college"),
    ]


@register("enterprises")
class EnterpriseImporter(RowImporter):
    """The enterprises file: a commerce department's register, each enterprise registered at
    once by the official importing it (``soms.registry.services.import_enterprise``)."""

    fields = [
        USCC_FIELD,
        Field(Column("name", "企业名称"), parse_text, "name"),
        Field(Column("name_en", "英文名称", required=False), _optional(parse_text), "name_en"),
        Field(Column("division_code", "注册地区划代码"), parse_text, "division"),
        Field(Column("ownership", "企业性质"), _ownership, "ownership"),
        Field(Column("size", "企业规模", required=False), _optional(parse_text), "size"),
        Field(
            Column("established_on", "成立日期", required=False),
            _optional(parse_date),
            "established_on",
        ),
    ]

    def check_actor(self, actor: Any) -> None:
        super().check_actor(actor)
        if actor.is_enterprise_user or actor.division_scope("division") is None:
            raise NotPermitted(
                _("Only a commerce department imports enterprises."), code="not_permitted"
            )

    def _write_row(self, actor: User, values: dict[str, Any]) -> str:
        uscc = values.pop("uscc")
        _enterprise, outcome = import_enterprise(actor=actor, uscc=uscc, profile=values)
        return outcome
