"""The reference pages: public reading; the ministry maintains the catalogue, groups and rates."""

from __future__ import annotations

import pytest
from django.test import Client

from soms.accounts.choices import Role
from soms.audit.models import AuditEvent
from soms.reference.choices import CatalogueStatus
from soms.reference.models import CatalogueVersion, CountryGroupMembership, ExchangeRate
from soms.testing import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(make_user(Role.MINISTRY_ADMIN))
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/reference/",
        "/reference/divisions/",
        "/reference/divisions/320000/",
        "/reference/catalogue/v1/",
        "/reference/groups/EU27/",
        "/reference/rates/",
    ],
)
def test_reference_pages_are_public(url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 200


def test_division_page_lists_the_children() -> None:
    html = Client().get("/reference/divisions/320500/").content.decode()
    assert "320508" in html and "姑苏区" in html


def test_catalogue_draft_edit_concordance_publish_through_the_pages(admin_client: Client) -> None:
    response = admin_client.post(
        "/reference/catalogue/v1/draft/",
        {"code": "v2", "name": "v2", "effective_from": "2027-01-01"},
    )
    assert response.status_code == 302 and response["Location"] == "/reference/catalogue/v2/"
    admin_client.post(
        "/reference/catalogue/v2/items/",
        {
            "code": "ITO11",
            "parent": "ITO",
            "name_zh": "低代码开发服务",
            "name_en": "Low-code development services",
        },
    )
    admin_client.post("/reference/catalogue/v2/items/ITO99/remove/")
    page = admin_client.get("/reference/catalogue/v2/").content.decode()
    assert "ITO99" in page and "ITO11" in page  # the old leaf is named as unmapped
    assert 'data-testid="problems"' in page
    admin_client.post("/reference/catalogue/v2/publish/")
    assert CatalogueVersion.objects.get(code="v2").status == CatalogueStatus.DRAFT

    pairs = (
        "\n".join(
            f"{c},{c}"
            for c in CatalogueVersion.objects.get(code="v1")
            .items.filter(children__isnull=True)
            .exclude(code="ITO99")
            .values_list("code", flat=True)
        )
        + "\nITO99,ITO11"
    )
    admin_client.post("/reference/catalogue/v2/concordance/", {"pairs": pairs})
    admin_client.post("/reference/catalogue/v2/publish/")
    assert CatalogueVersion.objects.get(code="v2").status == CatalogueStatus.PUBLISHED
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "reference.catalogue.drafted",
        "reference.catalogue.item_saved",
        "reference.catalogue.item_removed",
        "reference.catalogue.concordance_set",
        "reference.catalogue.published",
    } <= actions


def test_a_district_reviewer_cannot_draft_a_catalogue() -> None:
    client = Client()
    client.force_login(make_user(Role.DISTRICT_REVIEWER, division="310115"))
    client.post("/reference/catalogue/v1/draft/", {"code": "v2", "effective_from": "2027-01-01"})
    assert not CatalogueVersion.objects.filter(code="v2").exists()


def test_the_administrator_loads_the_belt_and_road_list(admin_client: Client) -> None:
    response = admin_client.post(
        "/reference/groups/BRI/", {"countries": "KZ, PK TH", "valid_from": "2013-09-07"}
    )
    assert response.status_code == 302
    assert set(
        CountryGroupMembership.objects.filter(group_id="BRI").values_list("country_id", flat=True)
    ) == {"KZ", "PK", "TH"}


def test_an_unknown_country_code_is_named(admin_client: Client) -> None:
    html = admin_client.post("/reference/groups/BRI/", {"countries": "KZ QQ"}).content.decode()
    assert "QQ" in html
    assert not CountryGroupMembership.objects.filter(group_id="BRI").exists()


def test_rates_upload_page(admin_client: Client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("rates.csv", b"month,currency,cny_per_unit\n2025-01,USD,7.18\n")
    html = admin_client.post("/reference/rates/", {"file": upload}).content.decode()
    assert ExchangeRate.objects.filter(month="2025-01-01", currency_id="USD").exists()
    assert "7.18" in html


def test_rates_upload_is_refused_to_others() -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    client.force_login(make_user(Role.CITY_REVIEWER, division="320500"))
    upload = SimpleUploadedFile("rates.csv", b"month,currency,cny_per_unit\n2025-01,USD,7.18\n")
    assert client.post("/reference/rates/", {"file": upload}).status_code == 404
    assert not ExchangeRate.objects.filter(month="2025-01-01").exists()


def test_reference_api_is_public() -> None:
    client = Client()
    countries = client.get("/api/v1/reference/countries").json()
    assert len(countries) == 249
    suzhou = client.get("/api/v1/reference/divisions", {"parent": "320500"}).json()
    assert {"code": "320508"}.items() <= next(d for d in suzhou if d["code"] == "320508").items()
    items = client.get("/api/v1/reference/catalogue/v1").json()
    assert sum(1 for i in items if i["leaf"]) == 33
    assert client.get("/api/v1/reference/currencies").status_code == 200
    assert client.get("/api/v1/reference/rates", {"month": "2025-01"}).status_code == 200
