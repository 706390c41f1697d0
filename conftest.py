"""Test set-up shared by every app: the reference data is loaded once per test database, as
the set-up loads it for a real installation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser flows run once, on the demo's database, when both databases are tested (make
    test: ``-m "not embedded"`` on PostgreSQL)."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.embedded)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    from soms.reference.loaders import load_all

    with django_db_blocker.unblock():
        load_all()


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> Iterator[None]:
    """Transactional tests (live server, concurrency) end with a flush that empties every
    table, reference data included; whichever test comes next on that database loads it again."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        yield
        return
    transactional = marker.kwargs.get("transaction", False) or (
        "live_server" in request.fixturenames
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from soms.reference.loaders import load_all
    from soms.reference.models import Division

    if not Division.objects.exists():
        load_all()
    yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    # Argon2 is the production hasher (see settings); tests that check it ask for it.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]


@pytest.fixture(autouse=True)
def _fresh_public_statistics(settings):  # type: ignore[no-untyped-def]
    # Public figures are reused only while the data is unchanged: test databases come and go
    # under one cache, so nothing from another test is reused.
    from django.core.cache import cache

    cache.clear()
    settings.SOMS_PUBLIC_STATISTICS_MAX_AGE = 0


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
