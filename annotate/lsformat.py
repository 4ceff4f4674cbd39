"""Label Studio's result JSON ⇄ newsgold spans and relations (pure functions, no SDK).

Label Studio's web UI counts offsets in UTF-16 code units (JavaScript strings); Python counts
code points. The two differ only after a character outside the Basic Multilingual Plane (an
emoji), so offsets are converted both ways and the texts stay checked: every span coming back
must satisfy `text[start:end] == value.text`. Where it does not, the span is repaired only when
the evidence is unambiguous (its text occurs exactly once within a small window), the repair is
recorded, and everything else is reported — never guessed silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from itertools import accumulate

from newsgold.annotate.schema import LS_LABELS_NAME, LS_TEXT_NAME
from newsgold.annotate.spans import Relation, Span

DOC_ID_FIELD = "newsgold_id"  # the task data field that carries our document id
REPAIR_WINDOW = 20  # characters either side searched for a span whose offsets drifted
_new_span = partial(tuple.__new__, Span)  # Span(*fields) without the keyword handling: ~80 per task


_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


def _utf16_offsets(text: str) -> list[int] | None:
    """UTF-16 offset of every code point position (len(text)+1 entries), or None when the
    two counts agree (no character outside the Basic Multilingual Plane: nearly every text)."""
    if text.isascii() or not _ASTRAL.search(text):
        return None
    return [0, *accumulate(2 if ord(c) > 0xFFFF else 1 for c in text)]


def to_utf16(offsets: list[int], table: list[int] | None) -> list[int]:
    """UTF-16 offsets for code point offsets, with `table` from `_utf16_offsets`."""
    return offsets if table is None else [table[o] for o in offsets]


def to_ls_result(text: str, spans, relations=(), scores: bool = True) -> list[dict]:
    """Spans and relations as a Label Studio `result` list (predictions or annotations)."""
    result = []
    table = _utf16_offsets(text)
    for number, span in enumerate(spans, start=1):
        start, end = to_utf16([span.start, span.end], table)
        region = {
            "id": span.id or f"s{number}",
            "from_name": LS_LABELS_NAME,
            "to_name": LS_TEXT_NAME,
            "type": "labels",
            "value": {"start": start, "end": end, "text": span.text, "labels": [span.label]},
        }
        if scores and span.score is not None:
            region["score"] = span.score
        result.append(region)
    for relation in relations:
        result.append(
            {
                "type": "relation",
                "from_id": relation.head,
                "to_id": relation.tail,
                "direction": "right",
                "labels": [relation.label],
            }
        )
    return result


def usable_annotations(annotations: list[dict] | None) -> list[dict]:
    """The annotations of a task that were not cancelled (skipped): the human ones that count."""
    return [a for a in annotations or [] if not a.get("was_cancelled")]


def annotator_name(annotation: dict, users: dict[int, str]) -> str:
    """Who made an annotation: `completed_by` is a user id (named through `users`, id → email)
    in the API and in exports, a user object in some older exports."""
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        return str(who.get("email") or who.get("id"))
    return users.get(who, str(who))


@dataclass(frozen=True)
class Problem:
    """A region that could not be taken as it is: what, where, and what was done."""

    kind: str  # misaligned | offset-mismatch | repaired | multi-label | overlap | unlabeled-relation
    span: dict
    detail: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "span": self.span, "detail": self.detail}


def from_ls_result(text: str, result: list[dict]) -> tuple[list[Span], list[Relation], list[Problem]]:
    """Spans and relations of one annotation's `result`, with the problems found.

    Problems of kind `repaired` are informational (the span is kept, at its repaired offsets);
    the others name regions that are not in the returned spans.
    """
    spans: list[Span] = []
    relations: list[Relation] = []
    problems: list[Problem] = []
    table = _utf16_offsets(text) if result else None
    back = None if table is None else {u: i for i, u in enumerate(table)}
    for region in result:
        kind = region.get("type")
        if kind != "labels":
            if kind == "relation":
                labels = region.get("labels") or []
                if len(labels) != 1:
                    problems.append(Problem("unlabeled-relation", region, f"relation has labels {labels}"))
                    continue
                relations.append(Relation(str(region["from_id"]), str(region["to_id"]), labels[0]))
            continue
        if region.get("from_name") != LS_LABELS_NAME:
            continue
        value = region.get("value", {})
        labels = value.get("labels") or []
        start, end, expected = value.get("start"), value.get("end"), value.get("text")
        if back is not None:
            start, end = back.get(start), back.get(end)
        if len(labels) == 1 and start is not None and end is not None:
            found = text[start:end]
            if expected is None or found == expected:
                spans.append(_new_span((start, end, labels[0], found, None, str(region.get("id")))))
                continue
        # the slow path: something is off with this region
        described = {"id": region.get("id"), **{k: value.get(k) for k in ("start", "end", "text", "labels")}}
        if len(labels) != 1:
            problems.append(
                Problem("multi-label", described, f"{len(labels)} labels on one region; the schema allows one")
            )
            continue
        repaired = _repair(text, expected, start, end)
        if repaired is None:
            found = text[start:end] if start is not None and end is not None else None
            problems.append(
                Problem(
                    "offset-mismatch",
                    described,
                    f"text[{start}:{end}] is {found!r}, the region says {expected!r}; fix the region in Label Studio",
                )
            )
            continue
        problems.append(Problem("repaired", described, f"moved to [{repaired}, {repaired + len(expected)})"))
        start, end = repaired, repaired + len(expected)
        spans.append(Span(start, end, labels[0], text[start:end], None, str(region.get("id"))))
    return spans, relations, problems


def _repair(text: str, expected: str | None, start: int | None, end: int | None) -> int | None:
    """The start of `expected` when it occurs exactly once near where the region says it is."""
    if not expected or start is None:
        return None
    low = max(0, start - REPAIR_WINDOW)
    window = text[low : (end or start) + REPAIR_WINDOW + len(expected)]
    first = window.find(expected)
    if first == -1 or window.find(expected, first + 1) != -1:
        return None
    return low + first
