"""The registry's state changes: registration and its review, changes of an approved profile,
deregistration, certifications and enterprise users — each with its audit event, and each refusal
bilingual, naming the field and the rule, and writing nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.models import Max
from django.utils import timezone

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.audit.models import AuditEvent
from soms.audit.services import verify_chain
from soms.core.errors import ConflictError, NotPermitted, ServiceError
from soms.registry import services
from soms.registry.choices import ChangeStatus, RegistrationStatus
from soms.registry.models import Certification, Enterprise, ProfileChange
from soms.testing import PASSWORD, make_enterprise, make_uscc, make_user

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def profile(**changes: Any) -> dict[str, Any]:
    values = {
        "name": "上海浦江软件外包有限公司",
        "name_en": "Shanghai Pujiang Software Outsourcing Co., Ltd.",
        "division": "310115",
        "ownership": "private",
        "size": "small",
        "established_on": "2015-06-01",
        "address": "上海市浦东新区张江路 1 号",
        "contact_name": "李四",
        "contact_phone": "021-58880000",
        "contact_email": "li.si@example.com",
    }
    values.update(changes)
    return values


def account(username: str = "pujiang-admin", **changes: Any) -> services.AccountData:
    return services.AccountData(username=username, password=PASSWORD, **changes)


def register(uscc: str | None = None, **changes: Any) -> Enterprise:
    uscc = uscc or make_uscc()
    return services.register_enterprise(
        uscc=uscc, profile=profile(**changes), account=account(f"admin-{uscc}")
    )


def mark() -> int:
    return AuditEvent.objects.aggregate(m=Max("sequence"))["m"] or 0


def events_since(start: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(sequence__gt=start).order_by("sequence"))


def written() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Enterprise, User, AuditEvent, ProfileChange, Certification)
    }


def refused(call, *, code: str, field: str | None = None, kind=ServiceError) -> ServiceError:  # type: ignore[no-untyped-def]
    """Call, expecting a refusal with ``code`` on ``field`` that writes nothing."""
    before = written()
    with pytest.raises(kind) as caught:
        call()
    error = caught.value
    assert error.code == code
    if field is not None:
        assert error.field == field
    assert error.message_en.strip()
    assert any("\u4e00" <= c <= "\u9fff" for c in error.message_zh), error.message_zh
    assert written() == before
    return error


@pytest.fixture
def reviewer() -> User:
    return make_user(Role.DISTRICT_REVIEWER, division="310115")


# --- registration ----------------------------------------------------------------------------


def test_registration_creates_a_submitted_enterprise_and_its_administrator():
    start = mark()
    uscc = make_uscc()
    enterprise = services.register_enterprise(
        uscc=uscc.lower(), profile=profile(), account=account(display_name="李四")
    )
    enterprise.refresh_from_db()
    assert enterprise.uscc == uscc
    assert enterprise.status == RegistrationStatus.SUBMITTED
    assert enterprise.registered_on is None
    assert enterprise.division_id == "310115"
    assert enterprise.established_on == dt.date(2015, 6, 1)
    admin = User.objects.get(username="pujiang-admin")
    assert admin.role == Role.ENTERPRISE_ADMIN
    assert admin.enterprise == enterprise
    assert admin.division is None
    assert admin.check_password(PASSWORD)
    assert admin.email == "li.si@example.com"

    events = events_since(start)
    assert [e.action for e in events] == [
        "registry.enterprise.registered",
        "accounts.user.created",
    ]
    registered, created = events
    assert registered.actor == admin
    assert registered.object_id == str(enterprise.pk)
    assert registered.before is None
    assert registered.after["uscc"] == uscc
    assert registered.after["status"] == "submitted"
    assert registered.after["division"] == "310115"
    assert created.object_id == str(admin.pk)
    assert created.after["role"] == "enterprise_admin"
    assert "password" not in (created.after or {})


def test_the_review_flow_register_return_resubmit_approve(reviewer):
    enterprise = register(contact_phone="021-1")
    admin = enterprise.administrator
    assert enterprise.lock_version == 1

    start = mark()
    returned = services.return_registration(
        actor=reviewer,
        enterprise=enterprise,
        reason="  联系电话不完整  ",
        expected_version=1,
    )
    assert returned.status == RegistrationStatus.RETURNED
    assert returned.return_reason == "联系电话不完整"
    [event] = events_since(start)
    assert event.action == "registry.enterprise.returned"
    assert event.actor == reviewer
    assert event.reason == "联系电话不完整"
    assert (event.before["status"], event.after["status"]) == ("submitted", "returned")
    assert (event.before["lock_version"], event.after["lock_version"]) == (1, 2)

    start = mark()
    resubmitted = services.resubmit_registration(
        actor=admin,
        enterprise=enterprise,
        profile=profile(contact_phone="021-58880000"),
        expected_version=2,
    )
    assert resubmitted.status == RegistrationStatus.SUBMITTED
    assert resubmitted.contact_phone == "021-58880000"
    [event] = events_since(start)
    assert event.action == "registry.enterprise.resubmitted"
    assert event.actor == admin
    assert (event.before["status"], event.after["status"]) == ("returned", "submitted")
    assert (event.before["contact_phone"], event.after["contact_phone"]) == (
        "021-1",
        "021-58880000",
    )

    start = mark()
    approved = services.approve_registration(
        actor=reviewer, enterprise=enterprise, expected_version=3
    )
    enterprise.refresh_from_db()
    assert enterprise.status == RegistrationStatus.APPROVED
    assert enterprise.registered_on == TODAY
    assert enterprise.return_reason == ""
    assert enterprise.lock_version == approved.lock_version == 4
    [event] = events_since(start)
    assert event.action == "registry.enterprise.approved"
    assert event.actor == reviewer
    assert (event.before["status"], event.after["status"]) == ("submitted", "approved")
    assert (event.before["registered_on"], event.after["registered_on"]) == (
        None,
        TODAY.isoformat(),
    )
    assert verify_chain().ok


def test_approval_may_carry_a_historical_registration_date(reviewer):
    enterprise = register()
    services.approve_registration(
        actor=reviewer, enterprise=enterprise, registered_on=dt.date(2019, 3, 1)
    )
    enterprise.refresh_from_db()
    assert enterprise.registered_on == dt.date(2019, 3, 1)


def test_a_county_level_division_administered_by_a_province_accepts_enterprises():
    enterprise = register(division="419001")  # 济源市
    assert enterprise.division.city_code == "419001"


def test_a_prefecture_level_city_without_districts_accepts_enterprises():
    enterprise = register(division="441900")  # 东莞市
    assert enterprise.division_id == "441900"


# --- bad input on registration ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("uscc", "changes", "field", "code"),
    [
        ("91350100M000100Y44", {}, "uscc", "uscc_check"),
        ("91350100M000100Y4", {}, "uscc", "uscc_length"),
        ("91350100M000I00Y43", {}, "uscc", "uscc_format"),
        (None, {"division": "999999"}, "division", "unknown_division"),
        (None, {"division": "310000"}, "division", "division_not_county"),  # 上海市
        (None, {"division": "320500"}, "division", "division_not_county"),  # 苏州市
        (None, {"division": "320000"}, "division", "division_not_county"),  # 江苏省
        (None, {"division": ""}, "division", "required"),
        (None, {"name": ""}, "name", "required"),
        (None, {"name": "   "}, "name", "required"),
        (None, {"contact_phone": ""}, "contact_phone", "required"),
        (None, {"contact_phone": None}, "contact_phone", "required"),
        (None, {"contact_name": ""}, "contact_name", "required"),
        (None, {"ownership": "feudal"}, "ownership", "invalid_choice"),
        (None, {"size": "huge"}, "size", "invalid_choice"),
        (None, {"established_on": "2015-13-01"}, "established_on", "invalid_date"),
        (None, {"established_on": "2999-01-01"}, "established_on", "future_date"),
        (None, {"contact_email": "not-an-address"}, "contact_email", "invalid_email"),
    ],
)
def test_bad_registration_input_is_refused_and_nothing_is_written(uscc, changes, field, code):
    error = refused(
        lambda: services.register_enterprise(
            uscc=uscc or make_uscc(), profile=profile(**changes), account=account()
        ),
        code=code,
        field=field,
    )
    assert error.as_dict()["field"] == field


def test_the_unknown_division_is_named_in_the_message():
    error = refused(lambda: register(division="999999"), code="unknown_division")
    assert "999999" in error.message_en
    assert "GB/T 2260" in error.message_en


def test_a_city_division_message_says_where_to_register():
    error = refused(lambda: register(division="320500"), code="division_not_county")
    assert "320500" in error.message_en
    assert "苏州市" in error.message_en
    assert "county-level" in error.message_en


def test_a_missing_field_is_named_in_the_message():
    error = refused(lambda: register(name=""), code="required", field="name")
    assert "registered name" in error.message_en


def test_a_duplicate_registration_is_refused_and_nothing_is_written():
    existing = make_enterprise("310104")
    for entered in (existing.uscc, existing.uscc.lower(), " ".join(existing.uscc)):
        error = refused(
            lambda entered=entered: services.register_enterprise(
                uscc=entered, profile=profile(), account=account("someone-else")
            ),
            code="duplicate_registration",
            field="uscc",
        )
        assert existing.uscc in error.message_en


def test_a_taken_user_name_is_refused_and_nothing_is_written():
    make_user(Role.MINISTRY_ADMIN, username="Pujiang-Admin")
    refused(
        lambda: services.register_enterprise(
            uscc=make_uscc(), profile=profile(), account=account("pujiang-admin")
        ),
        code="username_taken",
        field="username",
    )


def test_a_weak_password_is_refused_and_nothing_is_written():
    refused(
        lambda: services.register_enterprise(
            uscc=make_uscc(),
            profile=profile(),
            account=services.AccountData(username="pujiang", password="12345678"),
        ),
        code="weak_password",
        field="password",
    )


# --- illegal transitions ---------------------------------------------------------------------


def test_approving_twice_is_refused(reviewer):
    enterprise = register()
    services.approve_registration(actor=reviewer, enterprise=enterprise)
    enterprise.refresh_from_db()
    version = enterprise.lock_version
    refused(
        lambda: services.approve_registration(actor=reviewer, enterprise=enterprise),
        code="illegal_transition",
    )
    enterprise.refresh_from_db()
    assert enterprise.status == RegistrationStatus.APPROVED
    assert enterprise.lock_version == version


def test_returning_an_approved_registration_is_refused(reviewer):
    enterprise = make_enterprise("310115")
    refused(
        lambda: services.return_registration(actor=reviewer, enterprise=enterprise, reason="晚了"),
        code="illegal_transition",
    )
    enterprise.refresh_from_db()
    assert enterprise.status == RegistrationStatus.APPROVED
    assert enterprise.return_reason == ""


def test_resubmitting_a_submitted_registration_is_refused():
    enterprise = register()
    refused(
        lambda: services.resubmit_registration(
            actor=enterprise.administrator, enterprise=enterprise, profile=profile(name="新名称")
        ),
        code="illegal_transition",
    )
    enterprise.refresh_from_db()
    assert enterprise.name == "上海浦江软件外包有限公司"
    assert enterprise.lock_version == 1


@pytest.mark.parametrize("reason", ["", "   "])
def test_returning_without_a_reason_is_refused(reviewer, reason):
    enterprise = register()
    refused(
        lambda: services.return_registration(actor=reviewer, enterprise=enterprise, reason=reason),
        code="reason_required",
        field="reason",
    )
    enterprise.refresh_from_db()
    assert enterprise.status == RegistrationStatus.SUBMITTED


def test_a_stale_version_is_a_conflict(reviewer):
    enterprise = register()
    error = refused(
        lambda: services.approve_registration(
            actor=reviewer, enterprise=enterprise, expected_version=7
        ),
        code="conflict",
        kind=ConflictError,
    )
    assert error.status == 409
    assert "changed by someone else" in error.message_en
    enterprise.refresh_from_db()
    assert enterprise.status == RegistrationStatus.SUBMITTED


def test_a_reviewer_of_another_district_may_not_review():
    enterprise = register()  # Pudong
    xuhui = make_user(Role.DISTRICT_REVIEWER, division="310104")
    city = make_user(Role.CITY_REVIEWER, division="310000")
    for actor in (xuhui, city, enterprise.administrator):
        refused(
            lambda actor=actor: services.approve_registration(actor=actor, enterprise=enterprise),
            code="not_permitted",
            kind=NotPermitted,
        )


def test_an_enterprise_may_not_resubmit_another_enterprises_registration(reviewer):
    enterprise = register()
    services.return_registration(actor=reviewer, enterprise=enterprise, reason="缺少材料")
    other = make_enterprise("310115")
    stranger = make_user(Role.ENTERPRISE_ADMIN, enterprise=other)
    refused(
        lambda: services.resubmit_registration(
            actor=stranger, enterprise=enterprise, profile=profile()
        ),
        code="not_permitted",
        kind=NotPermitted,
    )


def test_a_resubmission_with_bad_input_changes_nothing(reviewer):
    enterprise = register()
    services.return_registration(actor=reviewer, enterprise=enterprise, reason="缺少材料")
    refused(
        lambda: services.resubmit_registration(
            actor=enterprise.administrator,
            enterprise=enterprise,
            profile=profile(division="320500"),
        ),
        code="division_not_county",
        field="division",
    )
    enterprise.refresh_from_db()
    assert enterprise.status == RegistrationStatus.RETURNED
    assert enterprise.division_id == "310115"


# --- changes to an approved profile ------------------------------------------------------------


@pytest.fixture
def approved() -> Enterprise:
    enterprise = make_enterprise(
        "310115", name="上海浦江软件外包有限公司", contact_phone="021-12345678"
    )
    make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise, username="pujiang-admin")
    return enterprise


def admin_of(enterprise: Enterprise) -> User:
    return User.objects.get(enterprise=enterprise, role=Role.ENTERPRISE_ADMIN)


def test_a_proposed_change_leaves_the_approved_profile_in_force_until_approved(approved, reviewer):
    admin = admin_of(approved)
    start = mark()
    change = services.propose_change(
        actor=admin,
        enterprise=approved,
        profile={"name": "上海浦江数字科技有限公司", "contact_phone": "021-12345678"},
    )
    # Only what differs is proposed; the profile in force is unchanged.
    assert change.status == ChangeStatus.SUBMITTED
    assert change.proposed == {"name": "上海浦江数字科技有限公司"}
    approved.refresh_from_db()
    assert approved.name == "上海浦江软件外包有限公司"
    assert approved.lock_version == 1
    assert approved.pending_change == change
    [event] = events_since(start)
    assert event.action == "registry.profile_change.submitted"
    assert event.actor == admin
    assert event.before == {"name": "上海浦江软件外包有限公司"}
    assert event.after == {"name": "上海浦江数字科技有限公司"}

    start = mark()
    services.approve_change(actor=reviewer, change=change, expected_version=1)
    approved.refresh_from_db()
    change.refresh_from_db()
    assert approved.name == "上海浦江数字科技有限公司"
    assert approved.contact_phone == "021-12345678"
    assert approved.status == RegistrationStatus.APPROVED
    assert approved.lock_version == 2
    assert change.status == ChangeStatus.APPROVED
    assert change.decided_by == reviewer
    assert approved.pending_change is None
    [event] = events_since(start)
    assert event.action == "registry.profile_change.approved"
    assert event.actor == reviewer
    assert event.before["name"] == "上海浦江软件外包有限公司"
    assert event.after["name"] == "上海浦江数字科技有限公司"


def test_a_change_of_division_and_date_is_applied_on_approval(approved, reviewer):
    change = services.propose_change(
        actor=admin_of(approved),
        enterprise=approved,
        profile={"division": "310104", "established_on": dt.date(2010, 1, 4)},
    )
    assert change.proposed == {"division": "310104", "established_on": "2010-01-04"}
    approved.refresh_from_db()
    assert approved.division_id == "310115"
    services.approve_change(actor=reviewer, change=change)
    approved.refresh_from_db()
    assert approved.division_id == "310104"
    assert approved.established_on == dt.date(2010, 1, 4)


def test_a_returned_change_leaves_the_profile_unchanged(approved, reviewer):
    change = services.propose_change(
        actor=admin_of(approved), enterprise=approved, profile={"contact_name": "王五"}
    )
    refused(
        lambda: services.return_change(actor=reviewer, change=change, reason=""),
        code="reason_required",
        field="reason",
    )
    start = mark()
    services.return_change(actor=reviewer, change=change, reason="请附任命书")
    change.refresh_from_db()
    approved.refresh_from_db()
    assert change.status == ChangeStatus.RETURNED
    assert change.reason == "请附任命书"
    assert change.decided_by == reviewer
    assert approved.contact_name == "张三"
    [event] = events_since(start)
    assert event.action == "registry.profile_change.returned"
    assert event.actor == reviewer
    assert event.reason == "请附任命书"
    assert event.before["status"] == "submitted"
    assert event.after["status"] == "returned"
    # Decided: it can be neither approved nor returned again.
    refused(
        lambda: services.approve_change(actor=reviewer, change=change),
        code="illegal_transition",
    )


def test_a_change_can_be_withdrawn_by_the_enterprise(approved, reviewer):
    admin = admin_of(approved)
    change = services.propose_change(actor=admin, enterprise=approved, profile={"size": "large"})
    refused(
        lambda: services.withdraw_change(actor=reviewer, change=change),
        code="not_permitted",
        kind=NotPermitted,
    )
    start = mark()
    services.withdraw_change(actor=admin, change=change)
    change.refresh_from_db()
    assert change.status == ChangeStatus.WITHDRAWN
    [event] = events_since(start)
    assert event.action == "registry.profile_change.withdrawn"
    assert event.actor == admin
    assert (event.before["status"], event.after["status"]) == ("submitted", "withdrawn")
    approved.refresh_from_db()
    assert approved.size == ""
    # Withdrawn, a new change may be proposed.
    services.propose_change(actor=admin, enterprise=approved, profile={"size": "medium"})


def test_only_one_change_is_pending_at_a_time(approved):
    admin = admin_of(approved)
    services.propose_change(actor=admin, enterprise=approved, profile={"size": "large"})
    refused(
        lambda: services.propose_change(
            actor=admin, enterprise=approved, profile={"address": "上海市浦东新区世纪大道 100 号"}
        ),
        code="change_pending",
    )


def test_a_change_that_changes_nothing_is_refused(approved):
    refused(
        lambda: services.propose_change(
            actor=admin_of(approved),
            enterprise=approved,
            profile={"name": "上海浦江软件外包有限公司", "division": "310115"},
        ),
        code="no_change",
    )


def test_a_change_with_bad_input_is_refused(approved):
    refused(
        lambda: services.propose_change(
            actor=admin_of(approved), enterprise=approved, profile={"division": "999999"}
        ),
        code="unknown_division",
        field="division",
    )


def test_a_registration_awaiting_review_is_corrected_by_resubmission_not_change():
    enterprise = register()
    refused(
        lambda: services.propose_change(
            actor=enterprise.administrator, enterprise=enterprise, profile={"size": "large"}
        ),
        code="illegal_transition",
    )


def test_a_stale_change_version_is_a_conflict(approved, reviewer):
    change = services.propose_change(
        actor=admin_of(approved), enterprise=approved, profile={"size": "large"}
    )
    refused(
        lambda: services.approve_change(actor=reviewer, change=change, expected_version=5),
        code="conflict",
        kind=ConflictError,
    )


# --- deregistration --------------------------------------------------------------------------


def test_deregistration(approved, reviewer):
    start = mark()
    services.deregister(
        actor=reviewer,
        enterprise=approved,
        on=dt.date(2024, 6, 30),
        reason="企业已注销营业执照",
        expected_version=1,
    )
    approved.refresh_from_db()
    assert approved.status == RegistrationStatus.DEREGISTERED
    assert approved.deregistered_on == dt.date(2024, 6, 30)
    assert approved.registered_on == dt.date(2020, 1, 1)
    [event] = events_since(start)
    assert event.action == "registry.enterprise.deregistered"
    assert event.actor == reviewer
    assert event.reason == "企业已注销营业执照"
    assert (event.before["status"], event.after["status"]) == ("approved", "deregistered")
    assert (event.before["deregistered_on"], event.after["deregistered_on"]) == (
        None,
        "2024-06-30",
    )
    assert not Enterprise.objects.registered_on(dt.date(2024, 7, 1)).filter(pk=approved.pk).exists()
    assert Enterprise.objects.registered_on(dt.date(2024, 6, 29)).filter(pk=approved.pk).exists()


def test_deregistration_refusals(approved, reviewer):
    refused(
        lambda: services.deregister(
            actor=reviewer, enterprise=approved, on=dt.date(2024, 6, 30), reason=""
        ),
        code="reason_required",
        field="reason",
    )
    refused(
        lambda: services.deregister(
            actor=reviewer, enterprise=approved, on=dt.date(2019, 12, 31), reason="停业"
        ),
        code="date_order",
        field="on",
    )
    refused(
        lambda: services.deregister(
            actor=admin_of(approved), enterprise=approved, on=dt.date(2024, 6, 30), reason="停业"
        ),
        code="not_permitted",
        kind=NotPermitted,
    )
    submitted = register()
    refused(
        lambda: services.deregister(actor=reviewer, enterprise=submitted, on=TODAY, reason="停业"),
        code="illegal_transition",
    )


def test_a_ministry_administrator_may_deregister_anywhere(approved):
    services.deregister(
        actor=make_user(Role.MINISTRY_ADMIN),
        enterprise=approved,
        on=dt.date(2024, 1, 1),
        reason="重复登记",
    )
    approved.refresh_from_db()
    assert approved.status == RegistrationStatus.DEREGISTERED


# --- certifications --------------------------------------------------------------------------


def certificate(**changes: Any) -> dict[str, Any]:
    values = {
        "kind": "CMMI",
        "level": 3,
        "kind_other": "",
        "certificate_no": "CMMI-2023-0042",
        "issuer": "CMMI Institute",
        "valid_from": dt.date(2023, 1, 1),
        "valid_to": dt.date(2026, 1, 1),
    }
    values.update(changes)
    return values


def test_certifications_added_changed_and_removed(approved):
    admin = admin_of(approved)
    start = mark()
    cmmi = services.add_certification(actor=admin, enterprise=approved, data=certificate())
    assert (cmmi.kind, cmmi.level) == ("CMMI", 3)
    [event] = events_since(start)
    assert event.action == "registry.certification.added"
    assert event.actor == admin
    assert event.before is None
    assert event.after["level"] == 3
    assert event.after["certificate_no"] == "CMMI-2023-0042"

    start = mark()
    services.update_certification(actor=admin, certification=cmmi, data=certificate(level=5))
    cmmi.refresh_from_db()
    assert cmmi.level == 5
    [event] = events_since(start)
    assert event.action == "registry.certification.changed"
    assert (event.before["level"], event.after["level"]) == (3, 5)

    start = mark()
    services.remove_certification(actor=admin, certification=cmmi)
    assert not Certification.objects.filter(pk=cmmi.pk).exists()
    [event] = events_since(start)
    assert event.action == "registry.certification.removed"
    assert event.before["level"] == 5
    assert event.after is None


def test_an_iso_27001_certificate_has_no_level(approved):
    iso = services.add_certification(
        actor=admin_of(approved),
        enterprise=approved,
        data=certificate(kind="ISO27001", level=None, certificate_no="ISMS-1"),
    )
    iso.refresh_from_db()
    assert iso.level is None
    assert str(iso) == "ISO/IEC 27001"


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"level": None}, "level", "level_required"),
        ({"level": 0}, "level", "level_required"),
        ({"level": 6}, "level", "level_required"),
        ({"kind": "PCMM", "level": ""}, "level", "level_required"),
        ({"kind": "ISO9001"}, "kind", "invalid_choice"),
        ({"kind": "other", "level": None, "kind_other": ""}, "kind_other", "required"),
        ({"certificate_no": ""}, "certificate_no", "required"),
        ({"issuer": ""}, "issuer", "required"),
        ({"valid_to": dt.date(2022, 12, 31)}, "valid_to", "date_order"),
    ],
)
def test_bad_certifications_are_refused(approved, changes, field, code):
    refused(
        lambda: services.add_certification(
            actor=admin_of(approved), enterprise=approved, data=certificate(**changes)
        ),
        code=code,
        field=field,
    )


def test_a_certificate_is_recorded_once(approved):
    admin = admin_of(approved)
    services.add_certification(actor=admin, enterprise=approved, data=certificate())
    refused(
        lambda: services.add_certification(actor=admin, enterprise=approved, data=certificate()),
        code="duplicate",
        field="certificate_no",
    )


def test_an_update_with_bad_input_changes_nothing(approved):
    admin = admin_of(approved)
    cmmi = services.add_certification(actor=admin, enterprise=approved, data=certificate())
    refused(
        lambda: services.update_certification(
            actor=admin, certification=cmmi, data=certificate(level=9)
        ),
        code="level_required",
    )
    cmmi.refresh_from_db()
    assert cmmi.level == 3


def test_officials_do_not_edit_certifications(approved, reviewer):
    refused(
        lambda: services.add_certification(actor=reviewer, enterprise=approved, data=certificate()),
        code="not_permitted",
        kind=NotPermitted,
    )


# --- enterprise users ------------------------------------------------------------------------


def test_the_administrator_adds_a_filer(approved):
    admin = admin_of(approved)
    start = mark()
    filer = services.add_enterprise_user(
        actor=admin,
        enterprise=approved,
        account=services.AccountData(
            username="pujiang-filer", password=PASSWORD, display_name="赵六"
        ),
    )
    assert filer.role == Role.ENTERPRISE_FILER
    assert filer.enterprise == approved
    assert filer.check_password(PASSWORD)
    [event] = events_since(start)
    assert event.action == "accounts.user.created"
    assert event.actor == admin
    assert event.object_id == str(filer.pk)
    assert event.after["role"] == "enterprise_filer"
    assert event.after["enterprise"] == approved.pk


def test_a_filer_may_not_add_users(approved):
    filer = make_user(Role.ENTERPRISE_FILER, enterprise=approved)
    refused(
        lambda: services.add_enterprise_user(
            actor=filer, enterprise=approved, account=account("another")
        ),
        code="not_permitted",
        kind=NotPermitted,
    )


def test_an_added_user_needs_a_free_name_and_a_strong_password(approved):
    admin = admin_of(approved)
    refused(
        lambda: services.add_enterprise_user(
            actor=admin, enterprise=approved, account=account("pujiang-admin")
        ),
        code="username_taken",
        field="username",
    )
    refused(
        lambda: services.add_enterprise_user(
            actor=admin,
            enterprise=approved,
            account=services.AccountData(username="new-filer", password="password"),
        ),
        code="weak_password",
        field="password",
    )


def test_administration_is_transferred_and_there_is_one_administrator(approved):
    admin = admin_of(approved)
    filer = make_user(Role.ENTERPRISE_FILER, enterprise=approved)
    start = mark()
    services.transfer_administration(actor=admin, enterprise=approved, to=filer)
    admin.refresh_from_db()
    filer.refresh_from_db()
    assert admin.role == Role.ENTERPRISE_FILER
    assert filer.role == Role.ENTERPRISE_ADMIN
    assert list(User.objects.filter(enterprise=approved, role=Role.ENTERPRISE_ADMIN)) == [filer]
    events = events_since(start)
    assert [e.action for e in events] == ["accounts.user.role_changed"] * 2
    assert {e.object_id for e in events} == {str(admin.pk), str(filer.pk)}
    assert all(e.actor == admin for e in events)
    by_object = {e.object_id: e for e in events}
    assert by_object[str(admin.pk)].after["role"] == "enterprise_filer"
    assert by_object[str(filer.pk)].before["role"] == "enterprise_filer"
    assert by_object[str(filer.pk)].after["role"] == "enterprise_admin"
    # The former administrator can no longer manage users.
    refused(
        lambda: services.transfer_administration(actor=admin, enterprise=approved, to=filer),
        code="not_permitted",
        kind=NotPermitted,
    )


def test_administration_goes_only_to_another_active_user_of_the_enterprise(approved):
    admin = admin_of(approved)
    stranger = make_user(Role.ENTERPRISE_FILER, enterprise=make_enterprise("310104"))
    inactive = make_user(Role.ENTERPRISE_FILER, enterprise=approved, is_active=False)
    for to in (stranger, inactive, admin):
        refused(
            lambda to=to: services.transfer_administration(actor=admin, enterprise=approved, to=to),
            code="invalid_user",
            field="user",
        )


def test_the_administrator_deactivates_and_reactivates_a_filer(approved):
    admin = admin_of(approved)
    filer = make_user(Role.ENTERPRISE_FILER, enterprise=approved)
    start = mark()
    services.set_user_active(actor=admin, user=filer, active=False)
    filer.refresh_from_db()
    assert not filer.is_active
    services.set_user_active(actor=admin, user=filer, active=True)
    filer.refresh_from_db()
    assert filer.is_active
    events = events_since(start)
    assert [e.action for e in events] == ["accounts.user.deactivated", "accounts.user.activated"]
    assert [(e.before["is_active"], e.after["is_active"]) for e in events] == [
        (True, False),
        (False, True),
    ]


def test_who_may_deactivate_whom(approved):
    admin = admin_of(approved)
    filer = make_user(Role.ENTERPRISE_FILER, enterprise=approved)
    other_filer = make_user(Role.ENTERPRISE_FILER, enterprise=make_enterprise("310104"))
    reviewer = make_user(Role.DISTRICT_REVIEWER, division="310115")
    for actor, user in [
        (admin, other_filer),  # another enterprise's filer
        (admin, admin),  # the administrator is not a filer
        (filer, filer),  # a filer manages no users
        (reviewer, filer),  # nor does a reviewer
    ]:
        refused(
            lambda actor=actor, user=user: services.set_user_active(
                actor=actor, user=user, active=False
            ),
            code="not_permitted",
            kind=NotPermitted,
        )
    ministry = make_user(Role.MINISTRY_ADMIN)
    services.set_user_active(actor=ministry, user=admin, active=False)
    admin.refresh_from_db()
    assert not admin.is_active


def test_every_transition_extends_an_intact_audit_chain(approved, reviewer):
    enterprise = register()
    services.return_registration(actor=reviewer, enterprise=enterprise, reason="缺少材料")
    services.resubmit_registration(
        actor=enterprise.administrator, enterprise=enterprise, profile=profile()
    )
    services.approve_registration(actor=reviewer, enterprise=enterprise)
    change = services.propose_change(
        actor=admin_of(approved), enterprise=approved, profile={"size": "micro"}
    )
    services.approve_change(actor=reviewer, change=change)
    report = verify_chain()
    assert report.ok, report.problem
    assert report.checked == AuditEvent.objects.count()
