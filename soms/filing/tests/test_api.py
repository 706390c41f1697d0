"""Filing and record review through the API: the same path as on the web pages, refusals that
name the field and the rule in both languages, scoping (404), stale versions (409), and the
OpenAPI description."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from soms.accounts.choices import Role
from soms.accounts.models import ApiToken, User
from soms.audit.models import AuditEvent
from soms.filing.models import Amendment, Contract, Execution, WorkforceReport
from soms.reference.services import save_rates
from soms.review.models import Comment
from soms.testing import make_enterprise, make_user

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")


class Caller:
    """A user calling the API with a bearer token."""

    def __init__(self, user: User) -> None:
        self.user = user
        _token, key = ApiToken.issue(user, "test")
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        self.client = Client()

    def get(self, url: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{url}", params, **self.headers)

    def post(self, url: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(
            f"/api/v1{url}", body or {}, content_type="application/json", **self.headers
        )

    def put(self, url: str, body: dict[str, Any]) -> Any:
        return self.client.put(
            f"/api/v1{url}", body, content_type="application/json", **self.headers
        )

    def delete(self, url: str) -> Any:
        return self.client.delete(f"/api/v1{url}", **self.headers)


class World:
    def __init__(self) -> None:
        self.today = timezone.localdate()
        self.month = self.today.replace(day=1)
        save_rates(actor="test", rates=[(self.month, "USD", Decimal("7.1"))])
        self.enterprise = make_enterprise("320508")
        self.filer = Caller(make_user(Role.ENTERPRISE_ADMIN, enterprise=self.enterprise))
        self.neighbour = make_enterprise("320508")
        self.neighbour_filer = Caller(make_user(Role.ENTERPRISE_FILER, enterprise=self.neighbour))
        self.district = Caller(make_user(Role.DISTRICT_REVIEWER, division="320508"))
        self.other_district = Caller(make_user(Role.DISTRICT_REVIEWER, division="310115"))
        self.city = Caller(make_user(Role.CITY_REVIEWER, division="320500"))


@pytest.fixture
def world() -> World:
    return World()


def contract_body(today: dt.date, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "contract_no": "C-1",
        "direction": "inbound",
        "counterpart_name": "Acme Inc.",
        "counterpart_country": "US",
        "category": "ITO01",
        "currency": "USD",
        "amount": "100000.00",
        "signed_on": today.isoformat(),
    }
    body.update(over)
    return body


def values_of(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "contract_no"}


def counts() -> tuple[int, ...]:
    return (
        Contract.objects.count(),
        Amendment.objects.count(),
        Execution.objects.count(),
        WorkforceReport.objects.count(),
        Comment.objects.count(),
        AuditEvent.objects.count(),
    )


def refused(response: Any, status: int, code: str, field: str | None) -> dict[str, Any]:
    """A refusal in both languages."""
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["field"] == field
    assert CJK.search(body["message_zh"])
    assert not CJK.search(body["message_en"])
    assert body["message"] == f"{body['message_zh']} / {body['message_en']}"
    return body


# --- description --------------------------------------------------------------------------------


def test_the_openapi_document_lists_the_filing_and_review_endpoints() -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/filing/{kind}/"]) == {"get", "post"}
    assert set(paths["/api/v1/filing/{kind}/{id}"]) == {"get", "put", "delete"}
    for action in ("submit", "withdraw", "correction"):
        assert set(paths[f"/api/v1/filing/{{kind}}/{{id}}/{action}"]) == {"post"}
    assert set(paths["/api/v1/review/{kind}/{id}/approve"]) == {"post"}
    assert set(paths["/api/v1/review/{kind}/{id}/return"]) == {"post"}
    assert set(paths["/api/v1/review/{kind}/{id}/comments"]) == {"get", "post"}
    assert set(paths["/api/v1/review/queue"]) == {"get"}
    assert set(paths["/api/v1/review/decisions"]) == {"post"}
    kind = paths["/api/v1/filing/{kind}/"]["get"]["parameters"][0]
    assert kind["name"] == "kind"
    assert kind["schema"]["enum"] == [
        "contract",
        "amendment",
        "execution",
        "workforce",
        "annual",
        "training",
    ]


# --- the path of a record -----------------------------------------------------------------------


def test_file_warn_return_correct_resubmit_and_approve(world: World) -> None:
    today = world.today
    # A twin filed by another enterprise: our contract has a warning.
    twin = world.neighbour_filer.post("/filing/contract/", contract_body(today, contract_no="N-1"))
    assert twin.status_code == 201
    world.neighbour_filer.post(f"/filing/contract/{twin.json()['id']}/submit", {})

    response = world.filer.post("/filing/contract/", contract_body(today))
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "draft" and created["kind"] == "contract"
    assert created["enterprise"] == world.enterprise.uscc
    assert created["key"] == {"contract_no": "C-1"}
    assert created["values"]["category"] == "ITO01"
    assert created["values"]["amount"] == "100000.00"
    assert created["period"] == f"{world.month:%Y-%m}"
    assert [w["code"] for w in created["warnings"]] == ["similar_contract"]
    url = f"/filing/contract/{created['id']}"
    review_url = f"/review/contract/{created['id']}"

    before = counts()
    refused(
        world.filer.post(f"{url}/submit", {}), 400, "warning_comment_required", "warning_comment"
    )
    assert counts() == before
    response = world.filer.post(
        f"{url}/submit", {"comment": "集团内分包", "version": created["version"]}
    )
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    submitted = response.json()
    assert submitted["warning_comment"] == "集团内分包"

    queue = world.district.get("/review/queue", warnings="true")
    assert [item["id"] for item in queue.json()["items"]] == [created["id"]]
    assert world.district.get("/review/queue").json()["count"] == 2

    refused(
        world.district.post(f"{review_url}/return", {"version": submitted["version"]}),
        400,
        "reason_required",
        "reason",
    )
    response = world.district.post(
        f"{review_url}/return", {"reason": "金额有误", "version": submitted["version"]}
    )
    assert response.status_code == 200
    returned = response.json()
    assert returned["status"] == "returned" and returned["return_reason"] == "金额有误"
    assert world.filer.get(url).json()["return_reason"] == "金额有误"

    response = world.filer.put(
        url, {**values_of(contract_body(today, amount="120000")), "version": returned["version"]}
    )
    assert response.status_code == 200, response.content
    edited = response.json()
    assert edited["values"]["amount"] == "120000.00" and edited["warnings"] == []
    response = world.filer.post(f"{url}/submit", {"version": edited["version"]})
    resubmitted = response.json()
    assert resubmitted["status"] == "submitted"

    # A stale version: somebody else changed the record since.
    refused(
        world.district.post(f"{review_url}/approve", {"version": edited["version"]}),
        409,
        "conflict",
        None,
    )
    response = world.district.post(f"{review_url}/approve", {"version": resubmitted["version"]})
    assert response.status_code == 200 and response.json()["status"] == "approved"

    # A correction: the approved values count until the correction is approved.
    response = world.filer.post(f"{url}/correction")
    assert response.status_code == 201
    correction = response.json()
    assert correction["corrects"] == created["id"] and correction["status"] == "draft"
    assert world.filer.post(f"{url}/correction").json()["id"] == correction["id"]
    assert world.filer.post(f"{url}/correction").status_code == 200
    assert world.filer.get(url).json()["open_correction"] == correction["id"]
    curl = f"/filing/contract/{correction['id']}"
    review_curl = f"/review/contract/{correction['id']}"
    corrected = world.filer.put(
        curl, {**values_of(contract_body(today, amount="125000")), "version": correction["version"]}
    ).json()
    corrected = world.filer.post(f"{curl}/submit", {"version": corrected["version"]}).json()
    assert Contract.objects.counting().get().amount == Decimal("120000.00")
    response = world.district.post(f"{review_curl}/approve", {"version": corrected["version"]})
    assert response.status_code == 200 and response.json()["id"] == created["id"]
    assert response.json()["values"]["amount"] == "125000.00"
    assert Contract.objects.counting().get().amount == Decimal("125000.00")


def test_amendments_and_executions_name_their_contract_by_number(world: World) -> None:
    today = world.today.isoformat()
    contract = world.filer.post("/filing/contract/", contract_body(world.today)).json()
    response = world.filer.post(
        "/filing/execution/",
        {
            "contract_no": "C-1",
            "execution_no": "E-1",
            "executed_on": today,
            "currency": "USD",
            "amount": 40000,
            "receipt_no": "BR-1",
        },
    )
    assert response.status_code == 201, response.content
    execution = response.json()
    assert execution["key"] == {"contract_no": "C-1", "execution_no": "E-1"}
    assert execution["values"]["receipt_no"] == "BR-1"
    response = world.filer.post(
        "/filing/amendment/",
        {
            "contract_no": "C-1",
            "amendment_no": "A-1",
            "effective_on": today,
            "new_amount": "150000",
        },
    )
    assert response.status_code == 201 and response.json()["values"]["new_amount"] == "150000.00"
    response = world.filer.post(
        "/filing/workforce/",
        {
            "month": f"{world.month:%Y-%m}",
            "employees": 50,
            "employees_college": 40,
            "new_hires": 5,
            "new_hires_college": 5,
        },
    )
    assert response.status_code == 201 and response.json()["key"] == {
        "month": f"{world.month:%Y-%m}"
    }

    # Bulk approval: the execution waits for its contract (approved first within the batch);
    # a record of another district is not in the caller's queue.
    world.filer.post(f"/filing/contract/{contract['id']}/submit", {})
    world.filer.post(f"/filing/execution/{execution['id']}/submit", {})
    response = world.district.post(
        "/review/decisions",
        {
            "records": [
                {"kind": "execution", "id": execution["id"]},
                {"kind": "contract", "id": contract["id"]},
                {"kind": "workforce", "id": 999999},
            ],
            "decision": "approve",
        },
    )
    assert response.status_code == 200, response.content
    result = response.json()
    assert [(r["kind"], r["status"]) for r in result["done"]] == [
        ("contract", "approved"),
        ("execution", "approved"),
    ]
    assert [(r["kind"], r["code"]) for r in result["refused"]] == [("workforce", "not_found")]


def test_bulk_decisions_report_the_refused_ones(world: World) -> None:
    draft_contract = world.filer.post("/filing/contract/", contract_body(world.today)).json()
    execution = world.filer.post(
        "/filing/execution/",
        {
            "contract_no": "C-1",
            "execution_no": "E-1",
            "executed_on": world.today.isoformat(),
            "currency": "USD",
            "amount": "1000",
        },
    ).json()
    world.filer.post(f"/filing/execution/{execution['id']}/submit", {})
    response = world.district.post(
        "/review/decisions",
        {"records": [{"kind": "execution", "id": execution["id"]}], "decision": "approve"},
    )
    refusal = response.json()["refused"][0]
    assert refusal["code"] == "contract_not_approved" and refusal["field"] == "contract"
    assert CJK.search(refusal["message_zh"])
    assert draft_contract["status"] == "draft"


def test_withdraw_and_discard(world: World) -> None:
    created = world.filer.post("/filing/contract/", contract_body(world.today)).json()
    url = f"/filing/contract/{created['id']}"
    submitted = world.filer.post(f"{url}/submit", {}).json()
    refused(world.filer.delete(url), 400, "illegal_transition", None)
    response = world.filer.post(f"{url}/withdraw", {"version": submitted["version"]})
    assert response.status_code == 200 and response.json()["status"] == "draft"
    assert world.filer.delete(url).status_code == 204
    assert world.filer.get(url).status_code == 404


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("over", "code", "field"),
    [
        ({"category": "ITO"}, "category_not_leaf", "category"),
        ({"counterpart_country": "Atlantis"}, "unknown_country", "counterpart_country"),
        ({"amount": "12.345"}, "invalid_amount", "amount"),
        ({"amount": "abc"}, "invalid", "amount"),
        ({"amount": None}, "required", "amount"),
        ({"signed_on": "2026-02-30"}, "invalid", "signed_on"),
        ({"direction": "sideways"}, "invalid_choice", "direction"),
        ({"contract_no": ""}, "required", "contract_no"),
    ],
)
def test_bad_input_answers_400_with_the_field_and_the_rule(
    world: World, over: dict[str, Any], code: str, field: str
) -> None:
    before = counts()
    response = world.filer.post("/filing/contract/", contract_body(world.today, **over))
    refused(response, 400, code, field)
    assert counts() == before


def test_keys_that_name_nothing_are_refused(world: World) -> None:
    before = counts()
    body = {"execution_no": "E-1", "executed_on": world.today.isoformat(), "amount": "1"}
    refused(world.filer.post("/filing/execution/", body), 400, "required", "contract_no")
    body["contract_no"] = "NOPE"
    response = world.filer.post("/filing/execution/", body)
    assert response.status_code == 400 and response.json()["code"] == "unknown_contract"
    assert response.json()["field"] == "contract_no"
    response = world.filer.post("/filing/workforce/", {"month": "2026-13", "employees": 1})
    refused(response, 400, "invalid_month", "month")
    response = world.filer.get("/filing/contract/", month="13/2026")
    refused(response, 400, "invalid_month", "month")
    response = world.filer.post("/filing/gadgets/", {})
    assert response.status_code in (400, 404)
    assert counts() == before
    # Officials do not file.
    refused(
        world.district.post("/filing/contract/", contract_body(world.today)),
        403,
        "not_permitted",
        None,
    )


def test_records_outside_the_callers_scope_answer_404(world: World) -> None:
    created = world.filer.post("/filing/contract/", contract_body(world.today)).json()
    url = f"/filing/contract/{created['id']}"
    review_url = f"/review/contract/{created['id']}"
    submitted = world.filer.post(f"{url}/submit", {}).json()
    before = counts()
    other = world.neighbour_filer
    assert other.get(url).status_code == 404
    assert other.put(url, values_of(contract_body(world.today))).status_code == 404
    assert other.post(f"{url}/withdraw", {}).status_code == 404
    assert other.post(f"{review_url}/comments", {"text": "x"}).status_code == 404
    assert other.get("/filing/contract/").json()["items"] == []
    assert world.other_district.get(url).status_code == 404
    assert world.other_district.post(f"{review_url}/approve", {}).status_code == 404
    assert world.other_district.get("/review/queue").json()["items"] == []
    # The city sees the record, but only the district decides and only the enterprise files.
    assert world.city.get(url).status_code == 200
    assert world.city.post(f"{review_url}/approve", {}).status_code == 404
    assert world.district.put(url, values_of(contract_body(world.today))).status_code == 404
    assert world.filer.post(f"{review_url}/approve", {}).status_code == 404
    assert counts() == before
    assert world.filer.get(url).json()["version"] == submitted["version"]
    # The same calls by the right callers go through.
    assert world.filer.post(f"{review_url}/comments", {"text": "x"}).status_code == 201
    assert world.district.post(f"{review_url}/approve", {}).status_code == 200


def test_lists_filter_by_month_and_status(world: World) -> None:
    first = world.filer.post("/filing/contract/", contract_body(world.today)).json()
    second = world.filer.post(
        "/filing/contract/", contract_body(world.today, contract_no="C-2", amount="5")
    ).json()
    world.filer.post(f"/filing/contract/{second['id']}/submit", {})
    listed = world.filer.get("/filing/contract/").json()
    assert listed["count"] == 2
    submitted = world.filer.get("/filing/contract/", status="submitted").json()["items"]
    assert [r["id"] for r in submitted] == [second["id"]]
    month = world.filer.get("/filing/contract/", month=f"{world.month:%Y-%m}").json()
    assert {r["id"] for r in month["items"]} == {first["id"], second["id"]}
    assert world.filer.get("/filing/contract/", month="2001-01").json()["count"] == 0
    # The district sees what was submitted to it; the draft is the enterprise's own.
    district = world.district.get("/filing/contract/").json()
    assert [r["id"] for r in district["items"]] == [second["id"]]
    assert world.district.get("/review/queue", kind="workforce").json()["count"] == 0
    assert world.district.get("/review/queue", kind="contract").json()["count"] == 1


def test_the_comment_thread(world: World) -> None:
    created = world.filer.post("/filing/contract/", contract_body(world.today)).json()
    url = f"/review/contract/{created['id']}/comments"
    # A draft is the enterprise's own: the district finds nothing to comment on until submitted.
    assert world.district.post(url, {"text": "请补充附件"}).status_code == 404
    world.filer.post(f"/filing/contract/{created['id']}/submit", {})
    response = world.district.post(url, {"text": "请补充附件"})
    assert response.status_code == 201 and response.json()["text"] == "请补充附件"
    assert world.filer.post(url, {"text": "已补充"}).status_code == 201
    assert [c["text"] for c in world.filer.get(url).json()] == ["请补充附件", "已补充"]
    detail = world.city.get(f"/filing/contract/{created['id']}").json()
    assert [c["text"] for c in detail["comments"]] == ["请补充附件", "已补充"]
    before = counts()
    refused(world.filer.post(url, {"text": " "}), 400, "required", "text")
    assert counts() == before
