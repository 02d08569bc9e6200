"""Text normalisation and tokens for search and language identification.

People type on phones in a hurry: missing accents, Arabic without hamza, Russian ё as е,
Vietnamese without diacritics, mixed scripts, zero-width and direction marks. Folding all
of that away and matching on character n-grams as well as words makes a typo or a
different word ending still share most of its tokens with the content.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import pairwise

import numpy as np

# Invisible characters a platform can deliver: zero-width, bidi controls, BOM, surrogates.
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")
# Letters that accent stripping (NFD + drop marks) does not reach.
_FOLD = str.maketrans(
    {
        "đ": "d",
        "ð": "d",
        "ø": "o",
        "ł": "l",
        "æ": "ae",
        "œ": "oe",
        "ß": "ss",
        "ё": "е",
        "й": "и",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ؤ": "و",
        "ئ": "ي",
        "ـ": "",
        "'": "",
        "’": "",
        "`": "",
    }
)
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{_HAN}]+|[^\W{_HAN}]+")
_IS_HAN = re.compile(rf"[{_HAN}]")
_WORDS = re.compile(r"\w+")
NGRAM_SIZES = (3, 4)


def normalize(text: str) -> str:
    """Casefold, strip accents and invisible characters, unify letter variants."""
    text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.translate(_FOLD)
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped)


def runs(text: str) -> list[str]:
    """Word runs of the normalised text; Han characters form runs of their own."""
    return _RUNS.findall(normalize(text).replace("_", " "))


def tokens(text: str) -> list[str]:
    """Search tokens: word pairs, whole words and character n-grams (Han: characters and
    character pairs)."""
    return word_tokens(runs(text))


def word_tokens(words: list[str]) -> list[str]:
    """`tokens` of a message already split by `runs` (a search splits it once)."""
    found: list[str] = []
    # Word pairs keep phrases ("search warrant", "poner queja") apart from their words.
    found.extend(f"b:{a} {b}" for a, b in pairwise(words) if not _IS_HAN.match(a))
    for run in words:
        if _IS_HAN.match(run):
            found.extend(run)
            found.extend(run[i : i + 2] for i in range(len(run) - 1))
            continue
        found.append("w:" + run)
        padded = f"<{run}>"
        for size in NGRAM_SIZES:
            if len(padded) > size:
                found.extend(padded[i : i + size] for i in range(len(padded) - size + 1))
    return found


def language_features(text: str) -> np.ndarray:
    """Character 1-3-grams across word boundaries (accents kept: they identify languages),
    each packed into one integer: code points are below 2**21 and never 0, so a 3-gram
    is three 21-bit fields and 1-, 2- and 3-grams never share a code. Integers let the
    language model count and look them up with numpy instead of a dict of strings."""
    cleaned = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text).casefold())
    padded = " " + " ".join(_WORDS.findall(cleaned)) + " "
    points = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    pairs = (points[:-1] << 21) | points[1:]
    triples = (pairs[:-1] << 21) | points[2:]
    return np.concatenate([points, pairs, triples])
