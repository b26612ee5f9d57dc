"""Duplicate and near-duplicate items: what an import should warn about before the bank grows.

Teachers fill the bank by importing old files, so the same question arrives again with its
options shuffled, re-typed on another keyboard, or with one word or number changed.
:func:`find_duplicates` compares a batch of new items with each other and with the bank.

**Exact duplicates** share :func:`item_fingerprint`: the SHA-256 of the comparable text of the
stem and of the *multiset* of option texts (order-insensitive; matching targets likewise).
The comparable text of a fragment is its visible text (:func:`~item_bank.sanitise.plain_text`)
plus the ids of its pictures (our media URLs are content-addressed, so the same picture has
the same id and two "Xem hình …" items with different pictures differ), then NFC, one tone
placement ("hòa" = "hoà", :func:`~item_bank.text_normalise.unify_tone_placement`), case-folded,
punctuation replaced by spaces, spaces collapsed. Accents are kept: "ma" ≠ "mà", and "dinh
dang" is not "định dạng". Operator-like ASCII marks (``% * / # & @ \\ -``) and symbols
(``+ = < > ^`` …) are kept, so "6/2" ≠ "6*2" while "3,5" = "3.5" and "Excel?" = "Excel".
The answer key, points and feedback are not part of it: the same question with another key is
still the same question (and a conflict a reviewer should see).

**Near duplicates** have a Jaccard similarity ≥ ``threshold`` between the sets of character
``SHINGLE_SIZE``-grams (shingles) of the comparable texts of stem and options, each part
shingled on its own with boundary marks (so option order does not matter and a one-letter
option still counts). Comparing every pair is O(n²), so candidates come from MinHash signatures
(Broder 1997, "On the resemblance and containment of documents": the probability that two sets
have the same minimum under a random hash equals their Jaccard similarity) banded for
locality-sensitive hashing (Leskovec, Rajaraman & Ullman, *Mining of Massive Datasets*, ch. 3.4:
``b`` bands of ``r`` rows; a pair is a candidate if any band agrees, with probability
1 − (1 − s^r)^b). The ``N_BINS`` minimums come from one hash per shingle split into bins
(one-permutation hashing, Li, Owen & Zhang 2012) with empty bins filled by optimal
densification (Shrivastava 2017), so each signature entry is still a min-hash but a signature
costs one pass instead of ``N_BINS``. ``r`` is the largest row count whose banding misses a pair
*at* the threshold with probability ≤ ``MAX_MISS``. Candidates whose signatures agree far
less than the threshold allows (a Hoeffding margin, see ``_plausible``) are dropped, and every
other candidate is checked with its exact Jaccard similarity, which is the number reported:
the sampling only affects recall, never the similarity.
(Shingle ids in that check are 31-bit hashes: a collision shifts a similarity by ~1/300 with
probability ~1e-5 per pair.)

Cost: text normalisation, signatures and banding are linear in the number of items (~3 s for
10,000 new × 50,000 existing on this 2-core machine, single-threaded,
``benchmarks/item_duplicates.py``); the exact check is linear in the candidates; pairs of
existing items are never formed. The output is large only when the batch really holds many
near-duplicate pairs; low thresholds cost more (see ``MIN_THRESHOLD``).

References: A. Z. Broder, *On the resemblance and containment of documents*, Compression and
Complexity of Sequences 1997; J. Leskovec, A. Rajaraman, J. D. Ullman, *Mining of Massive
Datasets*, ch. 3 (2014); P. Li, A. Owen, C.-H. Zhang, *One permutation hashing*, NIPS 2012;
A. Shrivastava, *Optimal densification for fast and accurate minwise hashing*, ICML 2017.

Pure Python and numpy/scipy: no database, no Flask.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from scipy import sparse

from item_bank.content import ItemContent
from item_bank.sanitise import ALLOWED_TAGS, plain_text
from item_bank.text_normalise import nfc, unify_tone_placement

__all__ = [
    "MAX_MISS",
    "MIN_THRESHOLD",
    "N_BINS",
    "SHINGLE_SIZE",
    "DuplicateMatch",
    "band_shape",
    "comparable_text",
    "find_duplicates",
    "item_fingerprint",
    "jaccard_similarity",
]

#: Characters per shingle. Tuned on the demo bank: with one stem word replaced by a random
#: word of the bank, 96–98 % of the items keep ≥ 0.85 with 3-grams (4-grams: 93 %, 5-grams:
#: 87–88 %; two draws), while the closest distinct items (parallel questions: "… of a
#: Microsoft Excel / PowerPoint file") stay at ≤ 0.76 (4-grams: ≤ 0.73).
SHINGLE_SIZE = 3
#: Min-hash values per item; the bands use ``b * r <= N_BINS`` of them.
N_BINS = 128
#: Lowest threshold accepted. Common syllables make unrelated Vietnamese items 0.2–0.4 similar,
#: so below ~0.6 the banding admits a large share of all pairs and the search tends to the
#: all-pairs cost (2,000 new × 10,000 synthetic items: 1.3 s at 0.7, 15 s at 0.5).
MIN_THRESHOLD = 0.5
#: Largest accepted probability that the banding misses a pair whose similarity is the threshold.
MAX_MISS = 1e-4

# Content-addressed media URL (see item_bank.sanitise.MEDIA_URL); the first 16 hex digits of the
# SHA-256 name the picture in the comparable text.
_MEDIA_ID = re.compile(r"/media/([0-9a-f]{16})[0-9a-f]{48}\.")
_SEPARATOR = "\x00"  # between fragments normalised together
_NON_WORD = re.compile(r"[^\w\s\x00]+")
# An opening or closing tag, attributes quoted or not; group 1 is the tag name.
_TAG = re.compile(r"""</?([a-zA-Z][a-zA-Z0-9]*)(?:\s+[^\s"'=<>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'"""
                  r"""|[^\s"'=<>`]+))?)*\s*/?>""")
# In NFC, the only places unify_tone_placement can change: a toned o/u before a/e/y.
# Searched after case folding; a superset (one character class first, so the search is fast),
# _move_tone checks the rest of unify_tone_placement's conditions.
_TONE_ON_FIRST_VOWEL = re.compile("[òóỏõọùúủũụ][aey]")
_LETTER_OR_MARK = re.compile(r"[^\W\d_]|[\u0300-\u036f]")
# ASCII punctuation that carries meaning in formulas and answers ("6/2", "50%", "x-1").
_KEPT_PUNCTUATION = frozenset("%*/#&@\\-")
# The punctuation met most often, replaced without a Python call per match; the rest of the
# non-word characters go through _strip_run, which asks unicodedata.
_COMMON_PUNCTUATION = re.compile("[" + re.escape("".join(
    ch for ch in "!\"'(),.:;?[]{}“”‘’…–—«»·•¿¡„‹›"
    if unicodedata.category(ch)[0] == "P" and ch not in _KEPT_PUNCTUATION)) + "]+")
_PART_START, _PART_END = "\x02", "\x03"  # shingle boundary marks; never in comparable text

_U64 = np.uint64
_MASK31 = _U64(0x7FFFFFFF)


@dataclass(frozen=True)
class DuplicateMatch:
    """New item ``new_index`` duplicates ``other[other_index]``.

    ``other`` is ``"existing"`` (the bank) or ``"new"`` (an earlier item of the same batch:
    ``other_index < new_index``). ``similarity`` is 1.0 for ``kind="exact"`` and the Jaccard
    similarity of the shingle sets for ``kind="near"`` (it can be 1.0 for a near pair too, when
    the two differ only by repeating text: sets ignore repeats, the fingerprint does not).
    """

    new_index: int
    other: Literal["new", "existing"]
    other_index: int
    kind: Literal["exact", "near"]
    similarity: float


@lru_cache(maxsize=4096)
def _strip_run(run: str) -> str:
    """A run of non-word, non-space characters: punctuation -> space, format chars dropped."""
    out = []
    for ch in run:
        category = unicodedata.category(ch)
        if category in ("Cf", "Cc"):  # zero-width space/joiners, BOM, soft hyphen, controls
            continue
        out.append(" " if category[0] == "P" and ch not in _KEPT_PUNCTUATION else ch)
    return "".join(out)


def _visible_text(fragment: str) -> str:
    """:func:`~item_bank.sanitise.plain_text` of ``fragment`` plus its pictures' ids.

    nh3 costs ~25 µs a fragment, too much for 300,000 of them, so text without markup is
    taken as it is and fragments whose every ``<`` opens one of our allowed tags (what
    :func:`~item_bank.sanitise.sanitise_html` stores) have their tags removed by a regular
    expression; anything else goes through ``plain_text``. Same result (tested).
    """
    if "<" not in fragment and "&" not in fragment:
        return fragment
    pictures = "".join(f" img{m}" for m in _MEDIA_ID.findall(fragment))
    tags = _TAG.findall(fragment)
    if all(name.lower() in ALLOWED_TAGS for name in tags):
        bare = _TAG.sub("", fragment)
        if "<" not in bare:
            return html.unescape(bare) + pictures
    return plain_text(fragment) + pictures


def _move_tone(match: re.Match[str]) -> str:
    """The tone of an open -oa/-oe/-uy syllable onto its second vowel, as
    :func:`~item_bank.text_normalise.unify_tone_placement` would do in the whole text."""
    pair, text = match.group(), match.string
    if pair[0] in "òóỏõọ":
        movable = pair[1] in "ae"
    else:  # ù ú ủ ũ ụ + y, but "qu" + y keeps its tone on y
        movable = pair[1] == "y" and text[match.start() - 1:match.start()] != "q"
    if not movable or _LETTER_OR_MARK.match(text, match.end()):
        return pair  # or a final consonant follows: "hoàn" is written one way
    return unify_tone_placement(pair)


def _comparable_texts(fragments: Sequence[str]) -> list[str]:
    """:func:`comparable_text` of many fragments at once.

    The character-level steps run on one string of all of them joined by NUL (a handful of
    C-level passes instead of ~10 Python calls per fragment: 300,000 fragments take ~1 s, not
    ~2.5 s); NUL is taken out of the fragments first and is left alone by every step.
    """
    texts = []
    for fragment in fragments:
        text = nfc(_visible_text(fragment))
        texts.append(text.replace(_SEPARATOR, " ") if _SEPARATOR in text else text)
    joined = _COMMON_PUNCTUATION.sub(" ", _SEPARATOR.join(texts))
    joined = _NON_WORD.sub(lambda m: _strip_run(m.group()), joined).casefold()
    if not unicodedata.is_normalized("NFC", joined):  # casefold may decompose ("İ")
        joined = nfc(joined)
    joined = _TONE_ON_FIRST_VOWEL.sub(_move_tone, joined)
    return [text.strip() for text in " ".join(joined.split()).split(_SEPARATOR)]


def comparable_text(fragment: str) -> str:
    """The text of an HTML fragment as duplicates are compared (see the module docstring).

    Accent-sensitive; equals :func:`~item_bank.text_normalise.normalise_answer` of the visible
    text for text without punctuation or pictures.
    """
    return _comparable_texts([fragment])[0]


def _comparable_parts_of_all(contents: Iterable[ItemContent]
                             ) -> list[tuple[str, list[str], list[str]]]:
    """(stem, sorted choices, sorted targets) comparable texts of each item; each distinct
    fragment ("Đúng", "Sai" … repeat a lot) is normalised once."""
    contents = list(contents)
    slot: dict[str, int] = {}
    for content in contents:
        slot.setdefault(content.stem, len(slot))
        for part in (*content.choices, *content.targets):
            slot.setdefault(part.text, len(slot))
    texts = _comparable_texts(list(slot))
    return [(texts[slot[c.stem]],
             sorted([texts[slot[part.text]] for part in c.choices]),
             sorted([texts[slot[part.text]] for part in c.targets])) for c in contents]


def _comparable_parts(content: ItemContent) -> tuple[str, list[str], list[str]]:
    return _comparable_parts_of_all([content])[0]


def _fingerprint(parts: tuple[str, list[str], list[str]]) -> str:
    # \x1e and \x1f are white space to str.split, so never inside a comparable text.
    stem, choices, targets = parts
    payload = "\x1e".join([stem, "\x1f".join(choices), "\x1f".join(targets)])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def item_fingerprint(content: ItemContent) -> str:
    """Exact-duplicate key: SHA-256 hex of the comparable stem and option multiset.

    Insensitive to option order, HTML markup, Unicode form (NFC/NFD), case, tone-mark
    placement, punctuation and spacing; sensitive to accents, words, numbers and pictures.
    """
    return _fingerprint(_comparable_parts(content))


# --- shingles and min-hash signatures ----------------------------------------------------------


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser (Steele, Lea & Flood 2014), a bijective well-mixing uint64 hash,
    applied in place (the arrays are large: one entry per shingle)."""
    scratch = np.empty_like(x)
    for shift, multiplier in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
        np.right_shift(x, _U64(shift), out=scratch)
        np.bitwise_xor(x, scratch, out=x)
        np.multiply(x, _U64(multiplier), out=x)
    np.right_shift(x, _U64(31), out=scratch)
    np.bitwise_xor(x, scratch, out=x)
    return x


def _shingle_hashes(units: Sequence[Sequence[str]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every character ``n``-gram of every part, and their units' indptr.

    ``units[u]`` are the comparable parts of unit ``u``. Each part is shingled on its own,
    wrapped in boundary marks and padded to ``n`` characters, so every part gives at least one
    shingle. Returns ``(hashes, indptr)``: unit ``u``'s hashes are ``hashes[indptr[u]:
    indptr[u + 1]]`` (with repeats).
    """
    parts_per_unit = np.fromiter(map(len, units), dtype=np.int64, count=len(units))
    padded = [f"{_PART_START}{part}{_PART_END}".ljust(n, _PART_END)
              for parts in units for part in parts]
    lengths = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
    codes = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32)
    # Polynomial hash of the window starting at each character (in place: ~12M windows).
    n_windows = codes.size - n + 1
    h = codes[:n_windows].astype(_U64)
    for j in range(1, n):
        np.multiply(h, _U64(0x100000001B3), out=h)
        np.add(h, codes[j:j + n_windows], out=h, casting="unsafe")
    part_end = np.repeat(np.cumsum(lengths), lengths)[:n_windows]
    h = _mix64(h[np.arange(n_windows) + n <= part_end])  # windows inside their part
    shingles_per_unit = np.add.reduceat(lengths - n + 1, np.cumsum(parts_per_unit)
                                        - parts_per_unit) if lengths.size else lengths
    indptr = np.concatenate([[0], np.cumsum(shingles_per_unit)]).astype(np.int64)
    return h, indptr


