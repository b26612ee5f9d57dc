"""Where items are filed: TT03 codes or subject and grade, IC3 GS6 domains, free tags."""

from __future__ import annotations

import unicodedata

from item_bank.taxonomy import (
    IC3_DOMAINS,
    classification_problems,
    normalise_tags,
    split_ic3_tag,
    tags_with_ic3,
)

TREE = {"IU04": "IU04", "IU04.5": "IU04", "IU04.5.2": "IU04", "IU06": "IU06"}


def problems(**kwargs):
    where = {"module": None, "code": None, "subject": None, "grade": None, "ic3_domain": None,
             "tags": (), "difficulty": None, **kwargs}
    return [(field, vi) for field, vi, _en in classification_problems(**where, codes=TREE)]


def test_ic3_gs6_has_its_seven_domains_named_in_both_languages():
    assert [d.code for d in IC3_DOMAINS] == ["TB", "DC", "IM", "CC", "CO", "CL", "SS"]
    assert IC3_DOMAINS[6].name_en == "Safety and Security"
    assert IC3_DOMAINS[6].name_vi == "An toàn và bảo mật"


def test_an_item_is_filed_by_tt03_code_or_by_subject():
    assert problems(module="IU04", code="IU04.5.2") == []
    assert problems(subject="Toán", grade=10) == []
    assert problems(module="IU06", code="IU06", subject="Tin học", grade=10,
                    ic3_domain="TB") == []
    assert [f for f, _ in problems()] == ["module"]
    assert "môn học" in problems()[0][1]


def test_wrong_codes_grades_domains_and_difficulties_are_named():
    assert [f for f, _ in problems(module="IU04", code="IU06")] == ["code"]
    assert [f for f, _ in problems(module="IU99", code="IU04.5")] == ["module", "code"]
    assert [f for f, _ in problems(code="IU04.5")] == ["module"]
    assert [f for f, _ in problems(module="IU04")] == ["code"]
    assert [f for f, _ in problems(subject="Toán", grade=13)] == ["grade"]
    assert [f for f, _ in problems(subject="Toán", ic3_domain="XX")] == ["ic3_domain"]
    assert [f for f, _ in problems(subject="Toán", difficulty="very")] == ["difficulty"]
    assert [f for f, _ in problems(subject="Toán", tags=("x" * 61,))] == ["tags"]


def test_tags_are_nfc_trimmed_and_unique_ignoring_case():
    nfd = unicodedata.normalize("NFD", "Định dạng")
    assert normalise_tags([f"  {nfd}  ", "định  dạng", "Hàm", "", "hàm", "SUM"]) == (
        "Định dạng", "Hàm", "SUM")


def test_the_ic3_domain_travels_as_a_tag_and_comes_back():
    tags = tags_with_ic3(("hàm",), "CC")
    assert tags == ("hàm", "IC3:CC")
    assert split_ic3_tag(tags) == (("hàm",), "CC")
    assert split_ic3_tag(("ic3: ss",)) == ((), "SS")
    assert split_ic3_tag(("IC3:ZZ",)) == (("IC3:ZZ",), None)  # unknown code: a plain tag
    assert tags_with_ic3(("a",), None) == ("a",)
