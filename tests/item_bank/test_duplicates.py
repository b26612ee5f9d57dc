"""Duplicate and near-duplicate detection (item_bank.duplicates): pure, no database."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from item_bank import duplicates
from item_bank.content import ItemContent, ItemKind, Part
from item_bank.duplicates import (
    MAX_MISS,
    N_BINS,
    DuplicateMatch,
    band_shape,
    comparable_text,
    find_duplicates,
    item_fingerprint,
    jaccard_similarity,
)
from item_bank.sanitise import plain_text, sanitise_html
from item_bank.seed import load_basic_bank
from item_bank.text_normalise import normalise_answer

PICTURE_1 = "/media/" + "1" * 64 + ".png"
PICTURE_2 = "/media/" + "2" * 64 + ".png"


def single(stem: str, options: list[str], correct: int = 0) -> ItemContent:
    ids = [chr(ord("A") + k) for k in range(len(options))]
    parts = tuple(Part(i, t) for i, t in zip(ids, options, strict=True))
    return ItemContent(ItemKind.SINGLE, stem, parts, key={"correct": ids[correct]} if ids else {})


def from_seed(item: Mapping[str, Any]) -> ItemContent:
    """A demo-bank dict (stem, options, correct indices) as ItemContent."""
    ids = [chr(ord("A") + k) for k in range(len(item["options"]))]
    parts = tuple(Part(i, t) for i, t in zip(ids, item["options"], strict=True))
    if item["type"] == "single":
        return ItemContent(ItemKind.SINGLE, item["stem"], parts,
                           key={"correct": ids[item["correct"][0]]})
    return ItemContent(ItemKind.MULTIPLE, item["stem"], parts,
                       key={"correct": [ids[k] for k in item["correct"]],
                            "scoring": "all_or_nothing"})


@pytest.fixture(scope="module")
def demo_bank() -> list[ItemContent]:
    return [from_seed(item) for item in load_basic_bank()]


INPUT_DEVICE = single("Thiết bị nào sau đây là thiết bị nhập (input) của máy tính?",
                      ["Màn hình", "Bàn phím", "Máy in", "Loa"], correct=1)
SUM_A3 = single("Các ô A1, A2, A3 lần lượt chứa 4, 6, 8. Công thức =SUM(A1:A3) cho kết quả "
                "bao nhiêu?", ["6", "18", "3", "8"], correct=1)
SUM_A5 = replace(SUM_A3, stem=SUM_A3.stem.replace("A1:A3", "A1:A5"))
EXCEL_ITEMS = [
    single("Trong Microsoft Excel, để định dạng dữ liệu trong ô theo kiểu tiền tệ, ta chọn "
           "nhóm lệnh nào?", ["Number", "Font", "Alignment", "Styles"]),
    single("Trong Microsoft Excel, để sắp xếp dữ liệu trong bảng theo thứ tự tăng dần, ta "
           "chọn lệnh nào?", ["Sort A to Z", "Filter", "Freeze Panes", "Merge & Center"]),
    single("Trong Microsoft Excel, khi đang sửa một địa chỉ ô trong công thức, nhấn phím nào "
           "để chuyển nhanh A1 thành $A$1?", ["F4", "F2", "F9", "F5"]),
    single("Trong Microsoft Excel, hàm nào dùng để đếm số ô chứa dữ liệu số trong một vùng?",
           ["COUNT", "COUNTA", "SUM", "AVERAGE"]),
]


# --- the exact-duplicate key ---------------------------------------------------------------------


def test_shuffled_options_are_an_exact_duplicate():
    shuffled = replace(INPUT_DEVICE, choices=tuple(reversed(INPUT_DEVICE.choices)),
                       key={"correct": "C"})
    assert item_fingerprint(shuffled) == item_fingerprint(INPUT_DEVICE)
    assert find_duplicates([shuffled], [INPUT_DEVICE]) == [
        DuplicateMatch(0, "existing", 0, "exact", 1.0)]


def test_decomposed_unicode_is_an_exact_duplicate_of_composed():
    nfd = replace(INPUT_DEVICE, stem=unicodedata.normalize("NFD", INPUT_DEVICE.stem),
                  choices=tuple(replace(p, text=unicodedata.normalize("NFD", p.text))
                                for p in INPUT_DEVICE.choices))
    assert nfd.stem != INPUT_DEVICE.stem
    assert item_fingerprint(nfd) == item_fingerprint(INPUT_DEVICE)
    assert [m.kind for m in find_duplicates([nfd], [INPUT_DEVICE])] == ["exact"]


def test_accents_count_so_unaccented_text_is_not_an_exact_duplicate():
    accented = single("Để định dạng đoạn văn, ta chọn lệnh nào?", ["Paragraph", "Font"])
    bare = single("De dinh dang doan van, ta chon lenh nao?", ["Paragraph", "Font"])
    assert item_fingerprint(bare) != item_fingerprint(accented)
    assert find_duplicates([bare], [accented]) == []  # not near either: most shingles differ
    assert item_fingerprint(single("ma", [])) != item_fingerprint(single("mà", []))


def test_markup_case_spacing_punctuation_and_tone_placement_do_not_count():
    plain = single("Hòa hợp là gì?", ["Thuở ấy", "Khỏe"])
    dressed = single("<p><strong>HOÀ</strong>  hợp&nbsp;là\tgì</p>", ["thuở ấy.", "khoẻ"])
    assert item_fingerprint(dressed) == item_fingerprint(plain)
    assert comparable_text(" Trong  Excel,\u200b “định dạng”… ") == "trong excel định dạng"


def test_operators_and_pictures_count():
    assert item_fingerprint(single("Tính 6/2", ["3", "12"])) != \
        item_fingerprint(single("Tính 6*2", ["3", "12"]))
    assert item_fingerprint(single("Tính 5-3", [])) != item_fingerprint(single("Tính 5+3", []))
    # Vietnamese decimal comma and English decimal point read the same.
    assert item_fingerprint(single("x = 3,5", [])) == item_fingerprint(single("x = 3.5", []))
    first = single(f'Xem hình <img src="{PICTURE_1}" alt="a"> và cho biết tên biểu tượng.', [])
    second = replace(first, stem=first.stem.replace(PICTURE_1, PICTURE_2))
    assert item_fingerprint(first) != item_fingerprint(second)
    picture_options = single("Biểu tượng nào là thùng rác?",
                             [f'<img src="{PICTURE_1}">', f'<img src="{PICTURE_2}">'])
    other_pictures = single("Biểu tượng nào là thùng rác?",
                            [f'<img src="{PICTURE_2}">', f'<img src="{PICTURE_2}">'])
    assert item_fingerprint(picture_options) != item_fingerprint(other_pictures)


def test_matching_targets_are_part_of_the_key_and_order_free():
    matching = ItemContent(ItemKind.MATCHING, "Ghép phím tắt với tác dụng",
                           (Part("A", "Ctrl+C"), Part("B", "Ctrl+V")),
                           (Part("X", "Sao chép"), Part("Y", "Dán")),
                           key={"pairs": {"A": "X", "B": "Y"}})
    reordered = replace(matching, targets=tuple(reversed(matching.targets)))
    other = replace(matching, targets=(Part("X", "Sao chép"), Part("Y", "Cắt")))
    assert item_fingerprint(reordered) == item_fingerprint(matching)
    assert item_fingerprint(other) != item_fingerprint(matching)


def test_comparable_text_is_normalise_answer_of_the_visible_text():
    rng = random.Random(3)
    syllables = ("hòa hoà HÒA thùy thuỳ quý qùy hoàn khỏe khoẻ Ủy tòa lòe xòe hóa Thủy thuở "
                 "Quỳnh ọe ọa hoạ ùy ùyn òan hòa1 hòa_ òae đường Điện ĐIỆN").split()
    for _ in range(300):
        text = " ".join(rng.choice(syllables) for _ in range(rng.randint(1, 6)))
        text = unicodedata.normalize(rng.choice(["NFC", "NFD"]), text)
        assert comparable_text(text) == normalise_answer(text)


def test_markup_fast_path_equals_plain_text():
    fragments = [
        "<p>Một <strong>đoạn</strong> <em>văn</em></p><p>thứ hai</p>",
        "<ul><li>A &amp; B</li><li>x &lt; y</li></ul>",
        "<table><tr><td>1</td><td>2</td></tr></table>",
        f'Hình <img src="{PICTURE_1}" alt="a > b" width="20"> rồi&nbsp;chọn',
        "dòng<br>mới",
        "<p>Chạy <code>=IF(A1&gt;5;\"Đạt\";\"Trượt\")</code></p>",
    ]
    for raw in fragments:
        stored = sanitise_html(raw)
        assert duplicates._visible_text(stored).split(" img")[0].split() == \
            plain_text(stored).split()


def test_many_fragments_at_once_equal_one_at_a_time(demo_bank):
    fragments = [text for item in demo_bank[:80]
                 for text in (item.stem, *(p.text for p in item.choices))]
    fragments += ["a\x00b", "", "   ", "?!", "Ọa", "qùy", "İstanbul", "x\u00ady"]
    assert duplicates._comparable_texts(fragments) == [comparable_text(f) for f in fragments]


# --- near duplicates -----------------------------------------------------------------------------


def test_reworded_stem_with_one_word_changed_is_near():
    reworded = replace(INPUT_DEVICE, stem=INPUT_DEVICE.stem.replace("sau", "dưới"))
    [match] = find_duplicates([reworded], [INPUT_DEVICE])
    assert (match.kind, match.other, match.other_index) == ("near", "existing", 0)
    assert 0.85 <= match.similarity < 1.0


def test_one_word_changed_in_demo_stems_is_mostly_caught(demo_bank):
    # The measured recall of the chosen shingle size: one stem word replaced by another word
    # of the bank keeps ≥ 0.85 in 96 % of the 262 demo items with this draw (3-grams;
    # 4-grams: 93 %, 5-grams: 88 %).
    rng = random.Random(1)
    words = sorted({w for item in demo_bank for w in item.stem.split()})
    caught = 0
    for item in demo_bank:
        stem = item.stem.split()
        stem[rng.randrange(len(stem))] = rng.choice(words)
        caught += jaccard_similarity(item, replace(item, stem=" ".join(stem))) >= 0.85
    assert caught / len(demo_bank) >= 0.95


def test_same_question_with_different_numbers_is_near_but_not_identical():
    [match] = find_duplicates([SUM_A5], [SUM_A3])
    assert match.kind == "near"
    assert 0.85 <= match.similarity < 1.0


def test_different_questions_sharing_a_long_prefix_are_not_flagged():
    assert find_duplicates(EXCEL_ITEMS) == []
    assert find_duplicates(EXCEL_ITEMS[:2], EXCEL_ITEMS[2:]) == []
    assert max(jaccard_similarity(a, b) for a in EXCEL_ITEMS for b in EXCEL_ITEMS
               if a is not b) < 0.5


def test_duplicates_within_the_file_point_back_to_the_first_copy():
    reworded = replace(INPUT_DEVICE, stem=INPUT_DEVICE.stem.replace("sau", "dưới"))
    batch = [INPUT_DEVICE, SUM_A3, INPUT_DEVICE, reworded, INPUT_DEVICE]
    matches = find_duplicates(batch)
    exact = [(m.new_index, m.other_index) for m in matches if m.kind == "exact"]
    near = {(m.new_index, m.other_index) for m in matches if m.kind == "near"}
    assert exact == [(2, 0), (4, 0)]
    assert near == {(3, 0), (3, 2), (4, 3)}
    assert all(m.other == "new" and m.other_index < m.new_index for m in matches)


def test_bank_items_are_never_compared_with_each_other():
    assert find_duplicates([], [INPUT_DEVICE, INPUT_DEVICE, SUM_A3, SUM_A5]) == []
    matches = find_duplicates([SUM_A3], [INPUT_DEVICE, SUM_A3, SUM_A3, SUM_A5])
    assert [(m.other_index, m.kind) for m in matches] == [(1, "exact"), (2, "exact"), (3, "near")]


def test_threshold_must_be_a_proportion():
    for bad in (0.0, 0.3, 1.5, float("nan")):
        with pytest.raises(ValueError, match="threshold"):
            find_duplicates([INPUT_DEVICE], threshold=bad)


def test_items_without_options_and_empty_stems_are_handled():
    short = ItemContent(ItemKind.SHORT_ANSWER, "Phím tắt để hoàn tác?",
                        key={"accepted": ["Ctrl+Z"]})
    empty = ItemContent(ItemKind.SHORT_ANSWER, "")
    matches = find_duplicates([short, empty, short, empty], [short])
    assert {(m.new_index, m.other, m.other_index, m.kind) for m in matches} == {
        (0, "existing", 0, "exact"), (2, "existing", 0, "exact"), (2, "new", 0, "exact"),
        (3, "new", 1, "exact")}


# --- the method ----------------------------------------------------------------------------------


def test_band_shape_keeps_misses_at_the_threshold_below_max_miss():
    for threshold in (0.5, 0.7, 0.85, 0.9, 0.95):
        bands, rows = band_shape(threshold)
        assert bands * rows <= N_BINS
        assert (1 - threshold**rows) ** bands <= MAX_MISS
        # one more row per band would miss more often
        assert (1 - threshold ** (rows + 1)) ** (N_BINS // (rows + 1)) > MAX_MISS


def test_minhash_entries_agree_in_proportion_to_jaccard():
    # Densified one-permutation MinHash: P[entry equal] = Jaccard (Shrivastava 2017).
    rng = np.random.default_rng(7)
    base = rng.integers(0, 2**63, size=400, dtype=np.uint64)
    other = np.concatenate([base[:300], rng.integers(0, 2**63, size=100, dtype=np.uint64)])
    truth = 300 / 500
    hashes = duplicates._mix64(np.concatenate([base, other]))
    sig, _ = duplicates._minhash_signatures(hashes, np.array([0, 400, 800]), 1024)
    assert abs((sig[0] == sig[1]).mean() - truth) < 0.05


def test_lsh_finds_every_pair_brute_force_finds_on_the_demo_bank(demo_bank):
    # Exhaustive exact Jaccard over all 34,191 pairs is the reference (only feasible here).
    units = [duplicates._shingle_parts(duplicates._comparable_parts(c)) for c in demo_bank]
    i, j = np.triu_indices(len(units), k=1)
    similarity = duplicates._exact_jaccard(units, np.stack([j, i], axis=1), duplicates.SHINGLE_SIZE)
    for threshold in (0.5, 0.6, 0.7):
        expected = {(int(a), int(b)) for a, b, s in zip(j, i, similarity, strict=True)
                    if s >= threshold}
        found = {(m.new_index, m.other_index) for m in find_duplicates(demo_bank,
                                                                       threshold=threshold)}
        assert found == expected and expected


def test_demo_bank_has_no_exact_and_no_near_duplicates_at_the_default(demo_bank):
    # Looked at: the closest pairs are parallel items, not duplicates — "default extension of a
    # Microsoft Excel / PowerPoint / Word file" (0.76, 0.75, 0.71 with 3-grams) and "default
    # format of LibreOffice Writer / Calc / Impress" (0.69): one word and the options differ.
    assert len({item_fingerprint(c) for c in demo_bank}) == len(demo_bank)
    assert find_duplicates(demo_bank) == []
    closest = find_duplicates(demo_bank, threshold=0.7)
    assert len(closest) == 3 and all(0.7 <= m.similarity < 0.8 for m in closest)


def test_matches_are_sorted_by_new_item_then_exact_first():
    matches = find_duplicates([SUM_A5, SUM_A3], [SUM_A3, INPUT_DEVICE])
    assert [(m.new_index, m.kind, m.other, m.other_index) for m in matches] == [
        (0, "near", "existing", 0), (1, "exact", "existing", 0), (1, "near", "new", 0)]
