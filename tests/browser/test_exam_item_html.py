"""Item HTML on the candidate's exam page: formatting and pictures show, nothing runs.

Stems and options are sanitised HTML (item_bank.sanitise); the page renders them as HTML, and
the server sanitises them again on the way out, so even a row stored raw cannot run a script.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from exam_engine.exams.models import AttemptItem
from item_bank.media import store_media
from item_bank.models import ItemVersion
from tests.item_bank.fixtures.samples import PNG

pytestmark = pytest.mark.browser


def test_html_stems_images_and_plain_signs_show_as_written_and_scripts_never_run(
        db, make_session, new_context, start_exam):
    exam = make_session(n_candidates=1, per_module=1)
    attempt = exam.candidates[0].attempt
    first = db.scalar(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id,
                                                AttemptItem.position == 0))
    version = db.get(ItemVersion, first.item_version_id)
    url = store_media(db, PNG, name="so-do.png")
    content = dict(version.content)
    # As an old row might hold it: unsanitised markup, a script, an event handler, a bare "<".
    content["stem"] = (f'<p>Xem <b>sơ đồ</b>:</p><img src="{url}" alt="Sơ đồ mạng">'
                       '<script>window.pwned = 1</script>'
                       '<img src="x" onerror="window.pwned = 2"> Khi nào A < B?')
    content["choices"] = [dict(c) for c in content["choices"]]
    content["choices"][0]["text"] = "GD&ĐT <i>nghiêng</i>"
    version.content = content
    db.commit()

    page = start_exam(new_context(), "BN0001", exam.session_code)
    stem = page.locator("#question .stem")
    expect(stem.locator("b")).to_have_text("sơ đồ")
    expect(stem.locator("img")).to_have_count(1)
    expect(stem.locator("img")).to_have_attribute("src", url)
    assert page.evaluate("document.querySelector('#question .stem img').naturalWidth") == 1
    expect(stem).to_contain_text("Khi nào A < B?")
    assert page.evaluate("window.pwned") is None
    shown = [first.option_order.index(i) for i in range(len(content["choices"]))]
    option = page.locator("#question .options label").nth(shown[0])
    expect(option).to_contain_text("GD&ĐT nghiêng")
    expect(option.locator("i")).to_have_text("nghiêng")
