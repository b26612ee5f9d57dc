"""Item statistics from live exam data: attempts started, answered and submitted through the real
delivery services, with answers chosen so every figure can be worked out by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from exam_engine.analysis.item_statistics import version_statistics
from exam_engine.analysis.live_responses import collect_live_responses
from exam_engine.exams import delivery, saving
from exam_engine.exams.models import AttemptItem
from exam_engine.kernel.accounts import Role
from exam_engine.kernel.cache import MemoryCache
from item_bank.models import ItemVersion
from tests.conftest import login

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
A, B, C, D = 0, 1, 2, 3


@dataclass
class Sitting:
    session: object
    single: int      # version id, single choice, key B
    multiple: int    # version id, multiple response, key A + C
    totals: list[int]


def _answer(db, attempt_id: int, chosen: dict[int, set[int]]) -> None:
    """Save the given original options for each version, as the candidate's page would."""
    slots = {s.item_version_id: s for s in db.scalars(
        select(AttemptItem).where(AttemptItem.attempt_id == attempt_id))}
    cache = MemoryCache()
    for version_id, options in chosen.items():
        slot = slots[version_id]
        shown = [slot.option_order.index(o) for o in sorted(options)]
        saving.save_answer(db, cache, attempt_id, position=slot.position, selected=shown,
                           flagged=False, seq=1, now=T0 + timedelta(minutes=1))
    db.commit()


@pytest.fixture
def sitting(db, make_bank, make_session) -> Sitting:
    """Six candidates, every form holds all 18 items (in its own order, options shuffled).

    candidate   single (key B)   multiple (key A+C)   other 16 items right   total
    1           B  right         A+C right            16                     18
    2           B  right         A   wrong             4                      5
    3           A  wrong         A+C right             2                      3
    4           C  wrong         B+D wrong             7                      7
    5           omitted          omitted               0                      0
    6           B, but never submits (excluded)
    """
    ids = make_bank(per_module=3)
    session = make_session(n_candidates=6, per_module=3)
    single, multiple = ids["IU01"][0], ids["IU01"][2]
    others = sorted(v for module in ids.values() for v in module if v not in (single, multiple))
    keys = {v: set(db.get(ItemVersion, v).correct) for v in others}
    plans = [({B}, {A, C}, 16), ({B}, {A}, 4), ({A}, {A, C}, 2), ({C}, {B, D}, 7),
             (set(), set(), 0)]
    attempts = [c.attempt for c in session.candidates]
    totals = []
    for attempt, (on_single, on_multiple, n_right) in zip(attempts, plans, strict=False):
        delivery.start_attempt(db, attempt.id, T0)
        db.commit()
        chosen = {v: keys[v] for v in others[:n_right]}
        chosen.update({v: o for v, o in ((single, on_single), (multiple, on_multiple)) if o})
        _answer(db, attempt.id, chosen)
        result = delivery.submit_attempt(db, attempt.id, actor="candidate",
                                         now=T0 + timedelta(minutes=10))
        db.commit()
        totals.append(result.n_correct)
    delivery.start_attempt(db, attempts[5].id, T0)
    db.commit()
    _answer(db, attempts[5].id, {single: {B}})
    return Sitting(session, single, multiple, totals)


def test_the_grading_gave_the_totals_of_the_plan(sitting):
    assert sitting.totals == [18, 5, 3, 7, 0]


def test_live_responses_are_the_submitted_attempts_scored_by_the_grading_core(db, sitting):
    live = collect_live_responses(db)
    assert live.attempt_ids.size == 5 and live.version_ids.size == 18 and live.n_obs == 90
    assert live.totals.tolist() == [18, 5, 3, 7, 0]
    j = live.item_index(sitting.single)
    rows = live.item == j
    assert live.score[rows].tolist() == [1, 1, 0, 0, 0]
    assert live.chosen[rows].tolist() == [1 << B, 1 << B, 1 << A, 1 << C, 0]
    assert live.omitted[rows].tolist() == [False, False, False, False, True]
    assert collect_live_responses(db, exam_session_ids=[sitting.session.id + 1]).n_obs == 0
    assert collect_live_responses(db, version_ids=[sitting.multiple]).n_obs == 90


