"""Events: who did what, where and how many, as records built from spans and relations.

The schema's `[events] trigger` names the label of the spans that name an event (ACTION). Each
trigger span of a document is one event record, in span order; its roles are the relation types
that start from the trigger label (`Schema.event_roles`: agent, place, quantity), each a list of
the spans the trigger links to by that relation; an argument of label L carries, per relation of
`Schema.argument_links[L]` (COUNT: counts), the spans it links to:

    {"id": "s3", "trigger": SPAN, "agent": [ARG], "place": [ARG], "quantity": [ARG + {"counts": [SPAN]}]}

with SPAN and ARG `{"id", "start", "end", "label", "text"}` (character offsets, end exclusive).
The records are a view of the relations, built by one pure function (`events_of`) for the
dataset's `events` column, the scores and the guidelines' worked example (`example_markdown`).
A relation is used only where both of its ends are spans (one span per id) of the labels its
type joins: whatever the readers let through, an impossible link never becomes an argument.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from newsgold.annotate.errors import SchemaError
from newsgold.annotate.spans import Relation, Span

_EVENT_KEYS = ("trigger", "example")
# Keys of an event record and of a span in it: a role or a link cannot take their names.
_EVENT_RECORD_KEYS = ("id", "trigger")
_SPAN_KEYS = ("id", "start", "end", "label", "text")


def _span(span) -> dict:
    """A span (a `Span` or its dict) as an event record carries it: id, start, end, label, text."""
    if isinstance(span, Span):
        span = span.to_dict()
    return {
        "id": None if span.get("id") is None else str(span["id"]),
        "start": int(span["start"]),
        "end": int(span["end"]),
        "label": str(span["label"]),
        "text": str(span["text"]),
    }


def _triple(relation) -> tuple[str, str, str]:
    if isinstance(relation, Relation):
        return relation.head, relation.tail, relation.label
    return str(relation["head"]), str(relation["tail"]), str(relation["label"])


def events_of(spans: Iterable, relations: Iterable, schema) -> list[dict]:
    """The event records of one document (module docstring): one per span of the schema's
    trigger label, in span order (start, end), with the arguments of each role and the links of
    each argument in span order. `spans` and `relations` are `Span`/`Relation`s or their dicts;
    `schema` a `Schema` (none without `[events]`)."""
    trigger = schema.event_trigger
    if trigger is None:
        return []
    ordered = sorted((_span(s) for s in spans), key=lambda s: (s["start"], s["end"]))
    by_id: dict[str, dict | None] = {}
    for span in ordered:
        if span["id"] is not None:  # an id several spans share names none of them
            by_id[span["id"]] = None if span["id"] in by_id else span
    rank = {id(span): i for i, span in enumerate(ordered)}
    ends = {r.name: (r.head, r.tail) for r in schema.relations}
    linked: dict[tuple[str, str], list[dict]] = {}  # (head id, relation) -> tail spans
    for head_id, tail_id, label in dict.fromkeys(map(_triple, relations)):
        head, tail = by_id.get(head_id), by_id.get(tail_id)
        if (
            label in ends
            and head is not None
            and tail is not None
            and head is not tail
            and (head["label"], tail["label"]) == ends[label]
        ):
            linked.setdefault((head_id, label), []).append(tail)
    for found in linked.values():
        found.sort(key=lambda s: rank[id(s)])
    links = schema.argument_links

    def argument(span: dict) -> dict:
        return {
            **span,
            **{name: [dict(t) for t in linked.get((span["id"], name), [])] for name in links.get(span["label"], [])},
        }

    records = []
    for span in ordered:
        if span["label"] != trigger:
            continue
        record = {"id": span["id"], "trigger": dict(span)}
        for role in schema.event_roles:
            record[role.name] = [argument(t) for t in linked.get((span["id"], role.name), [])]
        records.append(record)
    return records


def argument_count(record: dict, schema) -> int:
    """The arguments of an event record, over all roles."""
    return sum(len(record[role.name]) for role in schema.event_roles)


# ---------------------------------------------------------------------------- the schema's [events]


def parse_events(raw, schema, path: Path):
    """`[events]` of a schema file: the trigger label (a span label), and the worked example if
    given (`_example`). The names of the trigger's relations become keys of the event record,
    and those of the arguments' links keys of an argument, so none may be a key they hold already."""
    from dataclasses import replace

    from newsgold.annotate.schema import _known_keys, _require

    if not isinstance(raw, dict):
        raise SchemaError(f"{path}: key 'events' must be a table ([events])")
    _known_keys(raw, _EVENT_KEYS, path, "events.")
    trigger = _require(raw, "trigger", str, path, "events.")
    if trigger not in schema.label_names:
        raise SchemaError(
            f"{path}: key 'events.trigger' names unknown label {trigger!r}; use one of {', '.join(schema.label_names)}"
        )
    viewed = replace(schema, event_trigger=trigger)
    for role in viewed.event_roles:
        if role.name in _EVENT_RECORD_KEYS:
            raise SchemaError(
                f"{path}: relation {role.name!r} starts from the trigger {trigger} and so names a role "
                f"of the event record, which has a key {role.name!r} already; rename the relation"
            )
    role_tails = {role.tail for role in viewed.event_roles}
    for label, names in viewed.argument_links.items():
        for name in names:
            if label in role_tails and name in _SPAN_KEYS:
                raise SchemaError(
                    f"{path}: relation {name!r} starts from {label}, an argument label, and so names a "
                    f"list of each {label} argument, which has a key {name!r} already; rename the relation"
                )
    example = _example(raw["example"], viewed, path) if "example" in raw else None
    return trigger, example


