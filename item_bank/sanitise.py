"""Sanitised HTML for item stems, parts and feedback: an allow-list, not a block-list.

Item HTML comes from authors and from imported files (Word, Moodle XML, QTI, old banks), and is
shown inside the exam page, so it must not be able to run code, load anything from outside or
restyle the page. We use nh3 (the Python binding of the Rust *ammonia* sanitiser, which parses
with html5ever exactly as a browser would) with our own allow-list:

* text formatting: ``b strong i em u s sub sup small mark code kbd samp var pre br p div span
  blockquote hr`` ; lists: ``ul ol li`` ; tables: ``table caption colgroup col thead tbody tfoot
  tr th td`` ; images: ``img``;
* attributes: ``img``: ``src alt title width height``; ``td``/``th``: ``colspan rowspan``; ``th``:
  ``scope``; ``ol``: ``start type``; ``col``/``colgroup``: ``span``. No ``style``, ``class``,
  ``id``, event handlers or links (an exam item has no business sending a candidate elsewhere);
* ``img src`` only from our content-addressed media store, ``/media/<sha256>.<ext>``. The
  importer uploads embedded pictures first and passes ``resolve_image`` to map the file's own
  references (``image1.png``, ``@@PLUGINFILE@@/a.png``, ``data:`` URIs …) to those URLs; any
  other source (``http://…``, ``javascript:``, unresolved names) is removed;
* ``script``, ``style``, ``iframe``, ``object``, ``embed``, ``template``, ``noscript``,
  ``textarea``, ``select``, ``svg`` and ``math`` are dropped *with their content*; other unknown
  tags are unwrapped (their text is kept); comments are dropped.

The result is NFC, like every string stored in the bank.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import nh3

from item_bank.text_normalise import nfc

__all__ = ["ALLOWED_ATTRIBUTES", "ALLOWED_TAGS", "MEDIA_URL", "excerpt", "is_media_url",
           "plain_text", "sanitise_html"]

ALLOWED_TAGS: frozenset[str] = frozenset({
    "b", "strong", "i", "em", "u", "s", "sub", "sup", "small", "mark",
    "code", "kbd", "samp", "var", "pre", "br", "p", "div", "span", "blockquote", "hr",
    "ul", "ol", "li",
    "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
    "img",
})

ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "img": frozenset({"src", "alt", "title", "width", "height"}),
    "td": frozenset({"colspan", "rowspan"}),
    "th": frozenset({"colspan", "rowspan", "scope"}),
    "ol": frozenset({"start", "type"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
}

# Removed together with everything inside them.
_DROPPED_WITH_CONTENT = frozenset({
    "script", "style", "iframe", "object", "embed", "template", "noscript", "textarea",
    "select", "svg", "math", "title",
})

MEDIA_URL = re.compile(r"/media/[0-9a-f]{64}\.(?:png|jpe?g|gif|webp|svg)")
_DIMENSION = re.compile(r"[0-9]{1,4}%?")
_INTEGER = re.compile(r"[0-9]{1,3}")
# An <img> left without a source after filtering. nh3 serialises every attribute as
# name="value" with any inner quote escaped, so this pattern is exact on its output.
_IMG_WITHOUT_SRC = re.compile(r'<img(?:\s+(?!src=)[a-z-]+="[^"]*")*\s*/?>')

ImageResolver = Callable[[str], str | None]


def is_media_url(url: str) -> bool:
    """Whether ``url`` is one of our content-addressed media URLs, ``/media/<sha256>.<ext>``."""
    return MEDIA_URL.fullmatch(url) is not None


def sanitise_html(fragment: str, *, resolve_image: ImageResolver | None = None) -> str:
    """The safe form of an HTML fragment (see the module docstring for the allow-list).

    ``resolve_image(src)`` may map a source reference to a media URL (or ``None``); whatever
    it returns is still checked against :data:`MEDIA_URL`. Idempotent:
    ``sanitise_html(sanitise_html(x)) == sanitise_html(x)``.
    """

    def keep_attribute(tag: str, name: str, value: str) -> str | None:
        if tag == "img" and name == "src":
            if not is_media_url(value) and resolve_image is not None:
                value = resolve_image(value) or ""
            return value if is_media_url(value) else None
        if name in ("width", "height"):
            return value if _DIMENSION.fullmatch(value.strip()) else None
        if name in ("colspan", "rowspan", "span", "start"):
            return value if _INTEGER.fullmatch(value.strip()) else None
        return value

    cleaned = nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=keep_attribute,
        strip_comments=True,
        link_rel=None,
        url_schemes=set(),  # no absolute URL of any scheme; our media URLs are relative
    )
    return nfc(_IMG_WITHOUT_SRC.sub("", cleaned))


def plain_text(fragment: str) -> str:
    """The visible text of an HTML fragment, tags removed and entities decoded, spaces collapsed.

    For messages, reviewers' key descriptions and duplicate checks — never for display as HTML.
    """
    text = nh3.clean(fragment, tags=set(), clean_content_tags=set(_DROPPED_WITH_CONTENT))
    return " ".join(nfc(html.unescape(text)).split())


_TAG = re.compile(r"<[^>]+>")


def excerpt(fragment: str, length: int = 90) -> str:
    """The start of an HTML fragment as plain text for lists and previews: tags become spaces
    (so "<p>a</p><p>b</p>" reads "a b"), entities are decoded ("GD&amp;ĐT" -> "GD&ĐT"), and
    a text longer than ``length`` ends in "…". Escape it when showing it as HTML."""
    text = " ".join(html.unescape(_TAG.sub(" ", fragment)).split())
    return text if len(text) <= length else text[: length - 1] + "…"
