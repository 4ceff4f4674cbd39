"""Which regions of a Label Studio export are spans, and which schema labels they could carry.

A project newsgold did not create names its controls its own way (`<Labels name="ner"
toName="content">`), may have several `Labels` controls, and labels of its own (PER, WEAPON).
The export reads the project's own labeling config (a live project's, or `--config FILE.xml`),
or else infers it from the regions of the export file; a label map (`--label-map OLD=NEW`)
renames its labels and relation types onto the schema's, or leaves them out (`OLD=O`). A label
the map brings neither onto the schema nor to `O` is refused, naming it, before anything is
written. The result, a `LabelingConfig`, tells
`from_ls_result` which regions to read, and the rows which labels a document is gold for
(`annotated_labels`): only those the config offers, so a label nobody could draw is never
claimed as "annotated: nothing here".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from newsgold.annotate.export.report import ExportError
from newsgold.annotate.formats.labelstudio import iter_ls_export_file
from newsgold.annotate.schema import LS_LABELS_NAME, LS_TEXT_NAME, Schema
from newsgold.annotate.studio.lsformat import LEAVE_OUT, LabelingConfig
from newsgold.annotate.studio.tasks import DOC_ID_FIELD

LabelMap = Mapping[str, str]


def read_label_map(items: Iterable[str | Path]) -> dict[str, str]:
    """A label map from `OLD=NEW` items and files of such lines (one a line; blank lines and
    lines starting with `#` are skipped): an item naming an existing file is read as one."""
    mapping: dict[str, str] = {}
    for item in items:
        if Path(item).is_file():
            try:
                lines = Path(item).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise ExportError(
                    f"label map {item}: cannot be read ({exc}); give a UTF-8 file of OLD=NEW lines"
                ) from None
            pairs = [
                (f"label map {item} line {n}", line.strip())
                for n, line in enumerate(lines, 1)
                if line.strip() and not line.lstrip().startswith("#")
            ]
        else:
            pairs = [(f"label map {str(item)!r}", str(item))]
        for where, pair in pairs:
            old, sep, new = (part.strip() for part in pair.partition("="))
            if not (old and sep and new):
                raise ExportError(
                    f"{where}: {pair!r} is neither OLD=NEW nor an existing file; write it as "
                    "PER=ACTOR, or give a file of such lines"
                )
            if mapping.setdefault(old, new) != new:
                raise ExportError(f"{where}: {old} is mapped to both {mapping[old]} and {new}; keep one")
    return mapping


def as_label_map(label_map: LabelMap | str | Path | None, schema: Schema) -> dict[str, str]:
    """A label map (a mapping, or a file of OLD=NEW lines) whose targets are schema labels,
    relation types, or LEAVE_OUT (`O`: regions or relations of that name are left out, listed)."""
    if label_map is None:
        return {}
    mapping = read_label_map([label_map]) if isinstance(label_map, (str, Path)) else dict(label_map)
    targets = {*schema.label_names, *(r.name for r in schema.relations), LEAVE_OUT}
    for old, new in mapping.items():
        if new not in targets:
            relations = ", ".join(r.name for r in schema.relations) or "none"
            raise ExportError(
                f"label map {old}={new}: {new} is neither a schema label "
                f"({', '.join(schema.label_names)}) nor a relation type ({relations}); "
                f"map {old} to one of them, or to {LEAVE_OUT} to leave it out"
            )
    return mapping


def newsgold_config(schema: Schema, label_map: LabelMap | None = None) -> LabelingConfig:
    """The config newsgold generates from `schema`, checked against it."""
    return LabelingConfig(
        {LS_LABELS_NAME: None},
        LS_TEXT_NAME,
        (LS_TEXT_NAME,),
        dict(label_map or {}),
        frozenset(schema.label_names),
        schema.relation_ends,
    )


def config_from_xml(xml: str, source: str, schema: Schema, label_map: LabelMap) -> tuple[LabelingConfig, list[str]]:
    """The `LabelingConfig` of a project's labeling config (XML), and notes for the user;
    refused when the config offers a label the label map does not bring onto the schema."""
    from newsgold.annotate.studio.client import span_controls

    controls, texts = span_controls(xml, source)
    over_text = {name: labels for name, (targets, labels) in controls.items() if set(targets) & texts.keys()}
    targets = sorted({t for name in over_text for t in controls[name][0] if t in texts})
    if not targets:
        raise ExportError(
            f"{source}: the labeling config has no Labels control over a Text object; newsgold "
            "exports labelled spans of a text"
        )
    if len(targets) > 1:
        raise ExportError(
            f"{source}: the labeling config labels several Text objects ({', '.join(targets)}); "
            "newsgold exports one text per document: export a project with one"
        )
    value = texts[targets[0]]
    if not value.startswith("$"):
        raise ExportError(
            f"{source}: Text {targets[0]!r} shows the fixed value {value!r}, not a task field "
            "($field); export a project whose Text shows its tasks' text"
        )
    offered = {name: frozenset(labels) for name, labels in over_text.items()}
    config = _config(offered, targets[0], (value[1:],), schema, label_map)
    outside = _outside(config, offered, schema)
    if outside:
        raise ExportError(f"{source}: its labeling config offers {_listed(outside)}, {_fix(outside, schema)}")
    return config, _notes(config, offered, schema, source)


@dataclass
class RegionCensus:
    """The labelled regions of an export's annotations, counted as its tasks are read: the
    labels each (control, text object) uses, where each label is used first, and whether any
    task is newsgold's (`newsgold_id`)."""

    seen: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (control, text object) -> labels used
    first: dict[str, str] = field(default_factory=dict)  # label -> the task and region that use it first
    newsgold_tasks: bool = False

    def add(self, tasks: Iterable[dict]) -> None:
        """Count the labelled regions (type `labels`, of a named control over a named object) of
        the annotations of `tasks`; a region is looked at in one loop, with no call per region."""
        seen, first = self.seen, self.first
        for task in tasks:
            data = task.get("data")
            self.newsgold_tasks = self.newsgold_tasks or (isinstance(data, dict) and DOC_ID_FIELD in data)
            for result in _results(task):
                for region in result:
                    if not isinstance(region, dict) or region.get("type") != "labels":
                        continue
                    value, control, target = region.get("value"), region.get("from_name"), region.get("to_name")
                    if not (isinstance(value, dict) and isinstance(control, str) and isinstance(target, str)):
                        continue
                    labels = value.get("labels")
                    used = seen.setdefault((control, target), set())
                    for label in labels if isinstance(labels, list) else ():
                        if isinstance(label, str) and label not in used:  # most regions: labels seen before
                            used.add(label)
                            if label not in first:
                                first[label] = f"task {task.get('id')} region {region.get('id')}"

    def absorb(self, later: "RegionCensus") -> None:
        """Add the census of the tasks that follow this one's in the file."""
        for key, labels in later.seen.items():
            self.seen.setdefault(key, set()).update(labels)
        for label, where in later.first.items():
            self.first.setdefault(label, where)
        self.newsgold_tasks = self.newsgold_tasks or later.newsgold_tasks


