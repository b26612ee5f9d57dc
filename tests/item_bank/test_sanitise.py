"""Stem HTML: allow-listed formatting survives, anything that could run or fetch does not."""

from __future__ import annotations

import pytest

from item_bank.sanitise import is_media_url, plain_text, sanitise_html

MEDIA = "/media/" + "ab12" * 16 + ".png"


@pytest.mark.parametrize("fragment", [
    "<b>đậm</b>", "<i>nghiêng</i>", "<p>H<sub>2</sub>O, x<sup>2</sup></p>",
    "<code>=SUM(A1:A3)</code>", "dòng 1<br>dòng 2",
    "<ul><li>một</li><li>hai</li></ul>", "<ol><li>một</li></ol>",
    '<table><tbody><tr><th>A</th><td colspan="2">1</td></tr></tbody></table>',
    f'<img src="{MEDIA}" alt="Biểu đồ">',
])
def test_allowed_markup_is_kept(fragment: str) -> None:
    assert sanitise_html(fragment) == fragment


def test_script_is_removed_with_its_content() -> None:
    cleaned = sanitise_html("<p>Câu hỏi</p><script>alert('x')</script>")
    assert cleaned == "<p>Câu hỏi</p>"


def test_event_handlers_are_removed() -> None:
    cleaned = sanitise_html(f'<img src="{MEDIA}" onerror="alert(1)"><b onclick="x()">b</b>')
    assert "onerror" not in cleaned and "onclick" not in cleaned and "alert" not in cleaned
    assert MEDIA in cleaned and "<b>b</b>" in cleaned


@pytest.mark.parametrize("fragment", [
    '<a href="javascript:alert(1)">bấm</a>', '<IMG SRC="JaVaScRiPt:alert(1)">',
    '<img src="javascript:alert(1)">', '<p style="background:url(javascript:alert(1))">x</p>',
])
def test_javascript_urls_are_removed(fragment: str) -> None:
    assert "javascript" not in sanitise_html(fragment).lower()


@pytest.mark.parametrize("src", [
    "http://example.com/a.png", "https://example.com/a.png", "//example.com/a.png",
    "data:image/png;base64,AAAA", "/media/../etc/passwd", "/media/abc.png",
    MEDIA + "?x=1", MEDIA.replace(".png", ".exe"),
])
def test_images_from_anywhere_but_our_media_are_dropped(src: str) -> None:
    cleaned = sanitise_html(f'trước<img src="{src}" alt="a">sau')
    assert cleaned == "trướcsau"


def test_importer_resolves_its_own_image_references() -> None:
    resolved = sanitise_html('<img src="image1.png">',
                             resolve_image={"image1.png": MEDIA}.get)
    assert resolved == f'<img src="{MEDIA}">'
    # the resolver's answer is checked too
    assert sanitise_html('<img src="a.png">', resolve_image=lambda _: "http://x/a.png") == ""


def test_iframes_svg_and_styles_go_with_their_content() -> None:
    cleaned = sanitise_html('<iframe src="x">i</iframe><svg onload="x()"><text>s</text></svg>'
                            '<style>body{}</style><div class="c" style="color:red">ok</div>')
    assert cleaned == "<div>ok</div>"


def test_unknown_tags_keep_their_text_and_result_is_nfc_and_idempotent() -> None:
    cleaned = sanitise_html("<font>Tie\u0302\u0301ng Vie\u0323\u0302t</font>")
    assert cleaned == "Tiếng Việt"
    tricky = '<p>a < b & "c"</p><!-- note --><b><i>x</b></i>'
    assert sanitise_html(sanitise_html(tricky)) == sanitise_html(tricky)


def test_media_url_and_plain_text() -> None:
    assert is_media_url(MEDIA)
    assert not is_media_url("/media/" + "AB12" * 16 + ".png")  # hashes are lower-case hex
    assert plain_text("<p>H<sub>2</sub>O &amp; <b>muối</b></p>") == "H2O & muối"


def test_an_excerpt_is_plain_text_with_entities_decoded_and_cut_with_an_ellipsis():
    from item_bank.sanitise import excerpt
    assert excerpt("<p>Sở GD&amp;ĐT</p><p>A &lt; B</p>") == "Sở GD&ĐT A < B"
    assert excerpt("<b>một</b> hai ba bốn", length=8) == "một hai…"
    assert excerpt("ngắn") == "ngắn"
