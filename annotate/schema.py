"""The labeling schema: loaded from `schema/*.toml` and turned into everything else.

From one file we generate the Label Studio labeling config, the annotator guidelines, the IOB2
tags of the dataset's features (`annotate.dataset`) and a stable schema hash.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import tomllib
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from pathlib import Path
from xml.sax.saxutils import quoteattr

from newsgold.annotate.errors import SchemaError
from newsgold.annotate.spans import iob_tags

SCHEMA_ENV = "NEWSGOLD_SCHEMA"

# Names used inside the generated Label Studio config; export and push rely on them.
LS_TEXT_NAME = "text"
LS_LABELS_NAME = "label"

_LABEL_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
# Names a label cannot have: its IOB2 tags (`spans.iob_tags`) or a label map would read it as something else.
_RESERVED_LABELS = {"O": "it is the IOB2 tag outside every span, and --label-map OLD=O leaves a label out"}
_RELATION_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
# The keys a schema file may hold, at the top, in each [[labels]] and in each [[relations]] table.
_KEYS = ("name", "version", "description", "guidelines", "labels", "relations", "events")
_LABEL_KEYS = ("name", "description", "color", "hotkey", "examples")
_RELATION_KEYS = ("name", "from", "to", "description")


@dataclass(frozen=True)
class SpanLabel:
    name: str
    description: str
    color: str
    hotkey: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class RelationType:
    name: str
    head: str  # label of the span the relation starts from
    tail: str  # label of the span it points to
    description: str


@dataclass(frozen=True)
class EventExample:
    """The worked example of an event the guidelines show (`[events.example]`): a sentence, the
    text of its trigger, and per role or argument link (a relation name) the texts of the spans
    it joins (`annotate.events.example_record` finds them in the sentence)."""

    text: str
    trigger: str
    arguments: tuple[tuple[str, tuple[str, ...]], ...]  # relation name -> texts, in the file's order


@dataclass(frozen=True)
class Schema:
    name: str
    version: str
    description: str
    labels: tuple[SpanLabel, ...]
    relations: tuple[RelationType, ...]
    guidelines: str
    path: Path
    # `[events] trigger`: the label of the spans that name an event (None: the schema has no
    # events, and the dataset no `events` column); a view of the relations, not hashed
    event_trigger: str | None = None
    event_example: EventExample | None = None

    @property
    def event_roles(self) -> tuple[RelationType, ...]:
        """The relation types an event's arguments come by: those whose `from` is the trigger
        label, in schema order (each names a role of the event record, `annotate.events`)."""
        if self.event_trigger is None:
            return ()
        return tuple(r for r in self.relations if r.head == self.event_trigger)

    @property
    def argument_links(self) -> dict[str, list[str]]:
        """The other relation types by the label they start from: an argument of that label
        carries, per relation named here, the spans it links to ({"COUNT": ["counts"]})."""
        links: dict[str, list[str]] = {}
        if self.event_trigger is not None:
            for r in self.relations:
                if r.head != self.event_trigger:
                    links.setdefault(r.head, []).append(r.name)
        return links

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.labels)

    @property
    def relation_ends(self) -> dict[str, tuple[str, str]]:
        """Each relation type's name -> the labels of the spans it joins (from, to): what
        `spans.relation_faults` checks every relation against."""
        return {r.name: (r.head, r.tail) for r in self.relations}

    @property
    def tag_names(self) -> tuple[str, ...]:
        """IOB2 tag names in a fixed order: `O`, then B-/I- per label in schema order."""
        return tuple(iob_tags(self.label_names))

    def to_dict(self) -> dict:
        """The schema content that matters for data (no file path)."""
        data = asdict(self)
        data.pop("path")
        for relation in data["relations"]:
            relation["from"] = relation.pop("head")
            relation["to"] = relation.pop("tail")
        trigger, example = data.pop("event_trigger"), data.pop("event_example")
        if trigger is not None:  # as the file says it: [events] trigger, [events.example]
            data["events"] = {"trigger": trigger}
            if example is not None:
                data["events"]["example"] = {
                    "text": example["text"],
                    "trigger": example["trigger"],
                    **{name: list(texts) for name, texts in example["arguments"]},
                }
        return data

    @cached_property
    def hash(self) -> str:
        """A stable hash of labels and relations: changes when the data contract changes.

        Descriptions, colors, hotkeys, examples and guidelines are presentation: editing them
        keeps existing annotations valid, so they are not hashed; nor is `[events]`, a view of
        the relations (which relations give an event's roles).
        """
        contract = {
            "name": self.name,
            "labels": [label.name for label in self.labels],
            "relations": [[r.name, r.head, r.tail] for r in self.relations],
        }
        digest = hashlib.sha256(json.dumps(contract, sort_keys=True).encode()).hexdigest()
        return digest[:16]


def default_schema_path() -> Path:
    """$NEWSGOLD_SCHEMA, else the schema shipped with newsgold (package data of `newsgold.schema`,
    the repository's `schema/` folder)."""
    from importlib.resources import files

    return Path(os.environ.get(SCHEMA_ENV) or str(files("newsgold.schema") / "newsgold.toml"))


def load_schema(path: str | Path | None = None) -> Schema:
    """Read and validate a schema file; raise SchemaError naming file, key and problem."""
    from newsgold.annotate.outputs import check_regular

    path = Path(path) if path is not None else default_schema_path()
    try:
        raw = tomllib.loads(check_regular(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemaError(f"{path}: schema file not found; pass --schema PATH or set {SCHEMA_ENV}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SchemaError(f"{path}: not valid TOML ({exc}); fix the syntax") from None
    return _parse(raw, path)


def _known_keys(raw: dict, known: tuple[str, ...], path: Path, where: str) -> None:
    """Refuse a key the schema does not define (a typo like `lables` or `colour` would otherwise
    be ignored), naming the closest known key."""
    for key in raw:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"the known keys are {', '.join(known)}"
            raise SchemaError(f"{path}: key '{where}{key}' is unknown; {hint}")


def _guidelines(raw: dict, path: Path) -> str:
    """The text of the guidelines file, named relative to the schema file and inside its folder."""
    name = _require(raw, "guidelines", str, path, "")
    folder = path.parent.resolve()
    guidelines_file = (folder / name).resolve()  # an absolute name replaces folder; links resolved
    if not guidelines_file.is_relative_to(folder):
        raise SchemaError(
            f"{path}: key 'guidelines' is {name!r}, which leads outside the schema's folder {folder} "
            f"(to {guidelines_file}); put the guidelines next to the schema and name them relative to it"
        )
    try:
        return guidelines_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        cause = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise SchemaError(
            f"{path}: key 'guidelines' points to {guidelines_file}, which cannot be read "
            f"({cause}); create it or fix the path"
        ) from None


def _require(raw: dict, key: str, kind: type, path: Path, where: str):
    if key not in raw:
        raise SchemaError(f"{path}: key '{where}{key}' is missing; add it")
    value = raw[key]
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise SchemaError(f"{path}: key '{where}{key}' must be a non-empty {kind.__name__}, got {value!r}")
    return value


def _labels(raw_labels: list, path: Path) -> list[SpanLabel]:
    labels: list[SpanLabel] = []
    seen_hotkeys: dict[str, str] = {}
    for i, item in enumerate(raw_labels):
        where = f"labels[{i}]."
        if not isinstance(item, dict):
            raise SchemaError(f"{path}: key 'labels[{i}]' must be a table ([[labels]])")
        _known_keys(item, _LABEL_KEYS, path, where)
        label_name = _require(item, "name", str, path, where)
        if not _LABEL_NAME.match(label_name):
            raise SchemaError(f"{path}: key '{where}name' is {label_name!r}; use upper case letters, digits, _")
        if label_name in _RESERVED_LABELS:
            raise SchemaError(
                f"{path}: key '{where}name' is {label_name!r}, which cannot name a label: {_RESERVED_LABELS[label_name]}; "
                "rename it"
            )
        if label_name in {label.name for label in labels}:
            raise SchemaError(f"{path}: key '{where}name' repeats label {label_name!r}; rename it")
        color = _require(item, "color", str, path, where)
        if not _COLOR.match(color):
            raise SchemaError(f"{path}: key '{where}color' is {color!r}; use a hex color like #1f77b4")
        hotkey = _require(item, "hotkey", str, path, where)
        if len(hotkey) != 1:
            raise SchemaError(f"{path}: key '{where}hotkey' is {hotkey!r}; use a single character")
        if hotkey in seen_hotkeys:
            raise SchemaError(
                f"{path}: key '{where}hotkey' {hotkey!r} is already used by {seen_hotkeys[hotkey]}; pick another key"
            )
        seen_hotkeys[hotkey] = label_name
        examples = item.get("examples", [])
        if not isinstance(examples, list) or not all(isinstance(e, str) for e in examples):
            raise SchemaError(f"{path}: key '{where}examples' must be a list of strings")
        labels.append(
            SpanLabel(
                name=label_name,
                description=_require(item, "description", str, path, where),
                color=color,
                hotkey=hotkey,
                examples=tuple(examples),
            )
        )
    return labels


def _parse(raw: dict, path: Path) -> Schema:
    _known_keys(raw, _KEYS, path, "")
    name = _require(raw, "name", str, path, "")
    version = _require(raw, "version", str, path, "")
    description = raw.get("description", "")
    raw_labels = _require(raw, "labels", list, path, "")
    labels = _labels(raw_labels, path)
    if not labels:
        raise SchemaError(f"{path}: key 'labels' is empty; define at least one [[labels]] table")
    label_names = {label.name for label in labels}

    relations: list[RelationType] = []
    for i, item in enumerate(raw.get("relations", [])):
        where = f"relations[{i}]."
        if not isinstance(item, dict):
            raise SchemaError(f"{path}: key 'relations[{i}]' must be a table ([[relations]])")
        _known_keys(item, _RELATION_KEYS, path, where)
        rel_name = _require(item, "name", str, path, where)
        if not _RELATION_NAME.match(rel_name):
            raise SchemaError(f"{path}: key '{where}name' is {rel_name!r}; use lower case letters, digits, _")
        if rel_name in {r.name for r in relations}:
            raise SchemaError(f"{path}: key '{where}name' repeats relation {rel_name!r}; rename it")
        if rel_name.upper() in label_names:
            raise SchemaError(
                f"{path}: key '{where}name' is {rel_name!r}, which differs from label {rel_name.upper()!r} only in "
                "case; labels and relation types share one --label-map and one Label Studio config: rename it"
            )
        ends = []
        for key in ("from", "to"):
            value = _require(item, key, str, path, where)
            if value not in label_names:
                raise SchemaError(
                    f"{path}: key '{where}{key}' names unknown label {value!r}; "
                    f"use one of {', '.join(sorted(label_names))}"
                )
            ends.append(value)
        relations.append(RelationType(rel_name, ends[0], ends[1], item.get("description", "")))

    guidelines = _guidelines(raw, path) if "guidelines" in raw else ""
    schema = Schema(name, version, description, tuple(labels), tuple(relations), guidelines, path)
    if "events" in raw:
        from newsgold.annotate.events import parse_events

        trigger, example = parse_events(raw["events"], schema, path)
        schema = replace(schema, event_trigger=trigger, event_example=example)
    return schema


def labelstudio_config(schema: Schema) -> str:
    """The Label Studio labeling config: `Labels` and `Relations` over one `Text`."""
    lines = ["<View>"]
    if schema.relations:
        # one type per relation: Label Studio's default (choice="multiple") lets a relation hold several
        lines.append('  <Relations choice="single">')
        for relation in schema.relations:
            lines.append(f"    <Relation value={quoteattr(relation.name)}/>")
        lines.append("  </Relations>")
    lines.append(f'  <Labels name="{LS_LABELS_NAME}" toName="{LS_TEXT_NAME}">')
    for label in schema.labels:
        lines.append(
            f"    <Label value={quoteattr(label.name)} background={quoteattr(label.color)}"
            f" hotkey={quoteattr(label.hotkey)} hint={quoteattr(label.description)}/>"
        )
    lines.append("  </Labels>")
    lines.append(f'  <Text name="{LS_TEXT_NAME}" value="${LS_TEXT_NAME}"/>')
    lines.append("</View>")
    return "\n".join(lines) + "\n"


def guidelines_markdown(schema: Schema) -> str:
    """Annotator guidelines: a generated label/relation summary, then the hand-written text."""
    out = [
        f"# {schema.name} {schema.version}: labels at a glance",
        "",
        schema.description,
        "",
        "| label | hotkey | what it covers | examples |",
        "|---|---|---|---|",
    ]
    for label in schema.labels:
        examples = ", ".join(f"`{e}`" for e in label.examples)
        out.append(f"| **{label.name}** | `{label.hotkey}` | {label.description} | {examples} |")
    if schema.relations:
        out += ["", "| relation | from | to | meaning |", "|---|---|---|---|"]
        for r in schema.relations:
            out.append(f"| `{r.name}` | {r.head} | {r.tail} | {r.description} |")
    if schema.event_trigger is not None:
        from newsgold.annotate.events import example_markdown

        out += example_markdown(schema)
    out += ["", f"Schema hash: `{schema.hash}`", ""]
    if schema.guidelines:
        out += ["", schema.guidelines.rstrip(), ""]
    return "\n".join(out)


def as_schema(schema: "Schema | str | Path | None" = None) -> Schema:
    """`schema` itself when it is a Schema, else the schema loaded from that file (None: the
    default, see `default_schema_path`)."""
    return schema if isinstance(schema, Schema) else load_schema(schema)