def config_from_regions(
    path: Path, schema: Schema, label_map: LabelMap, tasks: int | None = None
) -> tuple[LabelingConfig, list[str]]:
    """The `LabelingConfig` of an export file without its labeling config, inferred from the
    labelled regions of its annotations (of its first `tasks` only, if given; see
    `config_from_census`)."""
    census = RegionCensus()
    census.add(islice(iter_ls_export_file(path), tasks))
    return config_from_census(census, path, schema, label_map)


def config_from_census(
    census: RegionCensus, path: Path, schema: Schema, label_map: LabelMap
) -> tuple[LabelingConfig, list[str]]:
    """The `LabelingConfig` of the regions counted in `census` (of the export file `path`):
    each control offers the labels its regions use. A file of newsgold tasks (`newsgold_id`)
    whose regions are all of newsgold's own control is read with the config newsgold generates
    (every schema label offered, used or not). Refused when a region's label is not brought
    onto the schema by the label map, naming its task and region."""
    seen, first = census.seen, census.first
    notes = []
    if not seen or (census.newsgold_tasks and set(seen) == {(LS_LABELS_NAME, LS_TEXT_NAME)}):
        config = newsgold_config(schema, label_map)
        offered = {LS_LABELS_NAME: frozenset(seen.get((LS_LABELS_NAME, LS_TEXT_NAME), ()))}
    else:
        texts = sorted({text for _, text in seen})
        if len(texts) > 1:
            raise ExportError(
                f"{path}: its regions label several texts ({', '.join(texts)}); newsgold exports one text per document"
            )
        offered = {name: frozenset(labels) for (name, _), labels in seen.items()}
        config = _config(offered, texts[0], tuple(dict.fromkeys((texts[0], LS_TEXT_NAME))), schema, label_map)
        described = "; ".join(f"{name}: {', '.join(sorted(labels))}" for name, labels in sorted(offered.items()))
        notes.append(
            f"{path}: without --config, the labels each control offers are read from the regions "
            f"({described}); give --config with the project's labeling config if it offers more"
        )
    outside = _outside(config, offered, schema)
    if outside:
        raise ExportError(f"{path}: {first[outside[0]]} has {_listed(outside)}, {_fix(outside, schema)}")
    return config, notes + _notes(config, offered, schema, str(path))


