"""The unified social credit code (GB 32100-2015): 18 characters, an alphabet without I, O, S, V
and Z, and a check character computed from the first 17.

The check character is computed here from the standard's weights, independently of the
validator and of python-stdnum.
"""

from __future__ import annotations

import pytest
from django.utils.translation import override

from soms.core.errors import ServiceError
from soms.registry.validators import clean_uscc

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015, table 1 (no I, O, S, V, Z)
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(body: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(body, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


# Published examples of valid codes (Fujian's example from the standard; a Beijing enterprise).
PUBLISHED = ["91350100M000100Y43", "91110000802100433B"]


def test_own_check_character_agrees_with_the_published_examples():
    for code in PUBLISHED:
        assert check_character(code[:17]) == code[17]


# A Pudong enterprise's body, completed with the check character computed above.
PUDONG = "91310115MA1H7X2C5" + check_character("91310115MA1H7X2C5")


@pytest.mark.parametrize("code", [*PUBLISHED, PUDONG])
def test_a_valid_code_is_accepted_as_it_is(code):
    assert clean_uscc(code) == code


@pytest.mark.parametrize(
    ("entered", "canonical"),
    [
        ("91350100m000100y43", "91350100M000100Y43"),
        (" 9135 0100 M000 100Y 43 ", "91350100M000100Y43"),
        ("91110000-802100433b", "91110000802100433B"),
    ],
)
def test_lower_case_spaces_and_dashes_give_the_canonical_form(entered, canonical):
    assert clean_uscc(entered) == canonical


def refusal(value: str) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        clean_uscc(value)
    return caught.value


def test_a_wrong_check_character_is_refused_naming_the_rule():
    good = "91350100M000100Y43"
    wrong = good[:17] + next(c for c in ALPHABET if c != good[17])
    error = refusal(wrong)
    assert error.code == "uscc_check"
    assert error.field == "uscc"
    assert "check character" in error.message_en
    assert "GB 32100-2015" in error.message_en
    assert wrong in error.message_en


def test_a_mistyped_middle_character_breaks_the_check():
    good = "91110000802100433B"
    mistyped = good[:10] + ("1" if good[10] != "1" else "2") + good[11:]
    assert refusal(mistyped).code == "uscc_check"


@pytest.mark.parametrize("length", [17, 19])
def test_a_code_of_the_wrong_length_is_refused_naming_the_rule(length):
    value = ("91350100M000100Y43" + "1")[:length]
    error = refusal(value)
    assert error.code == "uscc_length"
    assert error.field == "uscc"
    assert "18 characters" in error.message_en
    assert f"has {length}" in error.message_en


@pytest.mark.parametrize(
    "value",
    [
        "91350100M000I00Y43",  # I is not in the alphabet
        "9135010OM000100Y43",  # O
        "91350100M000S00Y43",  # S
        "91350100M000100V43",  # V
        "91350100Z000100Y43",  # Z
        "A1350100M000100Y43",  # registration authority must be a digit or an allowed letter
    ],
)
def test_forbidden_characters_are_refused_naming_the_rule(value):
    error = refusal(value)
    assert error.code == "uscc_format"
    assert "I, O, S, V, Z" in error.message_en


def test_an_empty_code_is_required():
    error = refusal("   ")
    assert error.code == "required"
    assert error.field == "uscc"


def test_the_field_name_is_the_callers():
    with pytest.raises(ServiceError) as caught:
        clean_uscc("123", field="counterpart_uscc")
    assert caught.value.field == "counterpart_uscc"


def test_the_refusal_has_both_languages():
    error = refusal("91350100M000100Y4")
    assert error.message_zh.strip()
    assert error.message_en.strip()
    with override("en"):
        assert error.as_dict()["message_en"] == error.message_en


@pytest.mark.parametrize(
    "value", ["91350100M000100Y44", "91350100M000100Y4", "91350100M000I00Y43", ""]
)
def test_the_chinese_message_is_chinese(value):
    error = refusal(value)
    assert any("\u4e00" <= c <= "\u9fff" for c in error.message_zh)
    assert error.message_zh != error.message_en
