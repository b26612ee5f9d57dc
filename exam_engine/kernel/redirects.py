"""Where a login may send the browser next: a path on this site, nothing else."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Browsers drop tabs and line breaks from URLs and read "\" as "/", so "/\t/evil.example",
# "/\\evil.example" and "\\\\evil.example" all become "//evil.example": another site.
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


def safe_next_path(value: str | None) -> str | None:
    """``value`` when it is a path on this site ("/ngan-hang/?trang=2"), else None.

    Refused: absolute and scheme-relative URLs, anything that is not a plain path from the
    root, and any control character, space or backslash, which browsers rewrite into
    something else than what this check saw.
    """
    if not value or not value.startswith("/") or value.startswith("//"):
        return None
    if _UNSAFE.search(value) or not value.isascii():
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value
