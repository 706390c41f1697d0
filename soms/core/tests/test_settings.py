"""Production refuses to start without the values it cannot safely guess (soms.settings)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

SETUP = "import django; from django.conf import settings; django.setup()"
PRODUCTION_VALUES = ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "DEBUG")
POSTGRES = "postgres://soms:secret@db.example.invalid:5432/soms"


def start(code: str = SETUP, /, **values: str) -> subprocess.CompletedProcess[str]:
    """Start Django in a fresh interpreter, in production, with only ``values`` configured."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION_VALUES and not k.startswith(("SOMS_", "DJANGO_"))
    }
    env.update({"DJANGO_SETTINGS_MODULE": "soms.settings", "SOMS_ENV": "production", **values})
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def refused(process: subprocess.CompletedProcess[str]) -> str:
    assert process.returncode != 0, process.stdout
    assert "ImproperlyConfigured" in process.stderr
    return process.stderr


def test_production_without_a_secret_key_is_refused():
    assert "SECRET_KEY is required when SOMS_ENV=production" in refused(start())


def test_production_without_allowed_hosts_is_refused():
    assert "ALLOWED_HOSTS is required" in refused(start(SECRET_KEY="k" * 50))


def test_production_without_a_database_url_is_refused():
    stderr = refused(start(SECRET_KEY="k" * 50, ALLOWED_HOSTS="soms.example.cn"))
    assert "DATABASE_URL is required when SOMS_ENV=production" in stderr


def test_production_on_sqlite_is_refused():
    stderr = refused(
        start(SECRET_KEY="k" * 50, ALLOWED_HOSTS="soms.example.cn", DATABASE_URL="sqlite:///x")
    )
    assert "DATABASE_URL must point at PostgreSQL" in stderr


def test_production_with_everything_set_starts():
    process = start(SECRET_KEY="k" * 50, ALLOWED_HOSTS="soms.example.cn", DATABASE_URL=POSTGRES)
    assert process.returncode == 0, process.stderr


def test_production_settings_are_the_safe_ones():
    code = (
        SETUP + "; print(settings.DEBUG, settings.ALLOWED_HOSTS, "
        "settings.DATABASES['default']['ENGINE'], settings.SESSION_COOKIE_SECURE)"
    )
    process = start(
        code,
        SECRET_KEY="k" * 50,
        ALLOWED_HOSTS="soms.example.cn, www.soms.example.cn",
        DATABASE_URL=POSTGRES,
        DEBUG="1",
    )
    assert process.returncode == 0, process.stderr
    assert process.stdout.split() == [
        "False",
        "['soms.example.cn',",
        "'www.soms.example.cn']",
        "django.db.backends.postgresql",
        "True",
    ]


def test_an_unknown_environment_name_is_refused():
    stderr = refused(start(SOMS_ENV="staging"))
    assert "SOMS_ENV must be 'development' or 'production'" in stderr


@pytest.mark.parametrize("name", ["SECRET_KEY", "DATABASE_URL"])
def test_a_blank_value_counts_as_missing(name):
    values = {
        "SECRET_KEY": "k" * 50,
        "ALLOWED_HOSTS": "soms.example.cn",
        "DATABASE_URL": POSTGRES,
        name: "   ",
    }
    assert f"{name} is required" in refused(start(**values))


def test_production_settings_pass_the_deployment_checks() -> None:
    process = start(
        SETUP + "; from django.core.management import call_command;"
        " call_command('check', deploy=True, fail_level='WARNING')",
        SECRET_KEY="k" * 20 + "-a-long-random-production-key-0123456789",
        ALLOWED_HOSTS="soms.example.gov.cn",
        DATABASE_URL=POSTGRES,
    )
    assert process.returncode == 0, process.stderr
    assert "no issues" in process.stdout


@pytest.mark.django_db
def test_every_page_says_where_its_code_may_come_from(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/open-data/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-eval" not in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
    assert response["X-Frame-Options"] == "DENY"
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE and settings.SESSION_COOKIE_AGE <= 8 * 3600
