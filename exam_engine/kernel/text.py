"""Text hygiene: every string that enters the system is NFC-normalised Unicode."""

from __future__ import annotations

import re
import unicodedata

# White space and the invisible characters a copy-paste or a phone keyboard leaves around a
# typed name: they must not make "canbo" and "canbo\u200b" two accounts or two counters.
_SURROUNDING_BLANKS = re.compile(r"^[\s\u200b\u200c\u200d\u2060\ufeff]+|[\s\u200b\u200c\u200d\u2060\ufeff]+$")


def nfc(value: str) -> str:
    """NFC-normalise and strip surrounding white space (names typed with decomposed accents
    from some Vietnamese keyboards must compare equal to precomposed ones)."""
    return unicodedata.normalize("NFC", value).strip()


def identifier_key(value: str) -> str:
    """The one comparable form of a login identifier (username, số báo danh): NFC, trimmed of
    white space and invisible characters, case-folded (Unicode's caseless matching, so every
    case variant and every composition of the same letters gives the same key).

    Lookups and login throttling both use this key, so a variant can neither miss an honest
    user's row nor open a fresh throttling counter.
    """
    folded = unicodedata.normalize("NFC", value).casefold()
    # casefold can leave decomposed sequences (NFKC_Casefold would also map look-alikes, which
    # a username must not silently do), so normalise once more after folding.
    return _SURROUNDING_BLANKS.sub("", unicodedata.normalize("NFC", folded))
