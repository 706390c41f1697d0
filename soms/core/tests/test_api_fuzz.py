"""Schemathesis against the API's own OpenAPI document: every operation, anonymous and as the
ministry statistician (bearer token), with generated parameters and bodies. No answer is a
server error, and every documented answer matches its schema. The number of cases per operation
is bounded (``CASES``) so the suite stays within its time."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from soms.accounts.choices import Role
from soms.accounts.models import ApiToken
from soms.testing import make_user

CASES = 12
pytestmark = pytest.mark.django_db


def _application() -> Any:
    from soms.wsgi import application

    return application


# Loaded when the tests are collected: reading the OpenAPI document needs no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _application())


@pytest.fixture(autouse=True)
def _keep_the_connection() -> Any:
    """The application is called in process, as Django's test client calls it: the end of a
    request must not close the test's database connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


CHECKS = [
    checks.not_a_server_error,
    openapi_checks.response_schema_conformance,
    openapi_checks.content_type_conformance,
]


@pytest.fixture
def token(db: Any) -> str:
    _row, key = ApiToken.issue(make_user(Role.MINISTRY_STATISTICIAN), "fuzz")
    return key


@schema.parametrize()
@settings(
    max_examples=CASES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_the_api_answers_every_generated_request_within_its_schema(case: Any, token: str) -> None:
    case.call_and_validate(checks=CHECKS)
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["offset=46000000000000000000000000000000000000", "offset=-1", "limit=0", "limit=100000"],
)
def test_page_numbers_out_of_bounds_are_refused_before_the_database(query: str) -> None:
    """Found by schemathesis: an offset past 2^63 reached SQLite ("datatype mismatch", a 500)."""
    from django.test import Client

    client = Client()
    client.force_login(make_user(Role.MINISTRY_STATISTICIAN))
    for path in ("/api/v1/enterprises/", "/api/v1/filing/contract/"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, (path, response.content)
        assert response.json()["field"] == query.split("=")[0]
