"""A dataset check before training, in the spirit of `spacy debug data`: label counts (entities in
the IOB2 tags, as a tagger sees them), empty documents, spans that do not align with tokens,
relations that cannot hold (the relation validator, `spans.relation_faults`), an `events` column
that is not what `events.events_of` builds from the row's spans and relations, and stories
leaking across splits."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from newsgold.annotate.dataset import open_dataset, require_dataset, rows_of, schema_hash
from newsgold.annotate.events import events_of
from newsgold.annotate.jsonl import iter_jsonl
from newsgold.annotate.schema import Schema, as_schema
from newsgold.annotate.spans import Relation, RelationEnds, relation_faults, span_labels
from newsgold.annotate.stories import StoryStats, uneven_splits


@dataclass
class CheckReport:
    path: Path
    splits: dict = field(default_factory=dict)  # split -> documents
    labels: dict = field(default_factory=dict)  # split -> Counter of entities in ner_tags (B- tags)
    schema_hash: str | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_dataset(path: str | Path, schema: Schema | str | Path | None = None) -> CheckReport:
    """Check an exported dataset against `schema` (default: the default schema)."""
    schema = as_schema(schema)
    path = require_dataset(path)
    dataset = open_dataset(path)
    report = CheckReport(path)
    report.schema_hash = schema_hash(path)
    if report.schema_hash and report.schema_hash != schema.hash:
        report.errors.append(
            f"schema hash {report.schema_hash} of the dataset differs from {schema.hash} of {schema.path}; "
            "export again with the current schema"
        )
    stories: dict[str, set[str]] = {}
    story_sizes: Counter = Counter()
    ids: Counter = Counter()
    relation_types = schema.relation_ends
    for name, split in dataset.items():
        report.splits[name] = len(split)
        names = split.features["ner_tags"].feature.names
        events = schema.event_trigger is not None and "events" in split.column_names
        if schema.event_trigger is not None and not events:
            report.errors.append(f"{name}: no events column, which the schema's [events] asks for; export again")
        elif schema.event_trigger is None and "events" in split.column_names:
            report.warnings.append(
                f"{name}: an events column, which the schema (no [events]) does not build; not checked"
            )
        counts = Counter({n[2:]: 0 for n in names if n.startswith("B-")})  # entities, as a tagger sees them
        for row in rows_of(split, path):
            ids[row["id"]] += 1
            stories.setdefault(row["story_id"], set()).add(name)
            story_sizes[row["story_id"]] += 1
            counts.update(names[t][2:] for t in row["ner_tags"] if names[t].startswith("B-"))
            if not row["tokens"]:
                report.errors.append(f"{name}: document {row['id']} has no tokens")
            elif not row["spans"]:
                report.warnings.append(f"{name}: document {row['id']} has no spans (fine if it truly has none)")
            starts = {s for s, _ in row["token_offsets"]}
            ends = {e for _, e in row["token_offsets"]}
            tagged = sum(1 for t in row["ner_tags"] if names[t].startswith("B-"))
            aligned = [s for s in row["spans"] if s["start"] in starts and s["end"] in ends]
            for span in row["spans"]:
                if span not in aligned:
                    report.warnings.append(
                        f"{name}: document {row['id']} span {span['label']} {span['text']!r} "
                        f"[{span['start']}, {span['end']}) does not align with tokens (listed in problems.jsonl)"
                    )
            if tagged > len(aligned):
                report.errors.append(f"{name}: document {row['id']} has more tagged entities than aligned spans")
            report.errors += _relation_errors(name, row, relation_types)
            if events:
                difference = _events_difference(row, schema)
                if difference:
                    report.errors.append(
                        f"{name}: document {row['id']} events column {difference}; it is built from the "
                        "spans and relations: export again"
                    )
        report.labels[name] = counts
    for story, splits in sorted(stories.items()):
        if len(splits) > 1:
            report.errors.append(f"story {story} leaks across splits {', '.join(sorted(splits))}")
    for doc_id, n in ids.items():
        if n > 1:
            report.errors.append(f"document {doc_id} appears {n} times")
    chaining = StoryStats.of(story_sizes.elements()).chaining()
    uneven = uneven_splits(report.splits, _split_ratios(path))
    report.warnings += [w for w in (chaining, uneven) if w]
    for name, n in report.splits.items():
        if n == 0:
            report.warnings.append(f"split {name} is empty")
    problems = path / "problems.jsonl"
    if problems.exists():
        kinds = Counter(str(record.get("kind")) for _, record in iter_jsonl(problems))
        for kind, n in sorted(kinds.items()):
            report.warnings.append(f"problems.jsonl lists {n} {kind} region(s)")
    return report


def _split_ratios(path: Path) -> tuple[float, ...]:
    """The split ratios the dataset was exported with, from its card (default: 0.8 / 0.1 / 0.1)."""
    import yaml

    card = path / "README.md"
    text = card.read_text(encoding="utf-8") if card.exists() else ""
    if text.startswith("---"):
        try:
            ratios = (yaml.safe_load(text.split("---", 2)[1]) or {}).get("newsgold", {}).get("split_ratios")
        except yaml.YAMLError:
            ratios = None
        if isinstance(ratios, dict) and all(isinstance(r, (int, float)) for r in ratios.values()):
            return tuple(ratios.values())
    return (0.8, 0.1, 0.1)


def _relation_errors(split: str, row: dict, types: RelationEnds) -> list[str]:
    """A row's relations that cannot hold (`spans.relation_faults`): to spans the row does not
    have, from a span to itself, of a type outside the schema, between spans of other labels."""
    relations = [Relation(str(r["head"]), str(r["tail"]), str(r["label"])) for r in row["relations"] or []]
    _, faults = relation_faults(relations, span_labels(row["spans"] or []), types)
    return [
        f"{split}: document {row['id']} {fault.message} ({fault.kind}); fix it at its source and export again"
        for fault in faults
    ]


def _texts(value) -> str:
    """A role's or link's arguments by text, or a span's text, for a one-line message."""
    if isinstance(value, list):
        return "[" + ", ".join(repr(a.get("text")) if isinstance(a, dict) else repr(a) for a in value) + "]"
    if isinstance(value, dict):
        return repr(value.get("text"))
    return repr(value)


