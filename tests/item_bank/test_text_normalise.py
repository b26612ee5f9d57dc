"""Vietnamese answer normalisation: NFC, spaces, case, tone placement — and accents kept."""

from __future__ import annotations

import unicodedata

import pytest

from item_bank.text_normalise import (
    collapse_spaces,
    fold_accents,
    nfc,
    normalise_answer,
    search_key,
    unify_tone_placement,
)


def test_spaces_and_case_do_not_matter() -> None:
    assert normalise_answer("  Điện   Biên ") == normalise_answer("điện biên") == "điện biên"


def test_decomposed_input_equals_precomposed() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Hồng Nhung")
    assert decomposed != "Nguyễn Thị Hồng Nhung"
    assert normalise_answer(decomposed) == normalise_answer("Nguyễn Thị Hồng Nhung")
    assert nfc(decomposed) == "Nguyễn Thị Hồng Nhung"


@pytest.mark.parametrize("word", ["mà", "má", "mả", "mã", "mạ"])
def test_accents_are_significant(word: str) -> None:
    assert normalise_answer("ma") != normalise_answer(word)


def test_case_sensitive_keeps_case_but_still_normalises() -> None:
    assert normalise_answer(" SUM ", case_sensitive=True) == "SUM"
    assert normalise_answer("Sum", case_sensitive=True) != normalise_answer("SUM",
                                                                             case_sensitive=True)


def test_every_kind_of_white_space_collapses() -> None:
    assert collapse_spaces("Hà\u00a0Nội\t\n Việt\u3000Nam\u200b") == "Hà Nội Việt Nam"


@pytest.mark.parametrize(("old", "new"), [
    ("hòa", "hoà"), ("khỏe", "khoẻ"), ("thủy", "thuỷ"), ("Hòa Bình", "Hoà Bình"),
    ("THÙY", "THUỲ"),
])
def test_old_tone_placement_equals_new(old: str, new: str) -> None:
    assert unify_tone_placement(old) == new
    assert normalise_answer(old) == normalise_answer(new)


@pytest.mark.parametrize("word", ["quý", "hoàn", "thuyền", "hoa", "toán"])
def test_tone_placement_leaves_unambiguous_syllables(word: str) -> None:
    assert unify_tone_placement(word) == word


def test_accent_folding_is_for_search() -> None:
    assert fold_accents("Điện Biên Phủ") == "Dien Bien Phu"
    assert search_key("  ĐIỆN   biên ") == "dien bien"
    assert search_key(unicodedata.normalize("NFD", "Định dạng")) == "dinh dang"
