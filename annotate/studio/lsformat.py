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
from dataclasses import dataclass, field
from functools import partial
from itertools import accumulate
from typing import Mapping

from newsgold.annotate.schema import LS_LABELS_NAME, LS_TEXT_NAME
from newsgold.annotate.spans import Relation, Span, relation_faults, span_labels
from newsgold.annotate.studio.tasks import _kind, _safe

REPAIR_WINDOW = 20  # characters either side searched for a span whose offsets drifted


_new_span = partial(tuple.__new__, Span)  # Span(*fields) without the keyword handling: ~80 per task


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


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


@dataclass(frozen=True)
class Problem:
    """A region that could not be taken as it is: what, where, and what was done."""

    # repaired | misaligned | offset-mismatch | bad-offsets | empty | multi-label | overlap | left-out |
    # unknown-control | unknown-label | not-a-span | bad-shape (a region, or a whole task: `task_fault`) |
    # unlabeled-relation | undirected-relation | the relation faults of `spans.RELATION_FAULTS`
    kind: str
    span: dict
    detail: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "span": self.span, "detail": self.detail}


@dataclass(frozen=True)
class LabelingConfig:
    """What a project's labeling config lets annotators draw, in newsgold's terms: its span
    controls (`Labels` name → the labels it offers, None: any), the `Text` object they label and
    the task data fields that may hold its text (the first present wins), how its label and
    relation names map onto the schema's, and the schema's span labels and relation types (name
    -> the labels it joins, `Schema.relation_ends`) that regions are checked against (None: not
    checked)."""

    controls: Mapping[str, frozenset[str] | None]
    text: str = LS_TEXT_NAME
    fields: tuple[str, ...] = (LS_TEXT_NAME,)
    label_map: Mapping[str, str] = field(default_factory=dict)
    labels: frozenset[str] | None = None
    relations: Mapping[str, tuple[str, str]] | None = None  # type -> (from label, to label)

    def annotated_labels(self, schema_labels) -> list[str]:
        """The schema labels (in schema order) an annotation could carry: the labels the
        controls offer, after mapping; every schema label where a control offers any."""
        if any(offered is None for offered in self.controls.values()):
            return list(schema_labels)
        offered = {self.label_map.get(label, label) for labels in self.controls.values() for label in labels}
        return [label for label in schema_labels if label in offered]

    def task_text(self, data: dict) -> str | None:
        return next((data[name] for name in self.fields if isinstance(data.get(name), str)), None)


NEWSGOLD_CONFIG = LabelingConfig({LS_LABELS_NAME: None})  # the config newsgold generates, unchecked


LEAVE_OUT = "O"  # a label map target: regions (or relations) of that label are left out, and listed


def from_ls_result(
    text: str, result: list[dict], config: LabelingConfig = NEWSGOLD_CONFIG
) -> tuple[list[Span], list[Relation], list[Problem]]:
    """Spans and relations of one annotation's `result`, with the problems found.

    Regions are read as `config` says (its controls, label map and schema); every region that
    is not returned as a span or relation is returned as a problem. Problems of kind `repaired`
    are informational (the span is kept, at its repaired offsets: drifted, padded with
    whitespace, or given as integer strings); the others name regions left out.
    """
    spans: list[Span] = []
    links: list[dict] = []
    problems: list[Problem] = []
    table = _utf16_offsets(text) if result else None
    back = None if table is None else {u: i for i, u in enumerate(table)}
    controls, label_map, known, size = config.controls, config.label_map, config.labels, len(text)
    for region in result:
        if not isinstance(region, dict):
            problems.append(Problem("not-a-span", {"region": repr(region)[:200]}, "a region that is not a JSON object"))
            continue
        kind = region.get("type")
        if kind != "labels":
            if kind == "relation":
                links.append(region)
            else:
                problems.append(
                    Problem(
                        "not-a-span",
                        _described(region),
                        f"a {kind!r} region of control "
                        f"{region.get('from_name')!r} is not a labelled text span; left out",
                    )
                )
            continue
        control = region.get("from_name")
        if not isinstance(control, str) or control not in controls or region.get("to_name") != config.text:
            problems.append(_unknown_control(region, config))
            continue
        value = region.get("value")
        if not isinstance(value, dict):
            problems.append(
                Problem(
                    "bad-shape",
                    _described(region),
                    f"the region's value is {_kind(value)}, not an object with start, end, text and labels; left out",
                )
            )
            continue
        labels = value.get("labels") or []
        if not isinstance(labels, list) or len(labels) != 1:
            detail = (
                f"{len(labels)} labels on one region; the schema allows one"
                if isinstance(labels, list)
                else f"labels is {labels!r}, not a list of one label; fix the region"
            )
            problems.append(Problem("multi-label", _described(region), detail))
            continue
        label = label_map.get(labels[0], labels[0]) if isinstance(labels[0], str) else repr(labels[0])
        if known is not None and label not in known:
            left_out = label == LEAVE_OUT
            problems.append(
                _left_out(_described(region), labels[0]) if left_out else _unknown_label(region, label, known)
            )
            continue
        start, end, expected = value.get("start"), value.get("end"), value.get("text")
        coerced = type(start) is not int or type(end) is not int
        if coerced:
            start, end = _integer(start), _integer(end)
        if back is not None:
            start, end = back.get(start), back.get(end)
        if not coerced and start is not None and end is not None and 0 <= start < end <= size:
            found = text[start:end]
            if (expected is None or found == expected) and not (found[0].isspace() or found[-1].isspace()):
                spans.append(_new_span((start, end, label, found, None, str(region.get("id")))))
                continue
        # the slow path: something is off with this region
        span, problem = _slow_region(text, region, label, start, end, expected, coerced)
        problems.append(problem)
        if span is not None:
            spans.append(span)
    return spans, _relations(links, spans, config, problems), problems


