"""Seed data of the demo bank: TT03 requirement tree + basic-module items (IU01–IU06)."""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from item_bank import seed

SEED_DIR = Path(seed.__file__).resolve().parent
BASIC = ("IU01", "IU02", "IU03", "IU04", "IU05", "IU06")

# The 15 modules exactly as in /work/shared/DOMAIN.md (Thông tư 03/2014/TT-BTTTT).
EXPECTED_MODULES = {
    "IU01": ("Hiểu biết về CNTT cơ bản", "basic"),
    "IU02": ("Sử dụng máy tính cơ bản", "basic"),
    "IU03": ("Xử lý văn bản cơ bản", "basic"),
    "IU04": ("Sử dụng bảng tính cơ bản", "basic"),
    "IU05": ("Sử dụng trình chiếu cơ bản", "basic"),
    "IU06": ("Sử dụng Internet cơ bản", "basic"),
    "IU07": ("Xử lý văn bản nâng cao", "advanced"),
    "IU08": ("Sử dụng bảng tính nâng cao", "advanced"),
    "IU09": ("Sử dụng trình chiếu nâng cao", "advanced"),
    "IU10": ("Sử dụng hệ quản trị cơ sở dữ liệu", "advanced"),
    "IU11": ("Thiết kế đồ họa hai chiều", "advanced"),
    "IU12": ("Biên tập ảnh", "advanced"),
    "IU13": ("Biên tập trang thông tin điện tử", "advanced"),
    "IU14": ("An toàn, bảo mật thông tin", "advanced"),
    "IU15": ("Sử dụng phần mềm kế hoạch dự án", "advanced"),
}

# Second/third-level codes confirmed in DOMAIN.md.
CONFIRMED_CODES = {
    "IU04.5": "Biểu thức và hàm",
    "IU04.7": "Biểu đồ",
    "IU03.4": "Định dạng văn bản",
    "IU06.4": "Sử dụng thư điện tử",
    "IU01.1": "Kiến thức cơ bản về máy tính và mạng máy tính",
    "IU01.1.1": "Phần cứng",
}

MULTI_MARKER = "Chọn tất cả các đáp án đúng"


@pytest.fixture(scope="module")
def requirements():
    return seed.load_requirements()


@pytest.fixture(scope="module")
def index(requirements):
    return seed.requirement_index(requirements)


@pytest.fixture(scope="module")
def bank():
    return seed.load_basic_bank()


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, list):
        for x in obj:
            yield from _strings(x)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from _strings(v)


# ----------------------------------------------------------------- requirement tree


def test_requirements_have_all_15_modules_with_exact_names(requirements):
    got = {m["code"]: (m["name"], m["level"]) for m in requirements["modules"]}
    assert got == EXPECTED_MODULES
    assert [m["code"] for m in requirements["modules"]] == sorted(EXPECTED_MODULES)
    assert all(m["name_en"].strip() for m in requirements["modules"])
    assert "editable" in requirements["note"]
    assert "03/2014" in requirements["source"]


def test_basic_modules_have_areas_and_sub_areas(requirements, index):
    for module in requirements["modules"]:
        if module["level"] != "basic":
            continue
        assert len(module["areas"]) >= 5, module["code"]
        for area in module["areas"]:
            assert re.fullmatch(rf"{module['code']}\.\d+", area["code"])
            assert area["children"], area["code"]  # every area has sub-areas
            for child in area["children"]:
                assert re.fullmatch(rf"{area['code']}\.\d+", child["code"])
    for code, name in CONFIRMED_CODES.items():
        assert index[code]["name"] == name, code


def test_requirement_codes_are_unique(requirements):
    codes = []

    def walk(nodes):
        for n in nodes:
            codes.append(n["code"])
            walk(n.get("children", []))

    for m in requirements["modules"]:
        codes.append(m["code"])
        walk(m["areas"])
    assert len(codes) == len(set(codes))


# ----------------------------------------------------------------- bank size and shape


def test_bank_has_at_least_35_items_per_basic_module(bank):
    per_module = Counter(item["module"] for item in bank)
    assert set(per_module) == set(BASIC)
    for module in BASIC:
        assert per_module[module] >= 35, (module, per_module[module])
    assert len(bank) >= 210


def test_every_item_is_valid_and_tagged_in_the_tree(bank, requirements, index):
    seed.validate_items(bank, requirements)  # the loader's own checks, run again
    for item in bank:
        assert re.fullmatch(r"IU0[1-6]-\d{3}", item["key"]), item["key"]
        assert item["key"].startswith(item["module"] + "-")
        node = index[item["code"]]
        assert node["module"] == item["module"]
        assert node["depth"] >= 2, item["key"]
        assert item["difficulty"] in seed.DIFFICULTIES
        assert item["explanation"].strip(), item["key"]


def test_every_basic_sub_area_has_items(bank, index):
    """A blueprint may ask for any sub-area of IU01–IU06, so none may be empty."""
    tagged = Counter(item["code"] for item in bank)
    empty = [
        code
        for code, node in index.items()
        if node["depth"] == 3 and node["module"] in BASIC and not tagged[code]
    ]
    assert not empty


