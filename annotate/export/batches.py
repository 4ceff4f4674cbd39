"""Rows in batches: serialised as JSONL lines and Arrow record batches, assigned to splits by
story. This is what a converting process (this one, or a worker) hands the writers."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import orjson

from newsgold.annotate.dataset import SPLITS, arrow_schema
from newsgold.annotate.export.controls import RegionCensus, newsgold_config
from newsgold.annotate.export.report import DEFAULT_RATIOS, DEFAULT_SEED, ExportReport
from newsgold.annotate.export.rows import Row, TaskIdentities, rows_from_gold, rows_from_ls_tasks
from newsgold.annotate.formats.labelstudio import iter_ls_export_file
from newsgold.annotate.schema import Schema
from newsgold.annotate.stories import TermCounts, term_counts
from newsgold.annotate.studio.agreement import several_annotators
from newsgold.annotate.studio.lsformat import LabelingConfig

BATCH = 256  # tasks (or rows) per batch; also the rows of every record batch and row group written


@dataclass
class Batch:
    """Rows serialised as JSONL lines, by split, with the same rows as Arrow record batches."""

    lines: dict[str, list[bytes]] = field(default_factory=lambda: {name: [] for name in SPLITS})
    tables: dict = field(default_factory=dict)  # split -> the same rows as an Arrow RecordBatch
    problems: list[bytes] = field(default_factory=list)
    staged: "Staged | None" = None  # the rows without a story id
    documents: int = 0  # rows
    tasks: int = 0  # tasks (or gold documents) read for them, also those that gave no row
    identities: list = field(
        default_factory=list
    )  # the tasks' (id, text digest, task, gave a row): rows.TaskIdentities


@dataclass(frozen=True)
class Staged:
    """Rows without a story id, whose split waits for the story grouping (`export.write`): their
    ids, JSONL lines (story_id null), the same rows as an Arrow RecordBatch, and the counts of
    the terms of their texts (`stories.term_counts`, so that the texts need not be kept)."""

    ids: list[str]
    lines: list[bytes]
    table: object
    terms: TermCounts


@dataclass(frozen=True)
class Conversion:
    """Everything a converting process needs besides the tasks."""

    labels: tuple[str, ...]
    tag_names: tuple[str, ...]
    policy: str
    users: dict
    seed: int
    ratios: tuple[float, float, float]
    arrow_schema: object  # `dataset.arrow_schema()`
    batch: int = BATCH  # rows per batch, and per record batch and row group written
    config: LabelingConfig | None = None  # how to read Label Studio regions (None: newsgold's own config)
    label_map: dict = field(default_factory=dict)  # a gold file's label -> a schema label ("O" leaves it out)
    schema: Schema | None = None  # the schema: with `[events]`, the rows get their events (`rows.build_row`)


def conversion(
    schema: Schema,
    policy: str = "latest",
    users: dict | None = None,
    seed: int = DEFAULT_SEED,
    ratios: tuple[float, float, float] = DEFAULT_RATIOS,
    config: LabelingConfig | None = None,
    label_map: dict | None = None,
) -> Conversion:
    """How to convert an export: the resolution policy, user names, split seed and ratios, the
    labeling config its regions are read with (default: the one newsgold generates), and the
    label names of a gold file to map onto the schema."""
    return Conversion(
        schema.label_names,
        schema.tag_names,
        policy,
        users or {},
        seed,
        ratios,
        arrow_schema(schema),
        BATCH,
        config or newsgold_config(schema),
        dict(label_map or {}),
        schema,
    )


def split_of(story_id: str, seed: int, ratios: tuple[float, float, float]) -> str:
    """The split of a story: a point in [0, 1) hashed from the seed and the story id."""
    digest = hashlib.sha256(f"{seed}:{story_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64
    edge = 0.0
    for name, ratio in zip(SPLITS, ratios):
        edge += ratio
        if point < edge:
            return name
    return SPLITS[-1]


def assign_split(
    row: dict, seed: int, ratios: tuple[float, float, float], report: ExportReport, tag_names: tuple[str, ...]
) -> str:
    """The split of a row with a story, counted in `report` (`count_rows`, and its events)."""
    split = split_of(row["story_id"], seed, ratios)
    count_rows(report, split, 1, Counter(row["ner_tags"]).items(), tag_names)  # counted in C: thousands of tokens
    report.count_events(split, row.get("events"))
    return split


def count_rows(
    report: ExportReport, split: str, rows: int, tags: Iterable[tuple[int, int]], tag_names: tuple[str, ...]
) -> None:
    """Count `rows` rows in `split` of `report`, with the entities of their IOB2 tags, given as
    (tag id into `tag_names`, how many): what a tagger trains on, not the spans left out of the tags."""
    report.split_counts[split] += rows
    counts = report.label_counts[split]
    for tag, n in tags:
        if n and tag_names[tag].startswith("B-"):
            counts[tag_names[tag][2:]] += n


def serialise(rows: Iterable[Row], conversion: Conversion, report: ExportReport) -> Batch:
    """Rows into one batch of JSONL lines, assigned to splits by story, counted in `report`."""
    tag_ids = {name: i for i, name in enumerate(conversion.tag_names)}
    batch = Batch()
    by_split: dict[str, list[dict]] = {}
    staged, staged_lines = [], []
    for row, found in rows:
        for problem in found:
            batch.problems.append(orjson.dumps(problem) + b"\n")
            report.problems += problem["kind"] != "repaired"
            report.problem_kinds[problem["kind"]] += 1
        if row is None:
            continue
        row["ner_tags"] = list(map(tag_ids.__getitem__, row["ner_tags"]))
        row["story_id"] = row["story_id"] or None
        line = orjson.dumps(row, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n"
        batch.documents += 1
        report.documents += 1
        if row["story_id"]:
            split = assign_split(row, conversion.seed, conversion.ratios, report, conversion.tag_names)
            batch.lines[split].append(line)
            by_split.setdefault(split, []).append(row)
        else:
            staged.append(row)
            staged_lines.append(line)
    if staged:
        batch.staged = Staged(
            [row["id"] for row in staged],
            staged_lines,
            record_batch(staged, conversion.arrow_schema),
            term_counts(row["text"] for row in staged),
        )
    batch.tables = {name: record_batch(rows, conversion.arrow_schema) for name, rows in by_split.items()}
    return batch


def _list_column(lengths: list[int], values, field_type):
    import pyarrow as pa

    offsets = np.zeros(len(lengths) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), values, type=field_type)


def record_batch(rows: list[dict], schema):
    """Rows as one Arrow RecordBatch of `schema`. The per-token columns (tokens, token offsets,
    tags) are built flat, one array for the whole batch, instead of one Python list per row: the
    bulk of a row, converted several times faster."""
    import pyarrow as pa

    columns = []
    for field_ in schema:
        name = field_.name
        if name == "token_offsets":
            pairs = [np.asarray(row[name], dtype=np.int32).reshape(-1, 2) for row in rows]
            flat = np.concatenate(pairs).reshape(-1) if pairs else np.empty(0, dtype=np.int32)
            values = pa.FixedSizeListArray.from_arrays(pa.array(flat, type=pa.int32()), 2)
            columns.append(_list_column([len(p) for p in pairs], values, field_.type))
        elif name in ("tokens", "ner_tags"):
            flat = pa.array(list(chain.from_iterable(row[name] for row in rows)), type=field_.type.value_type)
            columns.append(_list_column([len(row[name]) for row in rows], flat, field_.type))
        else:
            columns.append(pa.array([row[name] for row in rows], type=field_.type))
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def batches_from_gold(path: Path, fmt: str, conversion: Conversion, report: ExportReport) -> Iterator[Batch]:
    """The documents of a gold file in format `fmt` (`annotate.formats`), in batches."""
    rows = rows_from_gold(
        path, fmt, list(conversion.labels), report, conversion.label_map, conversion.config.relations, conversion.schema
    )
    for chunk in _chunks(rows, conversion.batch):
        batch = serialise(chunk, conversion, report)
        batch.tasks = len(chunk)
        yield batch


def task_batches(
    path: Path,
    region: tuple[int, int | None],
    conversion: Conversion,
    report: ExportReport,
    several: list[dict],
    census: RegionCensus | None = None,
) -> Iterator[Batch]:
    """The tasks of one region of an export file, converted in batches of BATCH; the tasks with
    several annotators are added to `several` (for the agreement), their regions to `census`."""
    identities = TaskIdentities()  # one row per document, one text per id, across the region's chunks
    for chunk in _chunks(iter_ls_export_file(path, *region), conversion.batch):
        several += filter(several_annotators, chunk)
        if census is not None:
            census.add(chunk)
        rows = rows_from_ls_tasks(
            chunk,
            list(conversion.labels),
            conversion.policy,
            conversion.users,
            report,
            conversion.config,
            identities,
            conversion.schema,
        )
        batch = serialise(rows, conversion, report)
        batch.tasks = len(chunk)
        batch.identities, identities.seen = identities.seen, []
        yield batch
