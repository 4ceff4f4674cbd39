"""Writing an export: batches in, a complete dataset folder out, or nothing at all.

The folder is built in a temporary sibling of `out` and renamed into place at the end; on any
error (or SIGTERM, which the CLI turns into an exception) the temporary folder is removed and
`out` is left as it was. The folder holds a marker file, and `force` replaces only a folder with
that marker (or the same layout from before the marker) holding nothing newsgold did not write.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from itertools import chain
from pathlib import Path
from typing import Callable, Iterable

import orjson

from newsgold.annotate.dataset import SPLITS, arrow_schema, features as dataset_features
from newsgold.annotate.documents import STORY_THRESHOLD, group_stories, make_document
from newsgold.annotate.export.batches import BATCH, Batch, assign_split, record_batch
from newsgold.annotate.export.card import dataset_card
from newsgold.annotate.export.report import ExportError, ExportReport
from newsgold.annotate.export.writers import Rebatcher, open_writers
from newsgold.annotate.schema import Schema
from newsgold.annotate.stories import StoryStats, uneven_splits


MARKER = ".newsgold-export"
# every name an export folder holds (a folder of an older newsgold has all but the marker)
_WRITTEN = frozenset({MARKER, "README.md", "problems.jsonl", "dataset_dict.json", "jsonl", "parquet", *SPLITS})


def replaceable(out: Path) -> str | None:
    """Why `force` may not replace the existing `out`, or None when newsgold wrote it."""
    if out.is_symlink() or not out.is_dir():
        return f"{out} is {'a symbolic link' if out.is_symlink() else 'not a folder'}"
    names = {entry.name for entry in out.iterdir()}
    foreign = sorted(names - _WRITTEN)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        return f"{out} holds files newsgold did not write ({shown})"
    if MARKER not in names and "dataset_dict.json" not in names:
        return f"{out} is not a dataset folder newsgold exported (no {MARKER} marker)"
    return None


def _may_replace(out: Path, force: bool) -> None:
    """Raise ExportError unless `out` is absent, or `force` is given and newsgold wrote it."""
    if out.exists() or out.is_symlink():
        if not force:
            raise ExportError(f"{out} already exists; pass --force to replace it, or choose another --out")
        refused = replaceable(out)
        if refused:
            raise ExportError(f"{refused}; --force replaces only a folder newsgold exported: "
                              "move those files or choose another --out")


def _prepare_out(out: Path, force: bool) -> Path:
    _may_replace(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))


def _replace(tmp: Path, out: Path, force: bool) -> None:
    _may_replace(out, force)  # again: another export, or a person, may have written `out` meanwhile
    if out.exists():
        trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.replace(out, trash / out.name)
        os.replace(tmp, out)
        shutil.rmtree(trash)
    else:
        os.replace(tmp, out)


def write_dataset(batches: Iterable[Batch], schema: Schema, report: ExportReport, force: bool = False,
                  story_threshold: float = STORY_THRESHOLD, progress: Callable[[int], None] | None = None,
                  batch: int = BATCH, max_story: int | None = None) -> ExportReport:
    """Stream batches into every writer, group the rows that came without a story, write the
    card, and rename the folder into place as `report.out`. A story grouped by content above
    `max_story` documents is regrouped inside at a stricter threshold (`annotate.stories`); a
    largest story suspiciously big, and splits far from the ratios, are said in `report.notes`."""
    out, source = Path(report.out), batches
    tmp = _prepare_out(out, force)
    try:
        # the first batch starts the conversion (and its workers) before `datasets` is imported
        batches = iter(batches)
        first = next(batches, None)
        batches = chain([first] if first is not None else [], batches)
        writers = open_writers(tmp, dataset_features(schema.tag_names), batch)
        problems_path = tmp / "problems.jsonl"
        try:
            _stream(batches, writers, tmp, problems_path, report, (story_threshold, max_story), progress,
                    schema.tag_names)
        finally:
            writers.close()
        uneven = uneven_splits(report.split_counts, report.ratios)
        if uneven:
            report.notes.append(uneven)
        (tmp / "README.md").write_text(dataset_card(schema, report, problems_path), encoding="utf-8")
        (tmp / MARKER).write_text("written by `annotate export`; `--force` may replace this folder\n")
        _replace(tmp, out, force)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        close = getattr(source, "close", None)
        if close is not None:  # a generator: stop its workers and remove their spools now
            close()
        raise
    return report


STAGED_BATCH = 16  # staged rows converted at once: rows are large (tokens, tags); measured


def _staged_batch(split: str, rows: list[dict], types) -> tuple:
    """(split, JSONL lines, RecordBatch) of staged rows of one split, emptying `rows`."""
    batch = split, [orjson.dumps(row) + b"\n" for row in rows], record_batch(rows, types)
    rows.clear()
    return batch


def _stream(batches: Iterable[Batch], writers: Rebatcher, tmp: Path, problems_path: Path, report: ExportReport,
            grouping: tuple[float, int | None], progress: Callable[[int], None] | None, tag_names: tuple[str, ...]) -> None:
    staged = tmp / "rows-without-story.jsonl"  # rows whose story is decided after the stream
    missing_story: dict[str, str] = {}
    with open(staged, "wb") as staging, open(problems_path, "wb") as problems:
        for batch in batches:
            problems.writelines(batch.problems)
            for name, table in batch.tables.items():
                writers.add(name, batch.lines[name], table)
            for doc_id, text, line in batch.staged:
                missing_story[doc_id] = text
                staging.write(line)
            if progress:
                progress(batch.tasks)
    if missing_story:  # documents without a story: group them by content now
        docs = [make_document(text, "", doc_id, id=doc_id) for doc_id, text in missing_story.items()]
        stories = {d.id: d.story_id for d in group_stories(docs, *grouping)}
        missing_story.clear()
        stats = StoryStats.of(stories.values())
        report.grouped = {"documents": stats.documents, "stories": stats.stories, "largest_story": stats.largest,
                          "threshold": grouping[0], "max_story": grouping[1]}
        if stats.chaining():
            report.notes.append(stats.chaining())
        types, waiting = arrow_schema(), {}  # rows of each split, converted STAGED_BATCH at a time
        with open(staged, "rb") as staging:
            for line in staging:
                row = orjson.loads(line)
                row["story_id"] = stories[row["id"]]
                split = assign_split(row, report.seed, report.ratios, report, tag_names)
                rows = waiting.setdefault(split, [])
                rows.append(row)
                if len(rows) == STAGED_BATCH:
                    writers.add(*_staged_batch(split, rows, types))
        for split, rows in waiting.items():
            if rows:
                writers.add(*_staged_batch(split, rows, types))
    staged.unlink()