def _described(region: dict) -> dict:
    value = region.get("value")
    value = value if isinstance(value, dict) else {}
    return {
        "id": _safe(region.get("id")),
        "from_name": _safe(region.get("from_name")),
        **{k: _safe(value.get(k)) for k in ("start", "end", "text", "labels")},
    }


def _unknown_control(region: dict, config: LabelingConfig) -> Problem:
    offered = ", ".join(sorted(config.controls))
    return Problem(
        "unknown-control",
        _described(region),
        f"control {region.get('from_name')!r} over {region.get('to_name')!r} is not one of the labeling "
        f"config's Labels controls over {config.text!r} ({offered}); left out",
    )


def _unknown_label(region: dict, label, known: frozenset[str]) -> Problem:
    return Problem(
        "unknown-label",
        _described(region),
        f"label {label!r} is not in the schema ({', '.join(sorted(known))}); left out: map it with "
        f"--label-map {label}=LABEL",
    )


def _left_out(described: dict, label: str) -> Problem:
    return Problem("left-out", described, f"label {label!r} is mapped to {LEAVE_OUT} (--label-map): left out as asked")


_WHOLE_NUMBER = re.compile(r"\s*[0-9]+\s*")  # ASCII digits: str.isdigit also takes "²", which int() refuses


def whole_number(value) -> int | None:
    """An offset given as an int or as a whole number written in digits, as an int; None
    otherwise (booleans, fractions, other text)."""
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value):
        return int(value)
    return value if type(value) is int else None


def _integer(offset) -> int | None:
    """An offset given as an integer string or an integral float, as an int; None otherwise."""
    if isinstance(offset, float) and offset.is_integer():
        return int(offset)
    return whole_number(offset)


def _slow_region(
    text: str, region: dict, label: str, start: int | None, end: int | None, expected, coerced: bool
) -> tuple[Span | None, Problem]:
    """The span of a region that the fast path could not take as it is, and the problem to
    list: what was repaired (the span is kept), or why the region is left out (no span)."""
    described = _described(region)
    if start is None or end is None or min(start, end) < 0 or max(start, end) >= 1 << 53:  # not offsets at all
        return None, Problem(
            "bad-offsets",
            described,
            f"offsets start={described['start']!r} end="
            f"{described['end']!r} are not character offsets in the text; fix the region",
        )
    if start >= end:
        return None, Problem("empty", described, f"region [{start}, {end}) is empty; delete it in Label Studio")
    repairs = ["offsets given as strings, read as integers"] if coerced else []
    inside = 0 <= start < end <= len(text)
    if not inside or (expected is not None and text[start:end] != expected):
        repaired = _repair(text, expected, start, end)
        if repaired is None:
            found = text[start:end] if inside else f"outside the text (length {len(text)})"
            return None, Problem(
                "offset-mismatch",
                described,
                f"text[{start}:{end}] is {found!r}, the region says {expected!r}; fix the region in Label Studio",
            )
        start, end = repaired, repaired + len(expected)
        repairs.append(f"moved to [{start}, {end})")
    found = text[start:end]
    lead, trail = len(found) - len(found.lstrip()), len(found) - len(found.rstrip())
    if lead == len(found):
        return None, Problem("empty", described, "region holds only whitespace; delete it in Label Studio")
    if lead or trail:
        start, end = start + lead, end - trail
        repairs.append(f"surrounding whitespace trimmed to [{start}, {end})")
    span = Span(start, end, label, text[start:end], None, str(region.get("id")))
    return span, Problem("repaired", described, "; ".join(repairs))


