"""The start page's list of certificates expiring soon."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from soms.accounts.choices import Role
from soms.registry.models import Certification
from soms.testing import make_enterprise, make_user

pytestmark = pytest.mark.django_db


def test_expiring_certificates_are_found_behind_many_expired_ones() -> None:
    today = timezone.localdate()
    enterprise = make_enterprise("310115")
    old = today - dt.timedelta(days=3000)
    Certification.objects.bulk_create(
        Certification(
            enterprise=enterprise,
            kind="ISO27001",
            certificate_no=f"OLD-{n}",
            issuer="CQC",
            valid_from=old,
            valid_to=old + dt.timedelta(days=n),
        )
        for n in range(250)
    )
    Certification.objects.create(
        enterprise=enterprise,
        kind="CMMI",
        level=3,
        certificate_no="SOON-1",
        issuer="CMMI Institute",
        valid_from=today - dt.timedelta(days=300),
        valid_to=today + dt.timedelta(days=30),
    )
    client = Client()
    client.force_login(make_user(Role.DISTRICT_REVIEWER, division="310115"))
    html = client.get("/").content.decode()
    assert "CMMI" in html and (today + dt.timedelta(days=30)).isoformat() in html
    assert "OLD-" not in html
