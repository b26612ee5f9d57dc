"""The item editor's form <-> content mapping, without Flask or a database: every kind reads
into the right key, an item's form reads back into the same item, and every problem is named
by the input it concerns."""

from __future__ import annotations

from dataclasses import replace

import pytest
from werkzeug.datastructures import MultiDict

from item_bank.content import ItemContent, ItemKind, Part
from item_bank.web.editor_form import (
    content_from_form,
    form_from_content,
    input_field,
    with_row_added,
    with_row_removed,
    with_spare_rows,
)
from item_bank.web.editor_values import FormValues
from item_bank.workflow import Classification
from tests.item_bank.fixtures.samples import CLOZE_WITH_IDS, sample


def rows(group: str, *texts: str, ids: str = "") -> dict[str, list[str]]:
    """Form rows as the page posts them; ``ids`` "" leaves the hidden ids blank."""
    form: dict[str, list[str]] = {}
    for index, text in enumerate(texts):
        form[f"{group}[{index}].id"] = [ids[index] if ids else ""]
        form[f"{group}[{index}].text"] = [text]
    return form


def read(kind: str, stem: str = "Câu hỏi thử?", **fields: list[str] | str):
    form = {"kind": kind, "stem": stem, "points": "1", "module": "IU04", "code": "IU04.5.2",
            **fields}
    return content_from_form({name: [v] if isinstance(v, str) else v
                              for name, v in form.items()})


def fields_of(problems) -> set[str]:
    return {p.field for p in problems}


# -- each kind reads into its key ------------------------------------------------------------------

def test_single_reads_the_ticked_option_and_gives_ids_to_new_rows():
    content, where, problems = read("single", **rows("choices", "AVERAGE", "SUM", "COUNT", ""),
                                    **{"key.correct": "B"})
    assert problems == []
    assert content.choices == (Part("A", "AVERAGE"), Part("B", "SUM"), Part("C", "COUNT"))
    assert content.key == {"correct": "B"}
    assert where == Classification(module="IU04", code="IU04.5.2")


def test_multiple_reads_every_ticked_option_and_the_scoring():
    content, _, problems = read("multiple", **rows("choices", "Firefox", "Word", "Chrome"),
                                **{"key.correct": ["A", "C"], "key.scoring": "partial"})
    assert problems == []
    assert content.key == {"correct": ["A", "C"], "scoring": "partial"}


def test_true_false4_reads_dung_or_sai_per_statement():
    statements = rows("choices", "Một", "Hai", "Ba", "Bốn", ids="ABCD")
    content, _, problems = read("true_false4", **statements, **{
        "key.truth.A": "true", "key.truth.B": "false", "key.truth.C": "true",
        "key.truth.D": "false"})
    assert problems == []
    assert content.key == {"truth": {"A": True, "B": False, "C": True, "D": False}}


def test_matching_reads_both_columns_and_the_pairs():
    content, _, problems = read("matching", **rows("choices", "Ctrl+C", "Ctrl+V"),
                                **rows("targets", "Dán", "Sao chép", "In"),
                                **{"key.pairs.A": "2", "key.pairs.B": "1"})
    assert problems == []
    assert [p.id for p in content.targets] == ["1", "2", "3"]
    assert content.key == {"pairs": {"A": "2", "B": "1"}}


def test_ordering_takes_the_rows_as_the_right_order():
    content, _, problems = read("ordering", **rows("choices", "Nhấn Ctrl+S", "Chọn thư mục",
                                                   "Gõ tên tệp", ids="CAB"))
    assert problems == []
    assert content.key == {"order": ["C", "A", "B"]}
    assert [p.id for p in content.choices] == ["A", "B", "C"]  # stored in id order


def test_short_answer_reads_one_accepted_answer_per_line():
    content, _, problems = read("short_answer", **{"key.accepted": "Ctrl+Z\r\n\r\n Ctrl Z \r\n",
                                                   "key.case_sensitive": "1"})
    assert problems == []
    assert content.key == {"accepted": ["Ctrl+Z", "Ctrl Z"], "case_sensitive": True}
    assert content.choices == ()