def _example(raw, schema, path: Path):
    """`[events.example]`: `text`, `trigger` (its text in `text`), then per role (every one) and
    per link of an argument label (any) the text or texts of the spans it joins, each in `text`."""
    from newsgold.annotate.schema import EventExample, _known_keys, _require

    where = "events.example."
    if not isinstance(raw, dict):
        raise SchemaError(f"{path}: key 'events.example' must be a table ([events.example])")
    roles = schema.event_roles
    names = tuple(r.name for r in schema.relations if r in roles or r.head in {role.tail for role in roles})
    _known_keys(raw, ("text", "trigger", *names), path, where)
    text = _require(raw, "text", str, path, where)
    trigger = _require(raw, "trigger", str, path, where)
    for role in roles:
        if role.name not in raw:
            raise SchemaError(
                f"{path}: key '{where}{role.name}' is missing; the example shows every role of an "
                f"event: add the text of its {role.tail}"
            )
    arguments = []
    for key in ("trigger", *names):
        if key not in raw:
            continue
        value = raw[key]
        texts = [value] if isinstance(value, str) else value
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t.strip() for t in texts):
            raise SchemaError(f"{path}: key '{where}{key}' must be a text or a list of texts, got {value!r}")
        for found in texts:
            if found not in text:
                raise SchemaError(
                    f"{path}: key '{where}{key}' is {found!r}, which is not in the example's text "
                    f"{text!r}; quote the text exactly"
                )
        if key != "trigger":
            arguments.append((key, tuple(texts)))
    return EventExample(text, trigger, tuple(arguments))


# ---------------------------------------------------------------------------- the worked example


def example_document(schema) -> tuple[str, list[Span], list[Relation], str]:
    """The worked example as a document: its text, spans, relations and the trigger's span id. From `[events.example]`
    (each text found at its first place in the sentence), else from the labels' first examples
    joined into a line (a trigger, one argument per role, one link per argument label)."""
    roles = schema.event_roles
    by_name = {r.name: r for r in schema.relations}
    example = schema.event_example
    if example is not None:
        text, trigger_text, arguments = example.text, example.trigger, dict(example.arguments)
    else:

        def first(label: str) -> str:
            found = next(item for item in schema.labels if item.name == label)
            return found.examples[0] if found.examples else label.lower()

        trigger_text = first(schema.event_trigger)
        arguments = {role.name: (first(role.tail),) for role in roles}
        arguments.update(
            {name: (first(by_name[name].tail),) for role in roles for name in schema.argument_links.get(role.tail, [])}
        )
        text = " … ".join(dict.fromkeys([trigger_text, *(t for texts in arguments.values() for t in texts)]))
    spans: dict[tuple[str, str], Span] = {}

    def span(found: str, label: str) -> Span:
        if (found, label) not in spans:
            start = text.index(found)
            spans[(found, label)] = Span(start, start + len(found), label, found)
        return spans[(found, label)]

    trigger = span(trigger_text, schema.event_trigger)
    triples = []
    for role in roles:
        for found in arguments.get(role.name, ()):
            triples.append((trigger, span(found, role.tail), role.name))
    for role in roles:
        for name in schema.argument_links.get(role.tail, []):
            heads = [tail for _, tail, r in triples if r == role.name]
            for found in arguments.get(name, ()):
                triples += [(head, span(found, by_name[name].tail), name) for head in heads]
    ordered = sorted(spans.values(), key=lambda s: (s.start, s.end))
    ids = {s: f"s{i}" for i, s in enumerate(ordered, start=1)}
    relations = list(dict.fromkeys(Relation(ids[h], ids[t], name) for h, t, name in triples))
    return text, [s._replace(id=ids[s]) for s in ordered], relations, ids[trigger]


def example_markdown(schema) -> list[str]:
    """The guidelines' section on events: the worked example, the relation to draw for each role
    and link, and the record the dataset's `events` column holds for it (`events_of`)."""
    if schema.event_trigger is None:
        return []
    text, spans, relations, trigger_id = example_document(schema)
    by_id = {s.id: s for s in spans}
    by_name = {r.name: r for r in schema.relations}
    trigger = by_id[trigger_id]
    out = [
        "",
        "## An event, worked through",
        "",
        f"Each **{schema.event_trigger}** span is one event. Its arguments are the relations drawn from it"
        + (f" ({', '.join(f'`{r.name}`' for r in schema.event_roles)})" if schema.event_roles else "")
        + "; in Label Studio, draw each one from the "
        f"{schema.event_trigger} span to the argument's span and choose the relation's type.",
        "",
        f"> {text}",
        "",
        "| role | draw | from → to | span |",
        "|---|---|---|---|",
        f"| trigger | (the span) | {schema.event_trigger} | `{trigger.text}` |",
    ]
    for relation in relations:
        kind = by_name[relation.label]
        head, tail = by_id[relation.head], by_id[relation.tail]
        role = relation.label if kind in schema.event_roles else f"on `{head.text}`"
        out.append(f"| {role} | `{relation.label}` | {kind.head} `{head.text}` → {kind.tail} | `{tail.text}` |")
    if schema.event_example is None:
        out += ["", "(Built from the labels' examples: a schema's `[events.example]` gives a real sentence.)"]
    record = next(r for r in events_of(spans, relations, schema) if r["id"] == trigger_id)
    fields = [f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}" for key, value in record.items()]
    out += [
        "",
        "The dataset's `events` column holds this event as:",
        "",
        "```json",
        "{",
        ",\n".join(fields),
        "}",
        "```",
    ]
    return out