def test_single_choice_statistics_match_the_hand_computed_values(db, sitting):
    stats = version_statistics(db, sitting.single)
    assert stats.n_responses == 5
    assert stats.p_value == pytest.approx(2 / 5)
    assert stats.n_omitted == 1 and stats.omit_rate == pytest.approx(1 / 5)
    assert stats.mean_total == pytest.approx(33 / 5)
    item, total = np.array([1, 1, 0, 0, 0]), np.array([18, 5, 3, 7, 0])
    assert stats.point_biserial == pytest.approx(np.corrcoef(item, total)[0, 1])
    assert stats.corrected_item_total == pytest.approx(np.corrcoef(item, total - item)[0, 1])
    assert [(o.label, o.is_key, o.count) for o in stats.options] == [
        ("A", False, 1), ("B", True, 2), ("C", False, 1), ("D", False, 0)]
    assert [o.mean_total for o in stats.options] == pytest.approx([3.0, 11.5, 7.0, None])
    assert [o.proportion for o in stats.options] == pytest.approx([0.2, 0.4, 0.2, 0.0])
    assert stats.omitted_mean_total == 0.0


def test_multiple_response_counts_every_option_a_candidate_chose(db, sitting):
    stats = version_statistics(db, sitting.multiple)
    assert stats.p_value == pytest.approx(2 / 5) and stats.omit_rate == pytest.approx(1 / 5)
    assert [(o.label, o.is_key, o.count) for o in stats.options] == [
        ("A", True, 3), ("B", False, 1), ("C", True, 2), ("D", False, 1)]
    assert [o.mean_total for o in stats.options] == pytest.approx([26 / 3, 7.0, 10.5, 7.0])


def test_no_statistics_before_a_submitted_attempt(db, make_bank, make_session):
    ids = make_bank(per_module=3)
    session = make_session(n_candidates=1, per_module=3)
    attempt = session.candidates[0].attempt
    delivery.start_attempt(db, attempt.id, T0)
    db.commit()
    _answer(db, attempt.id, {ids["IU01"][0]: {B}})
    assert version_statistics(db, ids["IU01"][0]) is None  # in progress does not count
    assert version_statistics(db, 10**6) is None


def _statistics_section(client, db, version_id: int) -> str:
    item_id = db.get(ItemVersion, version_id).item_id
    page = client.get(f"/ngan-hang/cau-hoi/{item_id}").get_data(as_text=True)
    start = page.index('id="statistics"')
    return page[start:page.index("</section>", start)]


def test_item_page_says_there_is_no_data_yet(client, db, make_bank, make_user):
    ids = make_bank(modules=("IU01",), per_module=1)
    make_user("giaovien", Role.TEACHER)
    login(client, "giaovien")
    section = _statistics_section(client, db, ids["IU01"][0])
    assert "Chưa có dữ liệu thi" in section and 'id="distractors"' not in section


def test_item_page_shows_the_statistics_and_the_distractor_table(client, db, sitting, make_user):
    make_user("giaovien", Role.TEACHER)
    login(client, "giaovien")
    section = _statistics_section(client, db, sitting.single)
    assert "Chưa có dữ liệu thi" not in section
    # Vietnamese numbers: decimal comma.
    assert 'id="stat-n">5<' in section and 'id="stat-p">0,40<' in section
    assert 'id="stat-omit">0,20 (1)<' in section
    pbis = np.corrcoef([1, 1, 0, 0, 0], [18, 5, 3, 7, 0])[0, 1]
    assert f'id="stat-pbis">{pbis:.2f}<'.replace(".", ",") in section
    row_b = section[section.index('id="option-B"'):section.index('id="option-C"')]
    assert "Đáp án B" in row_b and "<td>2</td>" in row_b and "11,50" in row_b
    english = client.get(f"/ngan-hang/cau-hoi/{db.get(ItemVersion, sitting.single).item_id}"
                         "?lang=en").get_data(as_text=True)
    assert "Option analysis" in english and "Point-biserial correlation" in english
    assert 'id="stat-p">0.40<' in english  # English keeps the decimal point


def test_the_api_serves_the_same_statistics(client, db, sitting, make_user):
    make_user("giaovien", Role.TEACHER)
    login(client, "giaovien")
    item_id = db.get(ItemVersion, sitting.single).item_id
    stats = client.get(f"/api/ngan-hang/items/{item_id}").json["statistics"][str(sitting.single)]
    assert (stats["n_responses"], stats["n_omitted"]) == (5, 1)
    assert stats["p_value"] == pytest.approx(0.4)
    assert [(o["label"], o["is_key"], o["count"]) for o in stats["options"]] == [
        ("A", False, 1), ("B", True, 2), ("C", False, 1), ("D", False, 0)]
