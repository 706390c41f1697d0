"""The filing and record-review pages as their users drive them: who sees what, the path of a
record from draft to approval through a return, corrections side by side, bulk decisions, and bad
input refused next to its field in both languages."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.audit.models import AuditEvent
from soms.core.errors import bilingual as bilingual_text
from soms.filing import services
from soms.filing.choices import RecordStatus
from soms.filing.models import Amendment, Contract, Execution, FiledRecord, WorkforceReport
from soms.reference.services import save_rates
from soms.review import services as review
from soms.review.models import Comment
from soms.testing import make_enterprise, make_user

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")


class World:
    """Two enterprises of Gusu district (320508), one of Pudong (310115), and their officials."""

    def __init__(self) -> None:
        self.today = timezone.localdate()
        self.month = self.today.replace(day=1)
        save_rates(actor="test", rates=[(self.month, "USD", Decimal("7.1"))])
        self.enterprise = make_enterprise("320508")
        self.filer = make_user(Role.ENTERPRISE_ADMIN, enterprise=self.enterprise)
        self.neighbour = make_enterprise("320508")
        self.neighbour_filer = make_user(Role.ENTERPRISE_FILER, enterprise=self.neighbour)
        self.far = make_enterprise("310115")
        self.far_filer = make_user(Role.ENTERPRISE_ADMIN, enterprise=self.far)
        self.district = make_user(Role.DISTRICT_REVIEWER, division="320508")
        self.other_district = make_user(Role.DISTRICT_REVIEWER, division="310115")
        self.city = make_user(Role.CITY_REVIEWER, division="320500")

    def contract(self, number: str = "C-1", enterprise: Any = None, **over: Any) -> Contract:
        enterprise = enterprise or self.enterprise
        actor = User.objects.filter(enterprise=enterprise).first()
        return services.create_record(
            actor=actor,
            model=Contract,
            enterprise=enterprise,
            key={"contract_no": number},
            data=contract_data(self.today, **over),
        )

    def approved_contract(self, number: str = "C-1", **over: Any) -> Contract:
        row = services.submit(actor=self.filer, row=self.contract(number, **over))
        review.approve_record(actor=self.district, row=row)
        row.refresh_from_db()
        return row


@pytest.fixture
def world() -> World:
    return World()


def contract_data(today: dt.date, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "direction": "inbound",
        "counterpart_name": "Acme Inc.",
        "counterpart_country": "US",
        "category": "ITO01",
        "currency": "USD",
        "amount": "100000.00",
        "signed_on": today.isoformat(),
    }
    data.update(over)
    return data


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.content.decode()


def field_error(html: str, field: str) -> str:
    """The error shown under a form field ('' if none)."""
    match = re.search(rf'<div role="alert" data-field-error="{field}">(.*?)</div>', html, re.S)
    return match.group(1) if match else ""


def bilingual(text: str, english: str) -> bool:
    return english in text and " / " in text and CJK.search(text) is not None


def detail(row: FiledRecord) -> str:
    return f"/filing/{row.kind}/{row.pk}/"


def counts() -> tuple[int, ...]:
    return (
        Contract.objects.count(),
        Amendment.objects.count(),
        Execution.objects.count(),
        WorkforceReport.objects.count(),
        AuditEvent.objects.count(),
    )


# --- who sees what ------------------------------------------------------------------------------


def test_each_page_renders_for_its_users_and_answers_404_to_others(world: World) -> None:
    contract = world.contract()
    submitted = services.submit(actor=world.filer, row=world.contract("C-2", amount="5000"))
    filer = logged_in(world.filer)

    home = page(filer, "/filing/")
    assert 'data-testid="create-contract"' in home and 'data-testid="create-workforce"' in home
    assert "C-1" in page(filer, "/filing/contract/")
    for kind in ("contract", "amendment", "execution", "workforce"):
        page(filer, f"/filing/{kind}/")
        page(filer, f"/filing/{kind}/new/")
    assert "Acme Inc." in page(filer, detail(contract))
    page(filer, f"/filing/contract/{contract.pk}/edit/")

    # Another enterprise of the same district, and one of another district: nothing of ours.
    for user in (world.neighbour_filer, world.far_filer):
        other = logged_in(user)
        assert "C-1" not in page(other, "/filing/contract/")
        page(other, detail(contract), 404)
        page(other, f"/filing/contract/{contract.pk}/edit/", 404)
        assert other.post(f"/filing/contract/{contract.pk}/submit/").status_code == 404
        assert (
            other.post(f"/filing/contract/{contract.pk}/comments/", {"text": "x"}).status_code
            == 404
        )
        page(other, "/filing/review/", 404)

    # The district sees what is submitted and reviews it; it does not file, and a draft is the
    # enterprise's own.
    district = logged_in(world.district)
    page(district, detail(contract), 404)
    assert "C-2" in page(district, detail(submitted))
    assert "C-1" not in page(district, "/filing/contract/")
    page(district, f"/filing/contract/{contract.pk}/edit/", 404)
    page(district, "/filing/contract/new/", 404)
    assert "C-2" in page(district, "/filing/review/")
    # The city sees its districts' records but reviews none.
    city = logged_in(world.city)
    page(city, detail(contract), 404)
    page(city, detail(submitted))
    page(city, "/filing/review/", 404)
    assert city.post(f"/filing/review/contract/{submitted.pk}/approve/").status_code == 404
    # Another district sees nothing of Gusu.
    elsewhere = logged_in(world.other_district)
    page(elsewhere, detail(contract), 404)
    assert "C-2" not in page(elsewhere, "/filing/review/")
    assert elsewhere.post(f"/filing/review/contract/{submitted.pk}/approve/").status_code == 404
    assert (
        elsewhere.post(
            f"/filing/review/contract/{submitted.pk}/return/", {"reason": "x"}
        ).status_code
        == 404
    )
    submitted.refresh_from_db()
    assert submitted.status == RecordStatus.SUBMITTED


def test_the_list_filters_by_month_and_status_and_answers_htmx_with_the_rows(world: World) -> None:
    world.contract("C-1")
    services.submit(actor=world.filer, row=world.contract("C-2", amount="2000"))
    filer = logged_in(world.filer)
    html = page(filer, "/filing/contract/?status=submitted")
    assert "C-2" in html and ">C-1<" not in html
    month = f"{world.month:%Y-%m}"
    partial = filer.get(f"/filing/contract/?month={month}", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    text = partial.content.decode()
    assert "C-1" in text and "C-2" in text and "<html" not in text
    assert "C-1" not in page(filer, "/filing/contract/?month=2001-01")
    assert bilingual(
        field_error(page(filer, "/filing/contract/?month=2026-13"), "month"), "YYYY-MM"
    )


# --- the path of a record -----------------------------------------------------------------------


def test_create_submit_with_a_warning_return_edit_resubmit_approve(world: World) -> None:
    # Another enterprise filed the same counterpart, amount and date: a warning for ours.
    services.submit(actor=world.neighbour_filer, row=world.contract("N-1", world.neighbour))
    filer = logged_in(world.filer)
    response = filer.post(
        "/filing/contract/new/", {"contract_no": "C-7", **contract_data(world.today)}
    )
    contract = Contract.objects.get(enterprise=world.enterprise, contract_no="C-7")
    assert response.status_code == 302 and response["Location"] == detail(contract)
    assert contract.status == RecordStatus.DRAFT
    assert contract.counterpart_country_id == "US" and contract.category.code == "ITO01"

    html = page(filer, detail(contract))
    assert 'data-testid="warnings"' in html and world.neighbour.uscc in html
    assert 'name="warning_comment"' in html

    # Warnings need a comment.
    response = filer.post(f"{detail(contract)}submit/", {"version": contract.lock_version})
    assert response.status_code == 200
    error = field_error(response.content.decode(), "warning_comment")
    assert bilingual(error, "Explain the warnings before submitting")
    contract.refresh_from_db()
    assert contract.status == RecordStatus.DRAFT

    response = filer.post(
        f"{detail(contract)}submit/",
        {"version": contract.lock_version, "warning_comment": "同一集团的两家企业分别签约"},
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == RecordStatus.SUBMITTED
    assert contract.warning_comment == "同一集团的两家企业分别签约"

    # The district sees it in its queue with the warning and the comment, and returns it.
    district = logged_in(world.district)
    queue = page(district, "/filing/review/")
    assert "C-7" in queue and "同一集团的两家企业分别签约" in queue
    assert world.neighbour.uscc in queue  # the warning's text
    response = district.post(
        f"/filing/review/contract/{contract.pk}/return/",
        {"reason": "", "version": contract.lock_version},
    )
    assert response.status_code == 200
    assert bilingual(field_error(response.content.decode(), "reason"), "Say why the record")
    contract.refresh_from_db()
    assert contract.status == RecordStatus.SUBMITTED
    response = district.post(
        f"/filing/review/contract/{contract.pk}/return/",
        {"reason": "合同金额与附件不符", "version": contract.lock_version},
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == RecordStatus.RETURNED

    # The filer sees the reason on the record and on the filing home, corrects and resubmits.
    assert "合同金额与附件不符" in page(filer, detail(contract))
    assert "合同金额与附件不符" in page(filer, "/filing/")
    edit_url = f"/filing/contract/{contract.pk}/edit/"
    assert 'value="C-7"' in page(filer, edit_url)
    data = contract_data(world.today, amount="120000.00")
    response = filer.post(edit_url, {**data, "version": contract.lock_version})
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.amount == Decimal("120000.00") and contract.status == RecordStatus.RETURNED
    assert contract.warnings == []  # no twin any more
    response = filer.post(f"{detail(contract)}submit/", {"version": contract.lock_version})
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == RecordStatus.SUBMITTED

    # A decision on a stale version is refused: someone else changed the record.
    stale = contract.lock_version - 1
    response = district.post(
        f"/filing/review/contract/{contract.pk}/approve/", {"version": stale}, follow=True
    )
    assert "changed by someone else" in response.content.decode()
    contract.refresh_from_db()
    assert contract.status == RecordStatus.SUBMITTED
    response = district.post(
        f"/filing/review/contract/{contract.pk}/approve/", {"version": contract.lock_version}
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == RecordStatus.APPROVED
    assert contract.decided_by == world.district
    actions = list(
        AuditEvent.objects.for_object(contract)
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == [
        "filing.contract.created",
        "filing.contract.submitted",
        "filing.contract.returned",
        "filing.contract.edited",
        "filing.contract.submitted",
        "filing.contract.approved",
    ]
    html = page(filer, detail(contract))
    assert 'data-action="filing.contract.returned"' in html  # the timeline
    assert "Correct this record" in html or "更正" in html


def test_withdraw_before_review_and_discard_a_draft(world: World) -> None:
    contract = services.submit(actor=world.filer, row=world.contract())
    filer = logged_in(world.filer)
    assert (
        filer.post(f"{detail(contract)}withdraw/", {"version": contract.lock_version}).status_code
        == 302
    )
    contract.refresh_from_db()
    assert contract.status == RecordStatus.DRAFT
    response = filer.post(f"{detail(contract)}discard/")
    assert response.status_code == 302 and response["Location"] == "/filing/contract/"
    assert not Contract.objects.filter(pk=contract.pk).exists()


def test_amendment_execution_and_workforce_are_filed_through_their_forms(world: World) -> None:
    contract = world.approved_contract()
    filer = logged_in(world.filer)
    today = world.today.isoformat()
    response = filer.post(
        "/filing/execution/new/",
        {
            "contract": contract.pk,
            "execution_no": "E-1",
            "executed_on": today,
            "currency": "USD",
            "amount": "40000",
            "receipt_no": "BR-2026-001",
        },
    )
    execution = Execution.objects.get()
    assert response.status_code == 302 and execution.receipt_no == "BR-2026-001"
    assert "BR-2026-001" in page(filer, detail(execution))
    response = filer.post(
        "/filing/amendment/new/",
        {
            "contract": contract.pk,
            "amendment_no": "A-1",
            "effective_on": today,
            "new_amount": "150000",
        },
    )
    assert response.status_code == 302 and Amendment.objects.get().new_amount == 150000
    response = filer.post(
        "/filing/workforce/new/",
        {
            "month": f"{world.month:%Y-%m}",
            "employees": "120",
            "employees_college": "100",
            "new_hires": "8",
            "new_hires_college": "7",
        },
    )
    report = WorkforceReport.objects.get()
    assert response.status_code == 302 and report.month == world.month
    assert page(filer, f"/filing/workforce/{report.pk}/edit/").count('type="month"') == 1

    # Only the enterprise's own contracts can be chosen.
    foreign = world.contract("N-1", world.neighbour)
    before = counts()
    response = filer.post(
        "/filing/execution/new/",
        {
            "contract": foreign.pk,
            "execution_no": "E-2",
            "executed_on": today,
            "currency": "USD",
            "amount": "1",
        },
    )
    assert response.status_code == 200
    expected = escape(bilingual_text(_("Choose one of this enterprise's contracts.")))
    assert field_error(response.content.decode(), "contract") == (
        f'<ul class="errorlist" id="id_contract_error"><li>{expected}</li></ul>'
    )
    assert counts() == before


# --- corrections --------------------------------------------------------------------------------


def test_a_correction_is_shown_beside_the_approved_values_until_approved(world: World) -> None:
    contract = world.approved_contract()
    filer = logged_in(world.filer)
    response = filer.post(f"{detail(contract)}correction/")
    correction = Contract.objects.get(corrects=contract)
    assert response["Location"] == f"/filing/contract/{correction.pk}/edit/"
    response = filer.post(
        f"/filing/contract/{correction.pk}/edit/",
        {
            **contract_data(world.today, amount="130000.00", counterpart_name="Acme Ltd."),
            "version": correction.lock_version,
        },
    )
    assert response.status_code == 302

    html = page(filer, detail(correction))
    compare = html[html.index('data-testid="compare"') :]
    assert "100,000.00" in compare and "130,000.00" in compare
    assert 'data-changed="amount"' in compare and 'data-changed="counterpart_name"' in compare
    assert 'data-changed="currency"' not in compare
    record_page = page(filer, detail(contract))
    assert 'data-testid="open-correction"' in record_page and "130,000.00" in record_page

    correction.refresh_from_db()
    services.submit(actor=world.filer, row=correction)
    assert Contract.objects.counting().get().amount == Decimal("100000.00")
    district = logged_in(world.district)
    queue = page(district, "/filing/review/")
    assert 'data-testid="changes"' in queue and "130,000.00" in queue
    review_page = page(district, detail(correction))
    assert "100,000.00" in review_page and "130,000.00" in review_page
    correction.refresh_from_db()
    response = district.post(
        f"/filing/review/contract/{correction.pk}/approve/", {"version": correction.lock_version}
    )
    assert response.status_code == 302 and response["Location"] == detail(contract)
    assert Contract.objects.counting().get().amount == Decimal("130000.00")


# --- bulk decisions -----------------------------------------------------------------------------


def test_bulk_approval_reports_the_refused_records(world: World) -> None:
    first = services.submit(actor=world.filer, row=world.contract("C-1"))
    draft_contract = world.contract("C-2", amount="50000")
    execution = services.create_record(
        actor=world.filer,
        model=Execution,
        enterprise=world.enterprise,
        key={"contract": draft_contract, "execution_no": "E-1"},
        data={"executed_on": world.today, "currency": "USD", "amount": "1000"},
    )
    execution = services.submit(actor=world.filer, row=execution)
    report = services.create_record(
        actor=world.filer,
        model=WorkforceReport,
        enterprise=world.enterprise,
        key={"month": world.month},
        data={"employees": 10, "employees_college": 9, "new_hires": 1, "new_hires_college": 1},
    )
    report = services.submit(actor=world.filer, row=report)
    district = logged_in(world.district)
    rows = [f"contract:{first.pk}", f"execution:{execution.pk}", f"workforce:{report.pk}"]

    # Returning needs a reason, shown next to the field; nothing is decided.
    response = district.post("/filing/review/decide/", {"rows": rows, "decision": "return"})
    assert response.status_code == 200
    assert bilingual(field_error(response.content.decode(), "reason"), "Say why the record")
    first.refresh_from_db()
    assert first.status == RecordStatus.SUBMITTED

    response = district.post(
        "/filing/review/decide/",
        {"rows": rows, "decision": "approve", "query": "kind="},
        follow=True,
    )
    html = response.content.decode()
    for row in (first, execution, report):
        row.refresh_from_db()
    assert first.status == RecordStatus.APPROVED and report.status == RecordStatus.APPROVED
    assert execution.status == RecordStatus.SUBMITTED
    assert "Approve the contract before its executions and amendments." in html
    assert "E-1" in html  # the refused record is named
    assert f'data-row="execution:{execution.pk}"' in html  # still in the queue

    # Bulk return of the rest, with a reason.
    response = district.post(
        "/filing/review/decide/",
        {"rows": [f"execution:{execution.pk}"], "decision": "return", "reason": "先审合同"},
    )
    execution.refresh_from_db()
    assert execution.status == RecordStatus.RETURNED and execution.return_reason == "先审合同"


def test_the_queue_filters_by_kind_month_late_and_warnings(world: World) -> None:
    services.submit(actor=world.neighbour_filer, row=world.contract("N-1", world.neighbour))
    warned = world.contract("C-1")
    services.submit(actor=world.filer, row=warned, comment="说明")
    plain = services.submit(actor=world.filer, row=world.contract("C-2", amount="777"))
    type(plain).objects.filter(pk=plain.pk).update(is_late=True)
    district = logged_in(world.district)
    html = page(district, "/filing/review/?warnings=on")
    assert f'data-row="contract:{warned.pk}"' in html
    assert f'data-row="contract:{plain.pk}"' not in html
    html = page(district, "/filing/review/?late=on")
    assert f'data-row="contract:{plain.pk}"' in html
    assert f'data-row="contract:{warned.pk}"' not in html
    assert "contract:" not in page(district, "/filing/review/?kind=workforce").split("<tbody>")[1]
    assert "contract:" not in page(district, "/filing/review/?month=2001-01").split("<tbody>")[1]
    partial = district.get("/filing/review/?kind=contract", HTTP_HX_REQUEST="true")
    assert (
        "<html" not in partial.content.decode()
        and f"contract:{plain.pk}" in partial.content.decode()
    )


# --- comments -----------------------------------------------------------------------------------


def test_the_comment_thread_on_a_record(world: World) -> None:
    contract = services.submit(actor=world.filer, row=world.contract())
    district = logged_in(world.district)
    response = district.post(f"{detail(contract)}comments/", {"text": "请补充合同附件"})
    assert response.status_code == 302
    filer = logged_in(world.filer)
    filer.post(f"{detail(contract)}comments/", {"text": "已补充"})
    html = page(filer, detail(contract))
    assert html.index("请补充合同附件") < html.index("已补充")
    assert "请补充合同附件" in page(district, "/filing/review/")
    before = Comment.objects.count()
    response = filer.post(f"{detail(contract)}comments/", {"text": "  "})
    assert response.status_code == 200
    assert bilingual(field_error(response.content.decode(), "text"), "Write a comment.")
    assert Comment.objects.count() == before


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "english"),
    [
        ("category", "ITO", "is not a category of the catalogue in force"),
        ("counterpart_country", "Atlantis", "is not a country or territory"),
        ("amount", "12.345", "at most two decimals"),
        ("amount", "", "is required"),
        ("signed_on", "2026-02-30", "is not a date"),
        ("direction", "sideways", "“inbound” or “outbound”"),
        ("currency", "ZZZ", "is not an ISO 4217 currency code"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_in_both_languages(
    world: World, field: str, value: str, english: str
) -> None:
    filer = logged_in(world.filer)
    before = counts()
    data = {"contract_no": "C-9", **contract_data(world.today), field: value}
    response = filer.post("/filing/contract/new/", data)
    assert response.status_code == 200
    error = field_error(response.content.decode(), field)
    assert bilingual(error, english), error
    assert counts() == before


def test_a_rule_of_the_services_is_shown_next_to_its_field(world: World) -> None:
    contract = world.approved_contract()
    filer = logged_in(world.filer)
    before = counts()
    response = filer.post(
        "/filing/execution/new/",
        {
            "contract": contract.pk,
            "execution_no": "E-1",
            "executed_on": world.today.isoformat(),
            "currency": "USD",
            "amount": "100000.01",
        },
    )
    assert bilingual(field_error(response.content.decode(), "amount"), "more than the contract")
    response = filer.post("/filing/workforce/new/", {"month": "2026-13", "employees": "1"})
    html = response.content.decode()
    assert bilingual(field_error(html, "month"), "YYYY-MM")
    assert bilingual(field_error(html, "new_hires"), "is required")
    response = filer.post(
        "/filing/contract/new/", {"contract_no": "C-1", **contract_data(world.today)}
    )
    assert bilingual(field_error(response.content.decode(), "contract_no"), "already a record")
    assert counts() == before
