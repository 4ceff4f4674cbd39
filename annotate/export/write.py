"""Writing an export: batches in, a complete dataset folder out, or nothing at all.

The folder is built through `annotate.outputs.output_folder` (kind EXPORT_FOLDER): in a temporary
sibling of `out` renamed into place at the end; on any error (or SIGTERM, which the CLI turns into
an exception) the temporary folder is removed and `out` is left as it was. The folder holds a
marker file, and `force` replaces only a folder with that marker (or the same layout from before
the marker) holding nothing newsgold did not write.
"""

from __future__ import annotations

from itertools import chain
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import orjson

from newsgold.annotate import outputs
from newsgold.annotate.dataset import SPLITS
from newsgold.annotate.dataset import features as dataset_features
from newsgold.annotate.documents import STORY_THRESHOLD
from newsgold.annotate.export.batches import BATCH, Batch, count_rows, split_of
from newsgold.annotate.export.card import dataset_card
from newsgold.annotate.export.report import ExportError, ExportReport
from newsgold.annotate.export.targets import chosen, written_paths
from newsgold.annotate.export.writers import Rebatcher, open_writers
from newsgold.annotate.outputs import FolderKind
from newsgold.annotate.schema import Schema
from newsgold.annotate.stories import StoryStats, TermMatrix, story_ids, uneven_splits

MARKER = ".newsgold-export"
# every name an export folder holds: the marker, card, problems and what every writer writes
# (a folder of an older newsgold has all but the marker)
_WRITTEN = frozenset({MARKER, "README.md", "problems.jsonl"}) | written_paths()


EXPORT_FOLDER = FolderKind(
    what="a dataset folder newsgold exported",
    marker=MARKER,
    written=_WRITTEN,
    legacy=frozenset({"dataset_dict.json"}),
    force=True,
    error=ExportError,
    fix="--force replaces only a folder newsgold exported: move those files or choose another --out",
)


def write_dataset(
    batches: Iterable[Batch],
    schema: Schema,
    report: ExportReport,
    force: bool = False,
    story_threshold: float = STORY_THRESHOLD,
    progress: Callable[[int], None] | None = None,
    batch: int = BATCH,
    max_story: int | None = None,
    inputs: outputs.Inputs = (),
    to=None,
) -> ExportReport:
    """Stream batches into every writer, group the rows that came without a story, write the
    card, and rename the folder into place as `report.out`. A story grouped by content above
    `max_story` documents is regrouped inside at a stricter threshold (`annotate.stories`); a
    largest story suspiciously big, and splits far from the ratios, are said in `report.notes`.
    `out` is refused when it is or holds one of `inputs` (`outputs.check_folder`). `to`: the
    output formats (`annotate.export.targets.chosen`); what a format cannot hold is said in
    `report.notes`."""
    out, source, kinds = Path(report.out), batches, chosen(to)
    try:
        with outputs.output_folder(out, EXPORT_FOLDER, inputs=inputs, force=force) as tmp:
            _fill(tmp, batches, schema, report, story_threshold, progress, batch, max_story, kinds)
    except BaseException:
        close = getattr(source, "close", None)
        if close is not None:  # a generator: stop its workers and remove their spools now
            close()
        raise
    return report


def _fill(
    tmp: Path,
    batches: Iterable[Batch],
    schema: Schema,
    report: ExportReport,
    story_threshold: float,
    progress: Callable[[int], None] | None,
    batch: int,
    max_story: int | None,
    kinds=(),
) -> None:
    """The dataset folder `tmp`: every writer, the problems, the card."""
    # the first batch starts the conversion (and its workers) before `datasets` is imported
    batches = iter(batches)
    first = next(batches, None)
    batches = chain([first] if first is not None else [], batches)
    writers = open_writers(tmp, dataset_features(schema), batch, kinds, schema)
    problems_path = tmp / "problems.jsonl"
    try:
        _stream(batches, writers, tmp, problems_path, report, (story_threshold, max_story), progress, schema.tag_names)
    finally:
        writers.close()
    report.notes += writers.notes()
    uneven = uneven_splits(report.split_counts, report.ratios)
    if uneven:
        report.notes.append(uneven)
    (tmp / "README.md").write_text(dataset_card(schema, report, problems_path), encoding="utf-8")