DIRECTIONS = ("right", "left", "bi")  # a Label Studio relation's arrow: from → to, to → from, both


def _relations(links: list[dict], spans: list[Span], config: LabelingConfig, problems: list[Problem]) -> list[Relation]:
    """The relations between spans of the annotation; the others are added to `problems`.

    A Label Studio relation's arrow is its `direction`: "right" (or none) from `from_id` to
    `to_id`, "left" the other way round (read as such: head `to_id`, tail `from_id`). "bi" (both
    ways) says no direction, so it is taken only where exactly one orientation is a relation of
    the schema (listed as `repaired`, naming it); else it is left out, listed. Every relation
    then goes through the one relation validator (`spans.relation_faults`)."""
    relations = []
    labels_by_id = span_labels(spans)
    for region in links:
        labels, direction = region.get("labels") or [], region.get("direction", "right")
        direction = "right" if direction is None else direction  # Label Studio's default: from → to
        head, tail = str(region.get("from_id")), str(region.get("to_id"))
        described = {
            "id": _safe(region.get("id")),
            "from_id": _safe(region.get("from_id")),
            "to_id": _safe(region.get("to_id")),
            "direction": _safe(region.get("direction")),
            "labels": _safe(labels),
        }
        if not isinstance(labels, list) or len(labels) != 1 or not isinstance(labels[0], str):
            problems.append(
                Problem(
                    "unlabeled-relation",
                    described,
                    f"relation has labels {_safe(labels)!r}, not one relation type; left out",
                )
            )
            continue
        if direction not in DIRECTIONS:
            problems.append(
                Problem(
                    "bad-shape",
                    described,
                    f"relation direction {_safe(direction)!r} is not one of {', '.join(DIRECTIONS)}; left out",
                )
            )
            continue
        label = config.label_map.get(labels[0], labels[0])
        if label == LEAVE_OUT:
            problems.append(_left_out(described, labels[0]))
            continue
        relation = Relation(tail, head, label) if direction == "left" else Relation(head, tail, label)
        described.update(relation.to_dict())  # the relation as read: head → tail
        kept, faults = relation_faults([relation], labels_by_id, config.relations)
        if direction == "bi":  # taken only where exactly one orientation fits the schema
            turned, _ = relation_faults([Relation(tail, head, label)], labels_by_id, config.relations)
            if config.relations is None or (kept and turned):
                why = (
                    "the schema's relation types are not checked here"
                    if config.relations is None
                    else "both orientations fit the schema"
                )
                problems.append(
                    Problem(
                        "undirected-relation",
                        described,
                        f"relation {label!r} {head} ↔ {tail} is "
                        f"drawn both ways (direction bi) and {why}; left out: give it one "
                        "direction in Label Studio",
                    )
                )
                continue
            if turned:
                kept, faults = turned, []
            if kept:
                problems.append(
                    Problem(
                        "repaired",
                        described,
                        f"direction bi read as {kept[0].head} → "
                        f"{kept[0].tail}, the one orientation relation type {label!r} allows",
                    )
                )
        if faults:
            problems.append(Problem(faults[0].kind, described, f"{faults[0].message}; left out"))
        else:
            relations.extend(kept)
    return relations


def _repair(text: str, expected: str | None, start: int | None, end: int | None) -> int | None:
    """The start of `expected` when it occurs exactly once near where the region says it is."""
    if not expected or not isinstance(expected, str) or start is None:
        return None
    low = max(0, start - REPAIR_WINDOW)
    window = text[low : (end or start) + REPAIR_WINDOW + len(expected)]
    first = window.find(expected)
    if first == -1 or window.find(expected, first + 1) != -1:
        return None
    return low + first
