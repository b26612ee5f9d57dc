"""Text hygiene: every string that enters the system is NFC-normalised Unicode."""

from __future__ import annotations

import unicodedata


def nfc(value: str) -> str:
    """NFC-normalise and strip surrounding white space (names typed with decomposed accents
    from some Vietnamese keyboards must compare equal to precomposed ones)."""
    return unicodedata.normalize("NFC", value).strip()