def _minhash_signatures(hashes: np.ndarray, indptr: np.ndarray, n_bins: int
                        ) -> tuple[np.ndarray, np.ndarray]:
    """``(n_units, n_bins)`` uint32 min-hash signatures by densified one-permutation hashing,
    and how many bins of each unit were filled before densification.

    A shingle goes to bin ``hash % n_bins`` and competes there with its upper 32 bits; a unit's
    empty bin copies the bin found by probing ``probe(bin, attempt)``, the same sequence for
    every unit (Shrivastava 2017), so P[entry equal] = Jaccard for each entry.
    """
    n_units = indptr.size - 1
    unit = np.repeat(np.arange(n_units, dtype=np.int64), np.diff(indptr))
    flat = unit * n_bins + (hashes % _U64(n_bins)).astype(np.int64)
    values = (hashes >> _U64(32)).astype(np.uint32)
    sig = np.full(n_units * n_bins, np.iinfo(np.uint32).max, dtype=np.uint32)
    np.minimum.at(sig, flat, values)
    filled = np.zeros(n_units * n_bins, dtype=bool)
    filled[flat] = True
    sig, filled = sig.reshape(n_units, n_bins), filled.reshape(n_units, n_bins)
    dense = sig.copy()
    rows, cols = np.nonzero(~filled)
    attempt = 0
    while rows.size:
        attempt += 1
        if attempt > 64 * n_bins:  # only a unit with ~1 filled bin gets here, ~never
            dense[rows, cols] = sig[rows, np.argmax(filled[rows], axis=1)]
            break
        probe = (_mix64(cols.astype(_U64) * _U64(0x9E3779B97F4A7C15) + _U64(attempt))
                 % _U64(n_bins)).astype(np.int64)
        hit = filled[rows, probe]
        dense[rows[hit], cols[hit]] = sig[rows[hit], probe[hit]]
        rows, cols = rows[~hit], cols[~hit]
    return dense, filled.sum(axis=1)