def test_item_formats(bank):
    for item in bank:
        n_opt, n_ok = len(item["options"]), len(item["correct"])
        if item["type"] == "single":
            assert n_opt == 4 and n_ok == 1, item["key"]
            assert MULTI_MARKER not in item["stem"], item["key"]
        else:
            assert 4 <= n_opt <= 5 and 2 <= n_ok <= 3, item["key"]
            assert MULTI_MARKER in item["stem"], item["key"]


def test_multiple_response_share(bank):
    share = sum(i["type"] == "multiple" for i in bank) / len(bank)
    assert 0.15 <= share <= 0.40, share
    for module in BASIC:
        items = [i for i in bank if i["module"] == module]
        share = sum(i["type"] == "multiple" for i in items) / len(items)
        assert 0.15 <= share <= 0.40, (module, share)


def test_right_answer_positions_are_spread(bank):
    singles = [i for i in bank if i["type"] == "single"]
    positions = Counter(i["correct"][0] for i in singles)
    assert set(positions) == {0, 1, 2, 3}
    assert max(positions.values()) / len(singles) <= 0.40, positions
    for module in BASIC:
        mod = [i["correct"][0] for i in singles if i["module"] == module]
        assert max(Counter(mod).values()) / len(mod) <= 0.40, module
    # multiple response: the right options are not simply "the first ones"
    multiples = [i for i in bank if i["type"] == "multiple"]
    assert all(i["correct"] != list(range(len(i["correct"]))) for i in multiples)


def test_right_answer_is_not_given_away_by_length(bank):
    singles = [i for i in bank if i["type"] == "single"]

    def right_is_longest(item):
        right = item["options"][item["correct"][0]]
        others = [o for k, o in enumerate(item["options"]) if k != item["correct"][0]]
        return len(right) > max(len(o) for o in others)

    share = sum(right_is_longest(i) for i in singles) / len(singles)
    assert share <= 0.5, share


def test_no_catch_all_or_lettered_options(bank):
    banned = re.compile(
        r"tất cả các (đáp án|phương án|câu) trên|cả [a-d] và [a-d]|không có (đáp án|phương án)"
        r"|all of the above|none of the above|cả ba|cả bốn",
        re.IGNORECASE,
    )
    for item in bank:
        for option in item["options"]:
            assert not banned.search(option), (item["key"], option)
            assert not re.match(r"^[A-Da-d][.)]\s", option), (item["key"], option)


def test_stems_and_keys_unique(bank):
    assert len({i["key"] for i in bank}) == len(bank)
    assert len({i["stem"].casefold() for i in bank}) == len(bank)


# ----------------------------------------------------------------- Vietnamese text


@pytest.mark.parametrize("name", ["tt03_basic_bank.json", "tt03_requirements.json"])
def test_files_are_utf8_nfc_without_mojibake(name):
    raw = (SEED_DIR / name).read_bytes()
    text = raw.decode("utf-8")  # strict: fails on any invalid byte
    assert unicodedata.is_normalized("NFC", text)
    for bad in ("Ã", "Â\u0080", "Ä\u0091", "\ufffd", "áº", "á»"):  # UTF-8 read as Latin-1
        assert bad not in text, bad
    data = json.loads(text)
    for s in _strings(data):
        # no stray combining marks (decomposed or TCVN3/VNI-style leftovers)
        assert not any(unicodedata.combining(ch) for ch in s), s


def test_loaded_strings_are_nfc_with_diacritics(bank, requirements):
    for s in list(_strings(bank)) + list(_strings(requirements)):
        assert unicodedata.is_normalized("NFC", s), s
    stems = " ".join(i["stem"] for i in bank)
    for ch in "ệổữươđạảẫỏựằẩ":
        assert ch in stems, ch
    by_key = {i["key"]: i for i in bank}
    assert "Thiết bị nào sau đây là thiết bị nhập" in by_key["IU01-001"]["stem"]
    # every stem is Vietnamese: has at least one precomposed Vietnamese letter
    vietnamese = re.compile(
        r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợ"
        r"ùúủũụưừứửữựỳýỷỹỵ]",
        re.IGNORECASE,
    )
    assert all(vietnamese.search(i["stem"]) for i in bank)


def test_loader_normalises_decomposed_input(monkeypatch):
    original = seed._read_json

    def decomposed(name):
        text = json.dumps(original(name), ensure_ascii=False)
        return json.loads(unicodedata.normalize("NFD", text))

    expected = seed.load_basic_bank()
    monkeypatch.setattr(seed, "_read_json", decomposed)
    assert decomposed(seed.BASIC_BANK_FILE)["items"][0]["stem"] != expected[0]["stem"]
    got = seed.load_basic_bank()
    assert got == expected
    assert seed.load_requirements()["modules"][0]["name"] == "Hiểu biết về CNTT cơ bản"


