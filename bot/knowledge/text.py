"""Text normalisation and tokens for search and language identification.

People type on phones in a hurry: missing accents, Arabic without hamza, Russian ё as е,
Vietnamese without diacritics, mixed scripts, zero-width and direction marks. Folding all
of that away and matching on character n-grams as well as words makes a typo or a
different word ending still share most of its tokens with the content.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
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
# Marks a word (or a stretch of Han characters) that a negation cue governs: its tokens
# differ from the plain word's, so "not an emergency" and "emergency" stop matching.
NEGATED = "!"
# A number a teenager's age could be ("I'm 16", "my son is 13", "ولدي عمره ١٣") also
# counts as this one word, so any such age matches the phrasings that give another.
TEEN_AGES = (10, 17)
TEEN_NUMBER = "w:#teen"
# Han text has no spaces: a cue governs this many characters after it.
HAN_SCOPE = 4
# A fused negation cue is read as one only before a word at least this long.
FUSED_MIN_LETTERS = 4


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


def is_han(word: str) -> bool:
    return bool(_IS_HAN.match(word))


@dataclass(frozen=True, slots=True)
class Negation:
    """A language's negation cues ("not", "no", "pas", "不是", "لا" …) and how many words
    after a cue it governs. Content and messages are marked the same way, so a negated
    mention matches negated phrasings ("it is not an emergency" the non-emergency
    topic) and never the plain word."""

    cues: frozenset[str] = frozenset()
    scope: int = 0
    # Cues that follow what they negate (Somali "degdeg ah maaha", "is not urgent").
    cues_after: frozenset[str] = frozenset()
    # Cues written fused to the word they negate (Russian "неэкстренный", English
    # "nonemergency"): such a word is read as the rest negated when the rest is a word
    # of its own (`unfused`).
    prefixes: frozenset[str] = frozenset()

    def unfused(self, words: list[str], known: frozenset[str]) -> list[str]:
        """`words` with each word made of a fused cue and a `known` word of
        FUSED_MIN_LETTERS or more letters written as that word, negated."""
        if not self.prefixes:
            return words
        return [self._unfused(word, known) for word in words]

    def _unfused(self, word: str, known: frozenset[str]) -> str:
        for prefix in self.prefixes:
            rest = word[len(prefix) :]
            if word.startswith(prefix) and len(rest) >= FUSED_MIN_LETTERS and rest in known:
                return NEGATED + rest
        return word

    def mark(self, words: list[str]) -> list[str]:
        """`words` with every word a cue governs prefixed by NEGATED (Han: the
        characters after a cue inside a run become a run of their own)."""
        if not self.scope or not (self.cues or self.cues_after):
            return words
        if self.cues_after:
            words = self._mark_before_cues(words)
        marked: list[str] = []
        left = 0  # words still governed by the last cue
        for word in words:
            if is_han(word):
                marked.extend(self._mark_han(word))
                left = 0
            elif word in self.cues:
                marked.append(word)
                left = self.scope
            elif left:
                marked.append(word if word.startswith(NEGATED) else NEGATED + word)
                left -= 1
            else:
                marked.append(word)
        return marked

    def _mark_before_cues(self, words: list[str]) -> list[str]:
        marked = list(words)
        for at, word in enumerate(words):
            if word in self.cues_after:
                for before in range(max(0, at - self.scope), at):
                    if not marked[before].startswith(NEGATED) and marked[before] not in self.cues:
                        marked[before] = NEGATED + marked[before]
        return marked

    def _mark_han(self, run: str) -> list[str]:
        # Longest first: "不是" before "不".
        han_cues = sorted((cue for cue in self.cues if is_han(cue)), key=len, reverse=True)
        pieces: list[str] = []
        start = 0
        at = 0
        while at < len(run):
            cue = next((c for c in han_cues if run.startswith(c, at)), None)
            if cue is None:
                at += 1
                continue
            end = at + len(cue)
            pieces.append(run[start:end])
            governed = run[end : end + HAN_SCOPE]
            if governed:
                pieces.append(NEGATED + governed)
            start = at = end + len(governed)
        pieces.append(run[start:])
        return [piece for piece in pieces if piece]

    def governs(self, before: list[str], after: list[str]) -> bool:
        """A cue stands within scope before a phrase (the words `before` it) or, for
        cues that follow, after it: "he is not following me" is no danger."""
        return any(word in self.cues for word in before[max(0, len(before) - self.scope) :]) or any(
            word in self.cues_after for word in after[: self.scope]
        )

    def governs_han(self, text: str, offset: int) -> bool:
        """A Han cue ends within HAN_SCOPE characters before `text[offset]`."""
        window = text[max(0, offset - HAN_SCOPE - 2) : offset]
        return any(is_han(cue) and cue in window for cue in self.cues)


@dataclass(frozen=True, slots=True)
class Romanization:
    """How a language is typed in Latin letters (Russian "translit": "nozh" for "нож"),
    as (Latin, native) pairs, most specific first. Messages typed that way are spelled
    back into the native script before the search, and the language guess learns the
    romanized form of the content, so "u dveri muzhik s nozhom" reads as Russian."""

    pairs: tuple[tuple[str, str], ...] = ()

    def spell_back(self, words: list[str], known: AbstractSet[str]) -> list[str]:
        """A message typed in Latin letters spelled in the native script, word by word. A
        message that already holds native-script words is left as typed: its Latin
        words are the English terms people mix in ("badge number не видел"), which the
        content holds in Latin letters too. In a wholly Latin message, a word the
        content (`known`) holds as typed and not in its native spelling stays as typed
        too: in "ICE stuchat v dver" "ICE" is the agency the Russian content names in
        Latin letters, and "ице" is no word of it."""
        if not self.pairs or not all(word.isascii() for word in words):
            return words
        return [self._spelled(word, known) for word in words]

    def _spelled(self, word: str, known: AbstractSet[str]) -> str:
        native = self.native(word)
        return word if word in known and native not in known else native

    def native(self, word: str) -> str:
        """A Latin-letter word spelled in the native script (longest match first);
        anything else is returned as it is."""
        if not self.pairs or not word.isascii() or not word.isalpha():
            return word
        spelled: list[str] = []
        at = 0
        while at < len(word):
            for latin, native in self.pairs:
                if word.startswith(latin, at):
                    spelled.append(native)
                    at += len(latin)
                    break
            else:
                spelled.append(word[at])
                at += 1
        return "".join(spelled)

    def latin(self, text: str) -> str:
        """Native text in Latin letters, the first spelling listed for each letter."""
        table: dict[str, str] = {}
        for latin, native in self.pairs:
            if len(native) == 1:
                table.setdefault(native, latin)
        return "".join(table.get(ch, ch) for ch in text)


def tokens(text: str) -> list[str]:
    """Search tokens: word pairs, whole words and character n-grams (Han: characters and
    character pairs)."""
    return word_tokens(runs(text))


def word_tokens(words: list[str]) -> list[str]:
    """`tokens` of a message already split by `runs` (a search splits it once)."""
    found: list[str] = []
    # Word pairs keep phrases ("search warrant", "poner queja") apart from their words.
    found.extend(f"b:{a} {b}" for a, b in pairwise(words) if not is_han(a.lstrip(NEGATED)))
    for word in words:
        negated = word.startswith(NEGATED)
        run = word[1:] if negated else word
        start = len(found)
        if is_han(run):
            found.extend(run)
            found.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            found.append("w:" + run)
            if run.isdigit() and TEEN_AGES[0] <= int(run) <= TEEN_AGES[1]:
                found.append(TEEN_NUMBER)
            padded = f"<{run}>"
            for size in NGRAM_SIZES:
                if len(padded) > size:
                    found.extend(padded[i : i + size] for i in range(len(padded) - size + 1))
        # Every token of a negated word is marked; the search reads a marked character
        # n-gram as the plain one unless the content uses it negated for other topics
        # than plain (`search.contrasting_negations`).
        if negated:
            found[start:] = [NEGATED + term for term in found[start:]]
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
