"""The audit trail is append-only and tamper-evident (soms.audit)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction

from soms.accounts.choices import Role
from soms.audit.models import AppendOnlyError, AuditChainHead, AuditEvent
from soms.audit.services import record, snapshot, verify_chain
from soms.core.context import acting_from
from soms.reference.models import Currency, ExchangeRate
from soms.testing import make_user

TRIGGER = "audit_auditevent_no_update"
GENESIS = "0" * 64


def _events(n: int, actor="test", year: int = 2024) -> list[AuditEvent]:
    usd = Currency.objects.get(code="USD")
    events = []
    with transaction.atomic():
        for i in range(n):
            rate = ExchangeRate.objects.create(
                month=dt.date(year, i + 1, 1), currency=usd, cny_per_unit=Decimal("7.1") + i
            )
            events.append(
                record(
                    "test.rate.saved",
                    actor=actor,
                    obj=rate,
                    after=snapshot(rate, ["month", "currency", "cny_per_unit"]),
                )
            )
    return events


def _trigger_present() -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = %s", [TRIGGER])
        else:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = %s", [TRIGGER]
            )
        return cursor.fetchone()[0] == 1


class _Undo(Exception):
    pass


@contextlib.contextmanager
def trigger_dropped() -> Iterator[None]:
    """Drop the append-only trigger inside a savepoint that is always rolled back, as an
    intruder with the database owner's rights would; the DROP is undone with the rest."""
    if connection.vendor not in ("postgresql", "sqlite"):
        pytest.skip("triggers are installed on PostgreSQL and SQLite only")
    with contextlib.suppress(_Undo), transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER {TRIGGER} ON audit_auditevent")
            else:
                cursor.execute(f"DROP TRIGGER {TRIGGER}")
        assert not _trigger_present()
        yield
        raise _Undo


# What an intruder with raw database access would run: rewrite an event's ``after`` (and,
# when given, its hash). PostgreSQL stores ``after`` as jsonb.
RAW_UPDATE = {
    "postgresql": 'UPDATE audit_auditevent SET "after" = CAST(%s AS jsonb), '
    "hash = COALESCE(%s, hash) WHERE sequence = %s",
    "sqlite": 'UPDATE audit_auditevent SET "after" = %s, hash = COALESCE(%s, hash) '
    "WHERE sequence = %s",
}


def _raw_set_after(sequence: int, after: dict, digest: str | None = None) -> None:
    value = json.dumps(after, cls=DjangoJSONEncoder)
    with connection.cursor() as cursor:
        cursor.execute(RAW_UPDATE[connection.vendor], [value, digest, sequence])


# --- writing ------------------------------------------------------------------------------------


def test_record_outside_a_transaction_is_refused():
    # No database access is needed to be refused: the check comes first.
    with pytest.raises(RuntimeError, match="inside the change's transaction"):
        record("test.saved", actor="test", obj=Currency(code="XTS", name_zh="测试"))


@pytest.mark.django_db
def test_an_event_is_written_with_its_change_or_not_at_all():
    usd = Currency.objects.get(code="USD")
    with contextlib.suppress(_Undo), transaction.atomic():
        rate = ExchangeRate.objects.create(
            month=dt.date(2024, 1, 1), currency=usd, cny_per_unit=Decimal("7.1")
        )
        record("test.rate.saved", actor="test", obj=rate)
        raise _Undo
    assert not ExchangeRate.objects.exists()
    assert not AuditEvent.objects.exists()
    assert verify_chain().ok


@pytest.mark.django_db
def test_events_form_a_hash_chain():
    before = AuditEvent.objects.order_by("-sequence").first()
    events = _events(4)
    previous_hash = before.hash if before else GENESIS
    previous_sequence = before.sequence if before else 0
    for event in events:
        event.refresh_from_db()
        assert event.sequence == previous_sequence + 1
        assert event.prev_hash == previous_hash
        # The hash covers the stored content: recomputed independently from the canonical form.
        assert event.hash == hashlib.sha256(event.canonical()).hexdigest()
        previous_hash, previous_sequence = event.hash, event.sequence
    head = AuditChainHead.objects.get(pk=1)
    assert (head.last_sequence, head.last_hash) == (previous_sequence, previous_hash)


@pytest.mark.django_db
def test_an_event_names_its_actor_and_object():
    user = make_user(Role.MINISTRY_ADMIN)
    (by_user,) = _events(1, actor=user)
    (by_command,) = _events(1, actor="command line", year=2025)
    assert (by_user.actor_id, by_user.actor_name) == (user.pk, user.username)
    assert (by_command.actor_id, by_command.actor_name) == (None, "command line")
    rate = ExchangeRate.objects.get(month=dt.date(2024, 1, 1))
    assert list(AuditEvent.objects.for_object(rate)) == [by_user]
    assert by_user.object_id == str(rate.pk)
    assert by_user.object_repr.startswith("2024-01 USD 7.1")
    assert by_user.after["month"] == "2024-01-01"
    assert Decimal(by_user.after["cny_per_unit"]) == Decimal("7.1")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("address", "stored"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("::1", "::1"),
        # Addresses as a server may report them; the database keeps the canonical form.
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("::ffff:cb00:7107", "::ffff:203.0.113.7"),
        ("not an address", None),
    ],
)
def test_the_client_address_is_recorded_as_stored_and_the_chain_verifies(address, stored):
    with acting_from(address, "web"):
        (event,) = _events(1)
    event.refresh_from_db()
    assert event.ip_address == stored
    assert event.channel == "web"
    assert verify_chain().ok