def _record_difference(found: dict, built: dict, where: str) -> list[str]:
    """How one event record (or argument) differs from the one built, key by key."""
    out = []
    for key in found.keys() - built.keys():
        out.append(f"{where} has {key!r}, which no relation of the schema builds")
    for key in built.keys() - found.keys():
        out.append(f"{where} lacks {key!r}")
    for key in (k for k in built if k in found and found[k] != built[k]):
        mine, theirs = found[key], built[key]
        if (
            isinstance(mine, list)
            and isinstance(theirs, list)
            and len(mine) == len(theirs)
            and all(isinstance(a, dict) for a in mine)
        ):
            for i, (a, b) in enumerate(zip(mine, theirs)):
                if a != b:
                    out += _record_difference(a, b, f"{where} {key}[{i}] {_texts(b)}")
        elif isinstance(mine, dict) and isinstance(theirs, dict):
            out += _record_difference(mine, theirs, f"{where} {key}")
        else:
            out.append(f"{where} {key} is {_texts(mine)}, the relations give {_texts(theirs)}")
    return out


def _events_difference(row: dict, schema: Schema) -> str | None:
    """How a row's `events` differ from `events_of` its spans and relations (None: they do not),
    record by record (matched by trigger id), in one line."""
    built = events_of(row["spans"] or [], row["relations"] or [], schema)
    found = row["events"]
    if found == built:
        return None
    if not isinstance(found, list) or not all(isinstance(r, dict) for r in found):
        return f"is {found!r}, not a list of event records"
    by_id = {r.get("id"): r for r in found}
    expected = {r["id"]: r for r in built}
    out = [f"lacks the event of {r['trigger']['text']!r} ({i})" for i, r in expected.items() if i not in by_id]
    out += [
        f"has an event {i!r} ({_texts(r.get('trigger'))}) no {schema.event_trigger} span of the row names"
        for i, r in by_id.items()
        if i not in expected
    ]
    if len(by_id) < len(found):
        out.append("repeats an event")
    for i, record in expected.items():
        if i in by_id:
            out += _record_difference(by_id[i], record, f"event {record['trigger']['text']!r} ({i})")
    if not out:
        out.append("holds the events out of span order")
    return "; ".join(out)