def _stream(
    batches: Iterable[Batch],
    writers: Rebatcher,
    tmp: Path,
    problems_path: Path,
    report: ExportReport,
    grouping: tuple[float, int | None],
    progress: Callable[[int], None] | None,
    tag_names: tuple[str, ...],
) -> None:
    """Every batch into the writers and the problems file; the rows without a story id wait in
    two staging files (their JSONL lines, and their Arrow record batches), with only their ids
    and term counts in memory, until the story grouping has given them a story and a split."""
    import pyarrow as pa

    lines_path, tables_path = tmp / "rows-without-story.jsonl", tmp / "rows-without-story.arrows"
    ids: list[str] = []
    terms, tables = TermMatrix(), None
    try:
        with open(lines_path, "wb") as staging, open(problems_path, "wb") as problems:
            for batch in batches:
                problems.writelines(batch.problems)
                for name, table in batch.tables.items():
                    writers.add(name, batch.lines[name], table)
                if batch.staged is not None:
                    staged = batch.staged
                    ids += staged.ids
                    staging.writelines(staged.lines)
                    terms.add(staged.terms)
                    if tables is None:
                        tables = pa.ipc.new_stream(tables_path, staged.table.schema)
                    tables.write_batch(staged.table)
                if progress:
                    progress(batch.tasks)
    finally:
        if tables is not None:
            tables.close()
    if ids:  # documents without a story: group them by content now
        stories = story_ids(ids, terms.tfidf(), *grouping)
        stats = StoryStats.of(stories)
        report.grouped = {
            "documents": stats.documents,
            "stories": stats.stories,
            "largest_story": stats.largest,
            "threshold": grouping[0],
            "max_story": grouping[1],
        }
        if stats.chaining():
            report.notes.append(stats.chaining())
        _write_staged(lines_path, tables_path, stories, writers, report, tag_names)
    lines_path.unlink()
    tables_path.unlink(missing_ok=True)


def _write_staged(
    lines_path: Path,
    tables_path: Path,
    stories: list[str],
    writers: Rebatcher,
    report: ExportReport,
    tag_names: tuple[str, ...],
) -> None:
    """The staged rows, in their order, into the writers of their story's split, with their
    story id set in the JSONL line (where the row has `"story_id":null` right after its id)
    and in the Arrow column."""
    import pyarrow as pa

    splits: dict[str, str] = {}
    column = None
    with open(lines_path, "rb") as lines, pa.OSFile(str(tables_path)) as source:
        at = 0
        for table in pa.ipc.open_stream(source):  # read a batch at a time (a mapped file would count whole)
            if column is None:
                column = table.schema.get_field_index("story_id")
            mine = stories[at : at + table.num_rows]
            at += table.num_rows
            staged = [next(lines) for _ in mine]
            table = table.set_column(column, table.schema.field(column), pa.array(mine, pa.string()))
            chosen: dict[str, list[int]] = {}
            for i, story in enumerate(mine):
                split = splits.get(story)
                if split is None:
                    split = splits[story] = split_of(story, report.seed, report.ratios)
                chosen.setdefault(split, []).append(i)
            for split in SPLITS:
                rows = chosen.get(split)
                if not rows:
                    continue
                part = table.take(rows)
                tags = part.column("ner_tags").flatten().to_numpy()
                count_rows(
                    report, split, len(rows), enumerate(np.bincount(tags, minlength=len(tag_names)).tolist()), tag_names
                )
                if "events" in part.schema.names:
                    for events in part.column("events").to_pylist():
                        report.count_events(split, events)
                writers.add(split, [_with_story(staged[i], mine[i]) for i in rows], part)


_NO_STORY = b',"story_id":null,'


def _with_story(line: bytes, story: str) -> bytes:
    """A staged JSONL line with its story id: the first `,"story_id":null,` of a line is the
    row's own key (any quote inside a string value is escaped)."""
    return line.replace(_NO_STORY, b',"story_id":' + orjson.dumps(story) + b",", 1)