@pytest.mark.django_db
def test_an_untouched_trail_verifies():
    _events(5)
    report = verify_chain()
    assert report.ok
    assert report.checked == AuditEvent.objects.count()


# --- refusing to rewrite ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_orm_refuses_to_change_or_delete_events():
    event = _events(1)[0]
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="tampered")
    event.reason = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    event.refresh_from_db()
    assert event.reason == ""
    assert verify_chain().ok


@pytest.mark.django_db
def test_the_database_refuses_a_raw_update():
    event = _events(2)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        _raw_set_after(event.sequence, {"cny_per_unit": "1.00"})
    event.refresh_from_db()
    assert Decimal(event.after["cny_per_unit"]) == Decimal("7.1")
    assert verify_chain().ok


@pytest.mark.django_db
@pytest.mark.postgres_only
def test_postgresql_refuses_a_raw_delete():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's trigger refuses UPDATE only (its test flush deletes rows)")
    event = _events(2)[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


# --- detecting tampering ------------------------------------------------------------------------


@pytest.mark.django_db
def test_verification_finds_an_altered_event_and_the_trigger_comes_back():
    events = _events(4)
    target = events[1].sequence
    with trigger_dropped():
        _raw_set_after(
            target, {"month": "2024-02-01", "currency": "USD", "cny_per_unit": "1.00000000"}
        )
        report = verify_chain()
        assert not report.ok
        assert report.first_broken == target
        assert report.problem == "content altered"
    # Rolling the savepoint back restored both the row and the trigger (DDL is transactional
    # on SQLite and PostgreSQL alike), so the test leaves the database as it found it.
    assert _trigger_present()
    assert verify_chain().ok
    with pytest.raises(DatabaseError), transaction.atomic():
        _raw_set_after(target, {"cny_per_unit": "1.00"})


@pytest.mark.django_db
def test_soms_audit_verify_names_the_first_broken_event():
    from io import StringIO

    from django.core.management import CommandError, call_command

    events = _events(3)
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "3 events verified" in out.getvalue()
    with trigger_dropped():
        _raw_set_after(events[1].sequence, {"cny_per_unit": "9.99"})
        with pytest.raises(CommandError, match=f"broken at event {events[1].sequence}: content"):
            call_command("audit", "verify", stdout=StringIO())


@pytest.mark.django_db
def test_verification_finds_a_rehashed_event_by_the_broken_link():
    events = _events(4)
    target = AuditEvent.objects.get(pk=events[1].pk)
    target.after = {**target.after, "cny_per_unit": "1.00000000"}
    forged_hash = target.compute_hash()  # the intruder rehashes the row they altered
    with trigger_dropped():
        _raw_set_after(target.sequence, target.after, forged_hash)
        report = verify_chain()
        assert report.first_broken == target.sequence + 1
        assert report.problem == "link broken: previous event altered"
    assert verify_chain().ok


@pytest.mark.django_db
def test_verification_finds_a_removed_event():
    events = _events(4)
    with trigger_dropped(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
        report = verify_chain()
        assert report.first_broken == events[2].sequence
        assert report.problem == "sequence gap: an event was removed"
    with trigger_dropped(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
        report = verify_chain()
        assert report.first_broken == events[-1].sequence
        assert report.problem == "events missing at the end of the chain"
    assert verify_chain().ok


@pytest.mark.django_db
def test_the_append_only_trigger_is_installed():
    # Also runs after the tampering tests above: their DROP TRIGGER did not outlive them.
    if connection.vendor not in ("postgresql", "sqlite"):
        pytest.skip("triggers are installed on PostgreSQL and SQLite only")
    assert _trigger_present()


# --- snapshots ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_snapshot_leaves_out_the_password():
    user = make_user(Role.MINISTRY_ADMIN, username="auditor-check")
    values = snapshot(user)
    assert "password" not in values
    assert values["username"] == "auditor-check"
    assert values["role"] == Role.MINISTRY_ADMIN
    assert user.password not in json.dumps(values)
    # A snapshot is JSON-native: what is stored hashes the same after a round trip.
    assert json.loads(json.dumps(values)) == values


@pytest.mark.django_db
def test_a_snapshot_of_named_fields():
    rate = ExchangeRate.objects.create(
        month=dt.date(2024, 1, 1), currency_id="USD", cny_per_unit=Decimal("7.1039")
    )
    values = snapshot(rate, ["month", "currency", "cny_per_unit"])
    assert set(values) == {"month", "currency", "cny_per_unit"}
    assert values["month"] == "2024-01-01"
    assert values["currency"] == "USD"
    assert Decimal(values["cny_per_unit"]) == Decimal("7.1039")