@pytest.mark.parametrize(("typed", "value"), [("3,5", 3.5), ("3.5", 3.5), ("-0,25", -0.25),
                                              ("1.234,5", 1234.5)])
def test_numeric_reads_a_decimal_comma_or_point(typed, value):
    content, _, problems = read("numeric", **{"key.value": typed, "key.tolerance": "0,01",
                                              "key.tolerance_kind": "relative"})
    assert problems == []
    assert content.key == {"value": value, "tolerance": 0.01, "tolerance_kind": "relative"}


def test_cloze_reads_typed_and_chosen_gaps():
    content, _, problems = read("cloze", stem="Hàm [[1]] cộng; địa chỉ tuyệt đối là [[2]].", **{
        "key.gaps[0].id": "1", "key.gaps[0].mode": "text", "key.gaps[0].accepted": "SUM\nsum2",
        "key.gaps[1].id": "2", "key.gaps[1].mode": "choice",
        "key.gaps[1].choices": "$A$1\nA1\n", "key.gaps[1].correct": "$A$1",
        "key.gaps[2].id": "3", "key.gaps[2].mode": "text", "key.gaps[2].accepted": ""})
    assert problems == []
    assert content.key == {"gaps": [{"id": "1", "accepted": ["SUM", "sum2"]},
                                    {"id": "2", "choices": ["$A$1", "A1"], "correct": "$A$1"}]}


def test_a_werkzeug_multidict_reads_like_a_mapping_of_lists():
    form = MultiDict([("kind", "multiple"), ("stem", "Chọn\r\nhai?"), ("points", "1,5"),
                      ("choices[0].text", "X"), ("choices[1].text", "Y"),
                      ("choices[2].text", "Z"), ("key.correct", "A"), ("key.correct", "B"),
                      ("subject", "Tin học"), ("grade", "6"), ("tags", "a, ,b"),
                      ("shuffle", "1"), ("feedback", "  ")])
    content, where, problems = content_from_form(form)
    assert problems == []
    assert (content.stem, content.points, content.shuffle, content.feedback) == (
        "Chọn\nhai?", 1.5, True, None)
    assert content.key["correct"] == ["A", "B"]
    assert (where.subject, where.grade, where.tags) == ("Tin học", 6, ("a", "b"))


# -- round trips ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(ItemKind))
def test_an_items_form_reads_back_into_the_same_item(kind):
    record = sample(kind)
    form = form_from_content(record.content, record)
    content, where, problems = content_from_form(form)
    assert problems == []
    assert content == record.content
    assert where == Classification.of_record(record)
    # the page adds spare rows; they change nothing
    assert content_from_form(with_spare_rows(form))[0] == record.content


def test_gap_options_keep_the_ids_an_imported_item_gave_them():
    form = form_from_content(CLOZE_WITH_IDS.content)
    assert form["key.gaps[1].choices"] == ["Ctrl+V\nCtrl+X"]
    assert content_from_form(form)[0] == CLOZE_WITH_IDS.content
    form["key.gaps[1].choices"] = ["Ctrl+V\nCtrl+X\nCtrl+Y"]  # a new option gets its text as id
    key = content_from_form(form)[0].key
    assert key["gaps"][1]["choices"][2] == {"id": "Ctrl+Y", "text": "Ctrl+Y"}


def test_an_ordering_form_lists_the_steps_in_the_right_order():
    record = sample(ItemKind.ORDERING)  # stored A, B, C; the right order B, A, C
    form = form_from_content(record.content)
    assert [form[f"choices[{i}].id"][0] for i in range(3)] == ["B", "A", "C"]


# -- problems beside their inputs ----------------------------------------------------------------

