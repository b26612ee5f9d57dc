"""Answer normalisation for Vietnamese text: what makes two typed answers "the same".

Short answers and cloze gaps are compared after :func:`normalise_answer`:

* **NFC** — Vietnamese keyboards (and macOS) may send decomposed letters ("e" + U+0302 + U+0301
  for "ế"); they must equal the precomposed form.
* **Tone-mark placement** — "hòa" (traditional placement) and "hoà" (the placement of the 1984
  Ministry rules and most current keyboards) are one word written two ways; we move the tone of
  the open syllables -oa, -oe, -uy onto the second vowel. The tone itself is kept.
* **White space** — runs of any white space (NBSP, tabs, ideographic space …) become one space,
  zero-width characters are dropped, ends are trimmed.
* **Case** — folded with :meth:`str.casefold` unless the item is case-sensitive.

Accents are **significant**: in Vietnamese "ma", "mà", "má", "mả", "mã", "mạ" are six words.
Accent-folding (:func:`fold_accents`, :func:`search_key`) is only for search boxes, never for
scoring.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "collapse_spaces",
    "fold_accents",
    "nfc",
    "normalise_answer",
    "search_key",
    "unify_tone_placement",
]

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACES = re.compile(r"\s+")  # str patterns are Unicode-aware: NBSP, U+3000, U+2009 … match

# Combining tone marks (in NFD): grave (huyền), acute (sắc), tilde (ngã), hook (hỏi), dot (nặng).
_TONES = "\u0300\u0301\u0303\u0309\u0323"
# An open syllable ending in oa / oe / uy with the tone on the first vowel ("hòa", "thùy").
# "qu" + y keeps its tone on y in both conventions, so a preceding q is excluded. The tone must
# be the first vowel's only mark, and nothing alphabetic (no final consonant) may follow.
_OA_OE = re.compile(rf"([oO])([{_TONES}])([aAeE])(?![^\W\d_]|[\u0300-\u036f])")
_UY = re.compile(rf"(?<![qQ])([uU])([{_TONES}])([yY])(?![^\W\d_]|[\u0300-\u036f])")


def nfc(text: str) -> str:
    """The NFC form of ``text``."""
    return unicodedata.normalize("NFC", text)


def collapse_spaces(text: str) -> str:
    """Drop zero-width characters, turn every run of white space into one space, trim."""
    return _SPACES.sub(" ", text.translate(_ZERO_WIDTH)).strip()


def unify_tone_placement(text: str) -> str:
    """Put the tone of open -oa, -oe, -uy syllables on the second vowel: "hòa" -> "hoà".

    Returns NFC. Syllables with a final consonant ("hoàn", "thuyền") are the same in both
    conventions and are left alone.
    """
    decomposed = unicodedata.normalize("NFD", text)
    decomposed = _OA_OE.sub(r"\1\3\2", decomposed)
    decomposed = _UY.sub(r"\1\3\2", decomposed)
    return nfc(decomposed)


def normalise_answer(text: str, *, case_sensitive: bool = False) -> str:
    """The comparable form of a typed answer (see the module docstring). Accent-sensitive."""
    result = unify_tone_placement(collapse_spaces(nfc(text)))
    if not case_sensitive:
        # casefold can decompose (e.g. "İ" -> "i̇"), so recompose afterwards.
        result = nfc(result.casefold())
    return result


def fold_accents(text: str) -> str:
    """Remove diacritics, "đ" -> "d": "Điện Biên Phủ" -> "Dien Bien Phu". For search only."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return nfc("".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def search_key(text: str) -> str:
    """Accent- and case-insensitive key for search boxes: "  Điện   Biên " -> "dien bien"."""
    return fold_accents(normalise_answer(text))