def _signatures(units: Sequence[Sequence[str]], n: int, n_bins: int,
                chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_minhash_signatures` of all units, ``chunk`` units at a time so that the
    per-shingle arrays stay a few MB (fresh 100 MB arrays cost more in page faults than the
    arithmetic done on them)."""
    sig = np.empty((len(units), n_bins), dtype=np.uint32)
    filled = np.empty(len(units), dtype=np.int64)
    for start in range(0, len(units), chunk):
        hashes, indptr = _shingle_hashes(units[start:start + chunk], n)
        sig[start:start + chunk], filled[start:start + chunk] = _minhash_signatures(
            hashes, indptr, n_bins)
    return sig, filled


def _plausible(pairs: np.ndarray, sig: np.ndarray, filled: np.ndarray, threshold: float,
               max_miss: float = MAX_MISS, chunk: int = 65_536) -> np.ndarray:
    """Mask of candidate pairs whose signature agreement is not far below ``threshold``.

    The share of equal signature entries estimates the Jaccard similarity from about ``m``
    independent bins, ``m`` = the larger count of non-empty bins of the two (densified entries
    resample those). A pair is dropped when its estimate is below threshold − sqrt(ln(1 /
    max_miss) / m): twice the Hoeffding variance budget, and ~3× the worst error seen on
    884,000 benchmark pairs. At low thresholds this removes >99 % of the candidates before the
    exact check.
    """
    keep = np.empty(len(pairs), dtype=bool)
    for start in range(0, len(pairs), chunk):
        a, b = pairs[start:start + chunk, 0], pairs[start:start + chunk, 1]
        agreement = (sig[a] == sig[b]).mean(axis=1)
        margin = np.sqrt(np.log(1.0 / max_miss) / np.maximum(filled[a], filled[b]))
        keep[start:start + chunk] = agreement >= threshold - margin
    return keep


def band_shape(threshold: float, n_bins: int = N_BINS, max_miss: float = MAX_MISS
               ) -> tuple[int, int]:
    """``(bands, rows)`` for LSH banding: the most rows per band (fewest false candidates) whose
    probability of missing a pair of similarity ``threshold``, (1 − t^r)^b with b = n_bins // r,
    is at most ``max_miss`` (Leskovec, Rajaraman & Ullman, ch. 3.4.2)."""
    best = (n_bins, 1)
    for rows in range(1, n_bins + 1):
        bands = n_bins // rows
        if (1.0 - threshold**rows) ** bands <= max_miss:
            best = (bands, rows)
    return best


def _candidate_pairs(sig: np.ndarray, is_query: np.ndarray, bands: int, rows: int
                     ) -> np.ndarray:
    """Unit pairs ``(query, other)`` (query unit first, ``other != query``) that agree on at
    least one band; unique; ``(m, 2)`` int64. Pairs of two non-query units are never formed."""
    n_units = sig.shape[0]
    if n_units < 2:
        return np.empty((0, 2), dtype=np.int64)
    band_sig = sig[:, :bands * rows].astype(_U64).reshape(n_units, bands, rows)
    keys = np.zeros((n_units, bands), dtype=_U64)
    for j in range(rows):
        keys = _mix64(keys * _U64(0x100000001B3) + band_sig[:, :, j])
    keys = _mix64(keys + np.arange(bands, dtype=_U64) * _U64(0x9E3779B97F4A7C15))
    keys = keys.ravel()
    owner = np.repeat(np.arange(n_units, dtype=np.int64), bands)
    order = np.argsort(keys, kind="stable")
    keys, owner = keys[order], owner[order]
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    sizes = np.diff(np.append(starts, keys.size))
    group = np.repeat(np.arange(starts.size), sizes)
    # Every query member of a shared bucket is paired with every member of its bucket.
    members = np.flatnonzero(is_query[owner] & (sizes[group] > 1))
    counts = sizes[group[members]]
    left = np.repeat(owner[members], counts)
    first = np.repeat(starts[group[members]], counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    right = owner[first + offset]
    keep = left != right
    left, right = left[keep], right[keep]
    # A query-query pair is found from both sides: keep (larger, smaller) only.
    both = is_query[right]
    keep = ~both | (left > right)
    pairs = np.unique(left[keep] * n_units + right[keep])
    return np.stack([pairs // n_units, pairs % n_units], axis=1)


def _shingle_sets(units: Sequence[Sequence[str]], n: int) -> sparse.csr_array:
    """One binary row per unit: its shingles as sorted 31-bit ids without repeats."""
    hashes, indptr = _shingle_hashes(units, n)
    cols = (hashes & _MASK31).astype(np.int32)
    rows = sparse.csr_array((np.ones(cols.size, dtype=np.int32), cols, indptr),
                            shape=(len(units), 1 << 31))
    rows.sum_duplicates()  # sorts each row's ids: the element-wise product below needs that
    rows.data[:] = 1
    return rows


def _exact_jaccard(units: Sequence[Sequence[str]], pairs: np.ndarray, n: int) -> np.ndarray:
    """Jaccard similarity of the shingle sets of each unit pair (rows of ``pairs``)."""
    if pairs.size == 0:
        return np.empty(0)
    involved, inverse = np.unique(pairs, return_inverse=True)
    inverse = inverse.reshape(pairs.shape)
    sets = _shingle_sets([units[u] for u in involved.tolist()], n)
    sizes = np.diff(sets.indptr)
    similarity = np.empty(len(pairs))
    step = 50_000  # bounds the memory of the row copies
    for start in range(0, len(pairs), step):
        a, b = inverse[start:start + step, 0], inverse[start:start + step, 1]
        common = np.asarray(sets[a].multiply(sets[b]).sum(axis=1)).ravel()
        similarity[start:start + step] = common / (sizes[a] + sizes[b] - common)
    return similarity


def jaccard_similarity(a: ItemContent, b: ItemContent, *, shingle_size: int = SHINGLE_SIZE
                       ) -> float:
    """The near-duplicate similarity of two items (exact, no sampling): Jaccard of shingles."""
    units = [_shingle_parts(_comparable_parts(a)), _shingle_parts(_comparable_parts(b))]
    return float(_exact_jaccard(units, np.array([[0, 1]]), shingle_size)[0])


def _shingle_parts(parts: tuple[str, list[str], list[str]]) -> list[str]:
    stem, choices, targets = parts
    return [stem, *choices, *targets]


# --- the search ---------------------------------------------------------------------------------


def find_duplicates(new: Sequence[ItemContent], existing: Sequence[ItemContent] = (), *,
                    threshold: float = 0.85) -> list[DuplicateMatch]:
    """Exact and near duplicates of the ``new`` items among themselves and in ``existing``.

    Every new item is compared with every existing item and every other new item (pairs of
    existing items are not reported). Exact matches (same :func:`item_fingerprint`) have
    ``similarity=1.0``; near matches are pairs with a different fingerprint whose shingle
    Jaccard similarity (:func:`jaccard_similarity`) is ≥ ``threshold``, found by MinHash/LSH
    (see the module docstring) so that the cost grows with the number of items and of matches,
    not with their product. A group of identical new items is reported against its first
    member only (k copies give k − 1 exact matches, not k(k − 1)/2).

    Sorted by ``new_index``, then exact before near, then by decreasing similarity.
    Raises ``ValueError`` unless ``MIN_THRESHOLD`` ≤ ``threshold`` ≤ 1.
    """
    if not MIN_THRESHOLD <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [{MIN_THRESHOLD}, 1], got {threshold!r}")
    # Units: distinct fingerprints. Identical items are one unit, shingled once.
    unit_of: dict[str, int] = {}
    unit_parts: list[list[str]] = []
    new_members: list[list[int]] = []
    existing_members: list[list[int]] = []

    def add(items: Sequence[ItemContent], members: list[list[int]], others: list[list[int]]
            ) -> None:
        for index, parts in enumerate(_comparable_parts_of_all(items)):
            key = _fingerprint(parts)
            unit = unit_of.get(key)
            if unit is None:
                unit = unit_of[key] = len(unit_parts)
                unit_parts.append(_shingle_parts(parts))
                members.append([])
                others.append([])
            members[unit].append(index)

    add(new, new_members, existing_members)
    add(existing, existing_members, new_members)

    matches: list[DuplicateMatch] = []
    for news, olds in zip(new_members, existing_members, strict=True):
        for i in news:
            matches.extend(DuplicateMatch(i, "existing", e, "exact", 1.0) for e in olds)
        matches.extend(DuplicateMatch(i, "new", news[0], "exact", 1.0) for i in news[1:])

    matches.extend(_near_matches(unit_parts, new_members, existing_members, threshold))
    matches.sort(key=lambda m: (m.new_index, m.kind != "exact", -m.similarity, m.other,
                                m.other_index))
    return matches


def _near_matches(unit_parts: list[list[str]], new_members: list[list[int]],
                  existing_members: list[list[int]], threshold: float) -> list[DuplicateMatch]:
    is_query = np.fromiter((bool(m) for m in new_members), dtype=bool, count=len(new_members))
    if not is_query.any() or len(unit_parts) < 2:
        return []
    sig, filled = _signatures(unit_parts, SHINGLE_SIZE, N_BINS)
    bands, rows = band_shape(threshold)
    pairs = _candidate_pairs(sig, is_query, bands, rows)
    pairs = pairs[_plausible(pairs, sig, filled, threshold)]
    similarity = _exact_jaccard(unit_parts, pairs, SHINGLE_SIZE)
    keep = similarity >= threshold
    matches: list[DuplicateMatch] = []
    for (u, v), s in zip(pairs[keep].tolist(), similarity[keep].tolist(), strict=True):
        # u holds new items; v may hold new items, existing items or both.
        for i in new_members[u]:
            matches.extend(DuplicateMatch(i, "existing", e, "near", s)
                           for e in existing_members[v])
            matches.extend(DuplicateMatch(max(i, j), "new", min(i, j), "near", s)
                           for j in new_members[v])
        for i in new_members[v]:
            matches.extend(DuplicateMatch(i, "existing", e, "near", s)
                           for e in existing_members[u])
    return matches
