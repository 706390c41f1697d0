"""Benchmarks of the registry's hot paths: the scoped list a reviewer opens many times a day and
the audit write every state change pays for. Run with `make bench`."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from soms.accounts.choices import Role
from soms.audit.services import record
from soms.registry.models import Enterprise
from soms.testing import make_enterprise, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_thousand_enterprises() -> None:
    divisions = ["310115", "310104", "320508", "320106", "330106"]
    for n in range(2000):
        make_enterprise(divisions[n % len(divisions)])


def test_scoped_enterprise_list_page(benchmark, two_thousand_enterprises) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(make_user(Role.CITY_REVIEWER, division="310000"))
    response = benchmark(client.get, "/registry/enterprises/")
    assert response.status_code == 200


def test_audit_record(benchmark) -> None:  # type: ignore[no-untyped-def]
    enterprise = make_enterprise()

    def write() -> None:
        with transaction.atomic():
            record("bench.event", actor="bench", obj=enterprise, after={"n": 1})

    benchmark(write)
    assert Enterprise.objects.count() == 1
