"""Login identifiers compare in one normal form, and a login only ever redirects on this site."""

from __future__ import annotations

import pytest

from exam_engine.kernel.redirects import safe_next_path
from exam_engine.kernel.text import identifier_key


@pytest.mark.parametrize("variant", [
    "canbo", " canbo", "canbo ", "\tCANBO\n", "CanBo", "\u00a0canbo", "\u200bcanbo\ufeff",
])
def test_every_spelling_of_a_username_has_one_key(variant):
    assert identifier_key(variant) == "canbo"


def test_composed_and_decomposed_vietnamese_and_case_fold_to_one_key():
    decomposed = "Nguye\u0302\u0303n"  # "Nguyễn" typed with combining marks
    assert identifier_key(decomposed) == identifier_key("NGUYỄN") == "nguyễn"
    assert identifier_key("STRASSE") == identifier_key("straße")  # case-folding, not lower()


def test_the_candidate_number_key_ignores_case_and_surrounding_blanks():
    assert identifier_key(" bn0001 ") == identifier_key("BN0001")


@pytest.mark.parametrize("path", ["/", "/ngan-hang/", "/ngan-hang/?trang=2&q=h%C3%A0m",
                                  "/can-bo/ca-thi/3"])
def test_paths_on_this_site_are_kept(path):
    assert safe_next_path(path) == path


@pytest.mark.parametrize("target", [
    "/\t/evil.example",          # browsers drop the tab: //evil.example
    "/\n/evil.example", "/\r\n/evil.example", "/ /evil.example",
    "\\\\evil.example", "/\\evil.example", "\\/evil.example",
    "//evil.example", "///evil.example",
    "https://evil.example/", "http:evil.example", "javascript:alert(1)",
    "evil.example", "", None, "/\x00/evil.example", "/\x7f/x", "/\u3000/evil.example",
])
def test_anything_that_can_leave_the_site_is_refused(target):
    assert safe_next_path(target) is None