def _results(task: dict) -> Iterator[list]:
    """The `result` lists of a task's annotations."""
    annotations = task.get("annotations")
    for annotation in annotations if isinstance(annotations, list) else ():
        result = annotation.get("result") if isinstance(annotation, dict) else None
        if isinstance(result, list):
            yield result


def _config(
    offered: dict[str, frozenset[str]], text: str, fields: tuple[str, ...], schema: Schema, label_map: LabelMap
) -> LabelingConfig:
    return LabelingConfig(offered, text, fields, dict(label_map), frozenset(schema.label_names), schema.relation_ends)


def _outside(config: LabelingConfig, offered: Mapping[str, frozenset[str]], schema: Schema) -> list[str]:
    """The labels offered that the label map brings neither onto the schema nor to LEAVE_OUT."""
    names = sorted({label for labels in offered.values() for label in labels})
    return [label for label in names if config.label_map.get(label, label) not in (*schema.label_names, LEAVE_OUT)]


def _listed(labels: list[str]) -> str:
    return f"label {labels[0]!r}" + (f" (and {', '.join(labels[1:])})" if labels[1:] else "")


def _fix(labels: list[str], schema: Schema) -> str:
    return (
        f"not in the schema ({', '.join(schema.label_names)}); map it with --label-map {labels[0]}=LABEL, "
        f"or leave it out with --label-map {labels[0]}={LEAVE_OUT}"
    )


def _notes(config: LabelingConfig, offered: Mapping[str, frozenset[str]], schema: Schema, source: str) -> list[str]:
    """What the user should know: label-map entries nothing uses, schema labels the documents
    are not gold for; refused when no schema label is left."""
    notes = []
    names = {label for labels in offered.values() for label in labels}
    unused = sorted(
        old for old, new in config.label_map.items() if old not in names and new in (*schema.label_names, LEAVE_OUT)
    )
    if unused:
        notes.append(f"label map: {source} has no label {', '.join(unused)}; check the names")
    gold = config.annotated_labels(schema.label_names)
    if not gold:
        raise ExportError(
            f"{source}: no label is left once the label map is applied; map at least one onto the "
            f"schema ({', '.join(schema.label_names)})"
        )
    if len(gold) < len(schema.label_names):
        missing = [label for label in schema.label_names if label not in gold]
        notes.append(
            f"documents are gold for {', '.join(gold)} only (annotated_labels): the labeling config "
            f"offers no {', '.join(missing)}"
        )
    return notes
