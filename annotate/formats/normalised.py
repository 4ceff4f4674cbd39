"""A text normalised like `documents.normalize_text`, with every raw offset carried into it
(`Normalised`): how a gold file's spans keep their place when its text is normalised."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from typing import Iterator

from newsgold.annotate.documents import normalize_text

_SAME, _MERGED, _DROPPED = 0, 1, 2  # a piece of raw text kept as it is, changed as a whole, removed
_CHUNK = 1024  # characters normalised at a time; only a chunk that NFC changes is looked at closely


@cache
def _composes_backwards() -> frozenset[str]:
    """Starters that NFC can merge into the character before them: the second character of a
    two-character canonical decomposition (Indic vowel signs, for instance) and the Hangul
    vowel and final jamo (composed algorithmically)."""
    found = {chr(cp) for cp in (*range(0x1161, 0x1176), *range(0x11A8, 0x11C3))}
    for cp in range(0x110000):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            second = chr(int(parts[1], 16))
            if not unicodedata.combining(second):
                found.add(second)
    return frozenset(found)


def _stable_start(char: str) -> bool:
    """Whether NFC leaves a boundary before `char` in place: `char` neither combines with nor
    reorders around what precedes it."""
    if char < "\u0300":  # Basic Latin to Latin Extended-B: all stable
        return True
    first = unicodedata.normalize("NFD", char)[0]
    backwards = _composes_backwards()
    return not (unicodedata.combining(char) or unicodedata.combining(first) or char in backwards or first in backwards)


def _segments(run: str) -> Iterator[str]:
    """`run` cut before every character NFC leaves a boundary before."""
    start = 0
    for i in range(1, len(run)):
        if _stable_start(run[i]):
            yield run[start:i]
            start = i
    yield run[start:]


@dataclass(frozen=True)
class Normalised:
    """A text normalised like `documents.normalize_text`, with the map from raw offsets to
    normalised ones. The raw text is cut into pieces, each kept as it is, changed as a whole (a
    CRLF pair, a base letter and the accents NFC composes with it) or removed (a byte-order
    mark); an offset inside a piece changed as a whole has no normalised counterpart."""

    text: str
    raw_starts: tuple[int, ...] = ()  # raw start of each piece; no pieces: the text is unchanged
    norm_starts: tuple[int, ...] = ()  # its start in the normalised text before trimming
    kinds: tuple[int, ...] = ()
    trimmed: int = 0  # whitespace removed from the front after NFC

    @classmethod
    def of(cls, raw: str) -> "Normalised":
        text = normalize_text(raw)
        if text == raw:
            return cls(text)
        pieces: list[tuple[int, str, int]] = []  # raw start, normalised piece, kind

        def add(start: int, piece: str, kind: int) -> None:
            if kind == _SAME and pieces and pieces[-1][2] == _SAME:  # one piece for a stretch kept as it is
                pieces[-1] = (pieces[-1][0], pieces[-1][1] + piece, _SAME)
            else:
                pieces.append((start, piece, kind))

        body = raw.lstrip("\ufeff")
        if len(body) < len(raw):
            add(0, "", _DROPPED)
        at = len(raw) - len(body)
        for match in re.finditer(r"\r\n?|[^\r]+", body):
            part, start = match.group(), at + match.start()
            if part[0] == "\r":
                add(start, "\n", _SAME if part == "\r" else _MERGED)
                continue
            for chunk_start, chunk in [(0, part)] if part.isascii() else _chunks(part):
                offset = start + chunk_start
                if unicodedata.normalize("NFC", chunk) == chunk:
                    add(offset, chunk, _SAME)
                    continue
                for segment in _segments(chunk):
                    nfc = unicodedata.normalize("NFC", segment)
                    add(offset, nfc, _SAME if nfc == segment else _MERGED)
                    offset += len(segment)
        untrimmed = "".join(piece for _, piece, _ in pieces)
        if untrimmed.strip() != text:  # a composition the cuts did not foresee: carry no inner offset
            pieces, untrimmed = [(0, text, _MERGED)], text
        pieces.append((len(raw), "", _SAME))  # the end of the text
        norm_starts, position = [], 0
        for _, piece, _ in pieces:
            norm_starts.append(position)
            position += len(piece)
        trimmed = len(untrimmed) - len(untrimmed.lstrip())
        return cls(text, tuple(p[0] for p in pieces), tuple(norm_starts), tuple(p[2] for p in pieces), trimmed)

    def offset(self, raw: int) -> int | None:
        """The normalised offset of the raw offset `raw`, or None inside a piece changed as a
        whole. Offsets in whitespace trimmed away go to the nearest end of the text."""
        if not self.raw_starts:
            return raw
        i = bisect_right(self.raw_starts, raw) - 1
        inside = raw - self.raw_starts[i]
        if inside and self.kinds[i] == _MERGED:
            return None
        position = self.norm_starts[i] + (inside if self.kinds[i] == _SAME else 0)
        return min(max(position - self.trimmed, 0), len(self.text))

    def carry(self, start: int, end: int) -> tuple[int, int] | str:
        """The normalised offsets of the raw span [start, end), or why it cannot be carried."""
        edges = self.offset(start), self.offset(end)
        if None in edges:
            return (
                "an edge falls inside a character sequence that normalisation merges "
                "(a CRLF pair, or a letter and its combining accents)"
            )
        if edges[0] >= edges[1]:
            return "it covers only characters normalisation removes (whitespace at the ends, a byte-order mark)"
        return edges


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """`text` in chunks of about _CHUNK characters, each cut before a stable character."""
    start = 0
    while start < len(text):
        end = min(start + _CHUNK, len(text))
        while end < len(text) and not _stable_start(text[end]):
            end += 1
        yield start, text[start:end]
        start = end