def test_loader_returns_fresh_copies():
    first = seed.load_basic_bank()
    first[0]["options"].append("bị sửa")
    first[0]["stem"] = "bị sửa"
    again = seed.load_basic_bank()
    assert again[0]["stem"] != "bị sửa" and len(again[0]["options"]) == 4


# ----------------------------------------------------------------- the validator


def _good_item(**changes):
    item = {
        "key": "TEST-001",
        "module": "IU04",
        "code": "IU04.5.2",
        "type": "single",
        "stem": "Công thức =SUM(A1:A3) với A1:A3 là 1, 2, 3 cho kết quả bao nhiêu?",
        "options": ["6", "3", "1", "123"],
        "correct": [0],
        "difficulty": "easy",
        "explanation": "SUM cộng 1 + 2 + 3 = 6.",
    }
    item.update(changes)
    return item


def test_good_crafted_item_passes(requirements):
    seed.validate_items([_good_item()], requirements)
    multiple = _good_item(type="multiple", correct=[0, 3], options=["a", "b", "c", "d", "e"])
    seed.validate_items([multiple], requirements)


_MISSING = object()

BAD_ITEMS = [
    ("unknown-code", {"code": "IU04.99.1"}, "code"),
    ("code-other-module", {"code": "IU03.4.1"}, "code"),
    ("code-too-general", {"code": "IU04"}, "code"),
    ("unknown-module", {"module": "IU99"}, "module"),
    ("single-two-right", {"correct": [0, 1]}, "correct"),
    ("single-no-right", {"correct": []}, "correct"),
    ("multiple-one-right", {"type": "multiple", "correct": [1]}, "correct"),
    ("multiple-all-right", {"type": "multiple", "correct": [0, 1, 2, 3]}, "correct"),
    ("index-out-of-range", {"correct": [4]}, "correct"),
    ("negative-index", {"correct": [-1]}, "correct"),
    ("repeated-index", {"type": "multiple", "correct": [1, 1]}, "correct"),
    ("bool-index", {"correct": [True]}, "correct"),
    ("duplicate-options", {"options": ["6", "3", "Sáu", "  sáu "]}, "options"),
    ("one-option", {"options": ["6"], "correct": [0]}, "options"),
    ("empty-option", {"options": ["6", "", "1", "2"]}, "options"),
    ("bad-type", {"type": "essay"}, "type"),
    ("bad-difficulty", {"difficulty": "trung bình"}, "difficulty"),
    ("empty-stem", {"stem": "  "}, "stem"),
    ("missing-options", {"options": _MISSING}, "options"),
]


@pytest.mark.parametrize("label, changes, field", BAD_ITEMS, ids=[b[0] for b in BAD_ITEMS])
def test_validator_rejects_bad_item(requirements, label, changes, field):
    item = _good_item(key=f"BAD-{label}")
    for name, value in changes.items():
        if value is _MISSING:
            del item[name]
        else:
            item[name] = value
    with pytest.raises(ValueError) as err:
        seed.validate_items([item], requirements)
    message = str(err.value)
    assert f"BAD-{label}" in message
    assert f"'{field}'" in message
    assert err.value.field == field


@pytest.mark.parametrize("field", ["key", "stem"])
def test_validator_rejects_duplicates_across_items(requirements, field):
    first = _good_item(key="DUP-001")
    second = _good_item(key="DUP-002", stem="Một câu hỏi khác hẳn?")
    if field == "key":
        second["key"] = "DUP-001"
    else:
        # same stem up to Unicode form, case and spacing
        second["stem"] = unicodedata.normalize("NFD", "  " + first["stem"].upper())
    with pytest.raises(ValueError, match=rf"item 'DUP-00[12]', field '{field}'"):
        seed.validate_items([first, second], requirements)


def test_validator_rejects_bad_requirement_tree(requirements):
    broken = copy.deepcopy(requirements)
    broken["modules"][3]["areas"][4]["children"].append(
        {"code": "IU05.1.9", "name": "Lạc chỗ", "children": []}
    )
    with pytest.raises(ValueError, match=r"requirement 'IU05.1.9', field 'code'"):
        seed.validate_requirements(broken)


# ----------------------------------------------------------------- demo IRT parameters


def test_demo_irt_parameters(bank):
    centres = {"easy": -1.2, "medium": 0.0, "hard": 1.2}
    seen_b = set()
    for item in bank:
        p = seed.demo_irt_parameters(item)
        assert p == seed.demo_irt_parameters(copy.deepcopy(item))  # deterministic
        assert p["demo"] is True and p["model"] == "3PL"
        assert 0.8 <= p["a"] <= 1.6
        assert abs(p["b"] - centres[item["difficulty"]]) <= 0.3 + 1e-9
        expected_c = 1 / len(item["options"]) if item["type"] == "single" else 0.0
        assert p["c"] == pytest.approx(expected_c, abs=1e-3)
        seen_b.add(p["b"])
    assert len(seen_b) > len(bank) // 2  # a real spread, not three values


def test_demo_irt_parameters_rejects_unknown_difficulty():
    with pytest.raises(ValueError, match="'difficulty'"):
        seed.demo_irt_parameters(_good_item(difficulty="very hard"))