def test_problems_name_the_inputs_they_concern():
    _, _, problems = read("single", **rows("choices", "SUM", "", "SUM", "MAX", ids="ABCD"),
                          **{"key.correct": "", "points": "hai"})
    assert fields_of(problems) == {"choices[1].text", "choices[2].text", "key.correct",
                                   "points"}
    blank = next(p for p in problems if p.field == "choices[1].text")
    assert blank.message_vi == "Phương án «B» chưa có nội dung."


def test_a_number_that_does_not_read_is_reported_once():
    _, _, problems = read("numeric", **{"key.value": "ba phẩy năm"})
    assert [p.field for p in problems] == ["key.value"]
    assert "không phải là một số" in problems[0].message_vi


@pytest.mark.parametrize(("kind", "fields", "expected"), [
    ("true_false4", {**rows("choices", "a", "b", "c", "d", ids="ABCD"), "key.truth.A": "true",
                     "key.truth.B": "false", "key.truth.D": "true"}, {"key.truth.C"}),
    ("matching", {**rows("choices", "x", "y"), **rows("targets", "1", "2"),
                  "key.pairs.A": "1"}, {"key.pairs.B"}),
    ("short_answer", {"key.accepted": "SUM\nsum"}, {"key.accepted"}),
    ("multiple", {**rows("choices", "x", "y"), "key.correct": ["A", "B"]}, {"key.correct"}),
    ("cloze", {"key.gaps[0].id": "1", "key.gaps[0].mode": "choice",
               "key.gaps[0].choices": "A1\nA1", "key.gaps[0].correct": "B1"},
     {"key.gaps", "key.gaps[0].choices", "key.gaps[0].correct"}),
    ("nonsense", {}, {"kind"}),
])
def test_each_kinds_problems_point_at_its_inputs(kind, fields, expected):
    content, _, problems = read(kind, **fields)
    assert fields_of(problems) == expected
    assert (content is None) == (kind == "nonsense")


def test_filing_problems_name_the_filing_inputs():
    _, _, problems = read("short_answer", **{"key.accepted": "x", "grade": "mười"})
    assert fields_of(problems) == {"grade"}


@pytest.mark.parametrize(("field", "shown"), [
    ("key.accepted[2]", "key.accepted"), ("key.gaps[1].accepted[0]", "key.gaps[1].accepted"),
    ("key.gaps[0].choices[1].id", "key.gaps[0].choices"), ("choices[3].id", "choices[3].text"),
    ("targets[0].id", "targets[0].text"), ("key.order", "choices"), ("stem", "stem"),
    ("key.truth.A", "key.truth.A"),
])
def test_type_problem_fields_map_onto_form_inputs(field, shown):
    assert input_field(field) == shown


# -- shaping the form for the page ---------------------------------------------------------------

def test_rows_are_added_and_removed_with_their_ids():
    form = {"kind": ["single"], **rows("choices", "x", "y", "z", ids="ABC")}
    removed = FormValues(with_row_removed(form, "choices", 0))
    assert removed.rows("choices") == [Part("B", "y"), Part("C", "z")]
    added = FormValues(with_row_added(removed.as_lists(), "choices"))
    assert added.rows("choices")[-1] == Part("A", "")  # the first free id
    spare = FormValues(with_spare_rows({"kind": ["cloze"]}))
    assert [p.id for p in spare.rows("choices")] == ["A", "B", "C", "D"]
    assert spare.count("key.gaps") == 2 and spare.get("key.gaps[1].id") == "2"


def test_a_forged_row_index_does_not_make_a_huge_form():
    form = {"kind": ["single"], "choices[99999].text": ["x"]}
    assert FormValues(form).count("choices") <= 40
    content, _, _ = content_from_form(form)
    assert content is not None and len(content.choices) == 0


def test_content_without_an_optional_key_field_reads_back_in_its_canonical_form():
    content = ItemContent(ItemKind.NUMERIC, "Bao nhiêu?", key={"value": 2})
    read_back = content_from_form(form_from_content(content))[0]
    assert read_back == replace(content, key={"value": 2.0, "tolerance": 0.0,
                                              "tolerance_kind": "absolute"})
