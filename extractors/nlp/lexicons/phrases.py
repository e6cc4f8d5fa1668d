"""Phrase matching on raw text: alphanumeric pieces joined by short joiners, greedy longest match.

A phrase's key is its pieces concatenated, so ``AZD9291``, ``AZD-9291`` and
``AZD 9291`` share the key ``azd9291``; see :mod:`extractors.nlp.lexicons`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_PIECE_RE = re.compile(r"[^\W_]+")
_JOINER_CHARS = frozenset(" \t\n\u00a0\u2009\u202f-\u2010\u2011\u2012\u2013/*_()")
_MAX_JOINER_LEN = 4


def _pieces(text: str) -> list[str]:
    return _PIECE_RE.findall(text)


def phrase_key(text: str, *, case_sensitive: bool = False) -> str:
    """The matching key of a phrase: its alphanumeric pieces concatenated (lowercased unless ``case_sensitive``)."""
    key = "".join(_pieces(text))
    return key if case_sensitive else key.lower()


_JOINER_RE = re.compile(f"[{re.escape(''.join(sorted(_JOINER_CHARS)))}]{{1,{_MAX_JOINER_LEN}}}")


def _is_joiner(sep: str) -> bool:
    return _JOINER_RE.fullmatch(sep) is not None and sep.count("\n") <= 1


@dataclass(frozen=True, slots=True)
class _Split:
    raw: list[str]
    low: list[str]
    starts: list[int]
    ends: list[int]
    joinable: list[bool]


@lru_cache(maxsize=4)
def split_pieces(text: str) -> _Split:
    """Pieces of ``text`` with offsets and whether each may join the next (shared by all rulers)."""
    matches = list(_PIECE_RE.finditer(text))
    raw = [m.group(0) for m in matches]
    starts = [m.start() for m in matches]
    ends = [m.end() for m in matches]
    n = len(raw)
    joinable = [_is_joiner(text[ends[k] : starts[k + 1]]) for k in range(n - 1)] + [False] * min(
        n, 1
    )
    return _Split(raw, [p.lower() for p in raw], starts, ends, joinable)


@dataclass(frozen=True, slots=True)
class PhraseHit(Generic[T]):
    """One match of a :class:`PhraseIndex`: exact character offsets and the matched entry."""

    start: int
    end: int
    value: T


class PhraseIndex(Generic[T]):
    """Dictionary of phrase keys with a greedy longest-match scanner over raw text."""

    def __init__(self) -> None:
        self._cs: dict[str, T] = {}
        self._ci: dict[str, T] = {}
        self._cs_prefix: set[str] = set()
        self._ci_prefix: set[str] = set()
        self.max_pieces = 1

    def __len__(self) -> int:
        return len(self._cs) + len(self._ci)

    def add(self, surface: str, value: T, *, case_sensitive: bool, overwrite: bool = False) -> bool:
        """Add ``surface`` (returns False when the key exists and ``overwrite`` is off)."""
        pieces = _pieces(surface)
        if not pieces:
            return False
        if not case_sensitive:
            pieces = [p.lower() for p in pieces]
        table, prefixes = (
            (self._cs, self._cs_prefix) if case_sensitive else (self._ci, self._ci_prefix)
        )
        key = "".join(pieces)
        # prefixes are per surface: "IGF-1R" and "IGF1R" share a key but not a split
        acc = ""
        for p in pieces[:-1]:
            acc += p
            prefixes.add(acc)
        self.max_pieces = max(self.max_pieces, len(pieces))
        if key in table and not overwrite:
            return False
        table[key] = value
        return True

    def get(self, text: str) -> T | None:
        """Exact lookup of a whole phrase (case-sensitive table first)."""
        key = phrase_key(text, case_sensitive=True)
        if key in self._cs:
            return self._cs[key]
        return self._ci.get(key.lower())

    def scan(self, text: str) -> list[PhraseHit[T]]:
        """All greedy longest, non-overlapping matches in ``text`` with exact character offsets."""
        sp = split_pieces(text)
        raw, low, starts, ends, joinable = sp.raw, sp.low, sp.starts, sp.ends, sp.joinable
        n = len(raw)
        cs, ci, csp, cip = self._cs, self._ci, self._cs_prefix, self._ci_prefix
        maxp = self.max_pieces
        out: list[PhraseHit[T]] = []
        i = 0
        while i < n:
            best_j = -1
            best_v: Any = None
            cs_key = ""
            ci_key = ""
            cs_alive = ci_alive = True
            j = i
            while True:
                if cs_alive:
                    cs_key += raw[j]
                    v = cs.get(cs_key)
                    if v is not None:
                        best_j, best_v = j, v
                    cs_alive = cs_key in csp
                if ci_alive:
                    ci_key += low[j]
                    v = ci.get(ci_key)
                    if v is not None and j > best_j:
                        best_j, best_v = j, v
                    ci_alive = ci_key in cip
                if not (cs_alive or ci_alive) or not joinable[j] or j + 1 >= n or j - i + 1 >= maxp:
                    break
                j += 1
            if best_j >= 0:
                out.append(PhraseHit(starts[i], ends[best_j], best_v))
                i = best_j + 1
            else:
                i += 1
        return out
