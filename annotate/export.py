"""Human annotations → a Hugging Face `DatasetDict` on disk (the contract `train` reads).

Sources: a live Label Studio project (streamed), a Label Studio JSON export file, or gold JSONL.
Rules: predictions never become gold; cancelled annotations are ignored; a ground-truth
annotation wins; with several annotators an explicit policy decides (`latest` or `majority`).
Spans are checked against the text, aligned to our tokens and turned into IOB2 tags; whatever
cannot be used as it is (misaligned, overlapping, multi-label, offsets that disagree with the
text) is listed in `problems.jsonl` and the dataset card — never dropped silently. Splits are
assigned by story (a story never straddles two splits) from a fixed seed, and the whole folder
is written to a temporary sibling and renamed into place at the end.
"""

from __future__ import annotations

import codecs
import gc
import hashlib
import json
import multiprocessing
import os
import pickle
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from queue import Empty
from typing import Callable, Iterable, Iterator

import numpy as np
import orjson

from annotate import __version__
from annotate.agreement import agreement, agreement_table, several_annotators
from annotate.documents import document_id, group_stories, make_document, normalize_text
from annotate.errors import NewsgoldError
from annotate.lsformat import Problem, from_ls_result
from annotate.schema import Schema, dataset_features
from annotate.spans import Relation, Span, offsets_to_iob
from annotate.tokens import token_arrays

SPLITS = ("train", "validation", "test")
DEFAULT_RATIOS = (0.8, 0.1, 0.1)
DEFAULT_SEED = 13


class ExportError(NewsgoldError):
    """The export could not be written or its input is unusable."""


def card_schema_hash(dataset: Path) -> str | None:
    """The schema hash recorded in a dataset's card (README.md), or None without one."""
    card = Path(dataset) / "README.md"
    if card.exists():
        for line in card.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("hash:"):
                return line.split(":", 1)[1].strip()
    return None


@dataclass(frozen=True)
class Resolved:
    """The human truth for one document, after applying the resolution policy."""

    spans: list[Span]
    relations: list[Relation]
    annotators: list[str]
    how: str  # ground_truth | single | latest | majority
    problems: list[Problem] = field(default_factory=list)
    candidates: int = 1  # how many usable annotations the document had


@dataclass
class ExportReport:
    out: Path
    source: str
    documents: int = 0
    split_counts: dict = field(default_factory=lambda: dict.fromkeys(SPLITS, 0))
    label_counts: dict = field(default_factory=lambda: {name: Counter() for name in SPLITS})  # split -> Counter(label)
    skipped: Counter = field(default_factory=Counter)  # reason -> count
    problems: int = 0
    problem_kinds: Counter = field(default_factory=Counter)
    multi_annotated: int = 0

    def absorb(self, other: "ExportReport") -> None:
        """Add the counts of `other` (a worker's share of the same export)."""
        self.documents += other.documents
        self.problems += other.problems
        self.multi_annotated += other.multi_annotated
        self.skipped.update(other.skipped)
        self.problem_kinds.update(other.problem_kinds)
        for name in SPLITS:
            self.split_counts[name] += other.split_counts[name]
            self.label_counts[name].update(other.label_counts[name])


def _annotator(annotation: dict, users: dict[int, str]) -> str:
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        return str(who.get("email") or who.get("id"))
    return users.get(who, str(who))


def resolve_annotations(text: str, annotations: list[dict], policy: str, users: dict[int, str]) -> Resolved | None:
    """Pick the human truth of one task; None when it has no usable annotation."""
    usable = [a for a in annotations if not a.get("was_cancelled")]
    if not usable:
        return None
    ground_truth = [a for a in usable if a.get("ground_truth")]
    chosen_from = ground_truth or usable
    latest = max(chosen_from, key=lambda a: (a.get("updated_at") or a.get("created_at") or "", a.get("id") or 0))
    if ground_truth or len(usable) == 1 or policy == "latest":
        spans, relations, problems = from_ls_result(text, latest.get("result") or [])
        how = "ground_truth" if ground_truth else ("single" if len(usable) == 1 else "latest")
        return Resolved(spans, relations, [_annotator(latest, users)], how, problems, len(usable))
    # majority: a span stays when more than half of the annotators drew it exactly
    parsed = [from_ls_result(text, a.get("result") or []) for a in usable]
    votes: Counter = Counter()
    relation_votes: Counter = Counter()
    for spans, relations, _ in parsed:
        keys = {s.id: (s.start, s.end, s.label) for s in spans}
        votes.update(set(keys.values()))
        relation_votes.update(
            {(keys[r.head], keys[r.tail], r.label) for r in relations if r.head in keys and r.tail in keys}
        )
    need = len(usable) / 2
    kept = sorted(k for k, n in votes.items() if n > need)
    problems = [p for _, _, found in parsed for p in found]
    problems += [
        Problem("tie", {"start": k[0], "end": k[1], "label": k[2], "text": text[k[0]:k[1]]},
                f"{n} of {len(usable)} annotators; not kept")
        for k, n in sorted(votes.items()) if n == need  # sorted: set order varies with the hash seed
    ]
    ids = {k: f"m{i}" for i, k in enumerate(kept, start=1)}
    spans = [Span(k[0], k[1], k[2], text[k[0]:k[1]], id=ids[k]) for k in kept]
    relations = [
        Relation(ids[h], ids[t], label) for (h, t, label), n in sorted(relation_votes.items())
        if n > need and h in ids and t in ids
    ]
    return Resolved(spans, relations, sorted({_annotator(a, users) for a in usable}), "majority", problems, len(usable))


def _split_of(story_id: str, seed: int, ratios: tuple[float, float, float]) -> str:
    digest = hashlib.sha256(f"{seed}:{story_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64
    edge = 0.0
    for name, ratio in zip(SPLITS, ratios):
        edge += ratio
        if point < edge:
            return name
    return SPLITS[-1]


def _offset_pairs(starts: list[int], ends: list[int]) -> np.ndarray:
    """Token offsets as one (tokens, 2) int32 array: a row holds one object for them instead of
    a Python list per token, which keeps the export's garbage collector and Arrow writes cheap."""
    pairs = np.empty((len(starts), 2), dtype=np.int32)
    pairs[:, 0] = starts
    pairs[:, 1] = ends
    return pairs


def build_row(doc_id: str, text: str, source: str, story_id: str | None, resolved: Resolved,
              annotated_labels: list[str], provenance: dict) -> tuple[dict, list[dict]]:
    """One dataset row and the problems found while aligning its spans to tokens."""
    words, starts, ends = token_arrays(text)
    problems = [
        {**p.to_dict(), "document": doc_id, "source": source} for p in resolved.problems
    ]
    # overlapping spans cannot share IOB2 tags: keep the first (by offset), report the others
    tagged: list[Span] = []
    for span in sorted(resolved.spans, key=lambda s: (s.start, -s.end)):
        if tagged and span.start < tagged[-1].end:
            problems.append({"kind": "overlap", "span": span.to_dict(), "document": doc_id, "source": source,
                             "detail": f"overlaps {tagged[-1].text!r}; kept in spans, left out of ner_tags"})
            continue
        tagged.append(span)
    alignment = offsets_to_iob(text, starts, ends, tagged, doc_id)
    for span in alignment.misaligned:
        problems.append({"kind": "misaligned", "span": span.to_dict(), "document": doc_id, "source": source,
                         "detail": "span edges fall inside a token; kept in spans, left out of ner_tags"})
    spans = sorted(resolved.spans, key=lambda s: (s.start, s.end))
    row = {
        "id": doc_id,
        "story_id": story_id,
        "source": source,
        "text": text,
        "tokens": words,
        "token_offsets": _offset_pairs(starts, ends),
        "ner_tags": alignment.tags,
        "spans": [{"id": s.id or f"s{i}", "start": s.start, "end": s.end, "label": s.label, "text": s.text}
                  for i, s in enumerate(spans, start=1)],
        "relations": [r.to_dict() for r in resolved.relations],
        "annotated_labels": annotated_labels,
        "annotators": resolved.annotators,
        "provenance": json.dumps(provenance, sort_keys=True),
    }
    return row, problems


# ---------------------------------------------------------------------------- sources
def rows_from_ls_tasks(tasks: Iterable[dict], schema: Schema, policy: str, users: dict[int, str],
                       report: ExportReport) -> Iterator[tuple[dict | None, list[dict]]]:
    """Rows from Label Studio tasks (live or exported): human annotations only."""
    labels = list(schema.label_names)
    for task in tasks:
        data = task.get("data") or {}
        raw_text = data.get("text")
        if not isinstance(raw_text, str):
            report.skipped["task without a text field"] += 1
            yield None, [{"kind": "no-text", "document": str(task.get("id")), "span": {},
                          "detail": "task data has no 'text' field; not exported"}]
            continue
        text = raw_text
        resolved = resolve_annotations(text, task.get("annotations") or [], policy, users)
        if resolved is None:
            report.skipped["no human annotation (unlabelled, or only cancelled/skipped)"] += 1
            continue
        if resolved.candidates > 1:
            report.multi_annotated += 1
        doc_id = str(data.get("newsgold_id") or document_id(normalize_text(text)))
        provenance = {"task_id": task.get("id"), "resolution": resolved.how,
                      "annotations": resolved.candidates}
        yield build_row(doc_id, text, str(data.get("source") or f"task-{task.get('id')}"),
                        data.get("story_id"), resolved, labels, provenance)


def rows_from_gold_jsonl(path: Path, schema: Schema, report: ExportReport) -> Iterator[tuple[dict | None, list[dict]]]:
    """Rows from gold JSONL (documents with `spans` and `annotated_labels`)."""
    from annotate.jsonl import read_jsonl

    labels = set(schema.label_names)
    for number, record in enumerate(read_jsonl(path), start=1):
        item = f"{path} document {number}"
        if "text" not in record:
            raise ExportError(f"{item}: no 'text' field; every gold document needs its text")
        doc = make_document(record["text"], source=str(record.get("source") or item), item=item,
                            id=record.get("id"), story_id=record.get("story_id"))
        if doc.text != record["text"]:
            raise ExportError(f"{item}: text is not normalised (NFC, \\n line endings, trimmed), so its "
                              "span offsets are ambiguous; normalise the text and its offsets first")
        annotated = record.get("annotated_labels") or sorted(labels)
        unknown = set(annotated) - labels | {s.get("label") for s in record.get("spans") or []} - labels
        if unknown:
            raise ExportError(f"{item}: label(s) {', '.join(sorted(map(str, unknown)))} are not in the schema; "
                              "map them to schema labels first")
        spans = [Span.from_dict({**s, "id": s.get("id") or f"g{i}"}) for i, s in enumerate(record.get("spans") or [], 1)]
        problems = []
        good = []
        for span in spans:
            if not (0 <= span.start < span.end <= len(doc.text)) or doc.text[span.start:span.end] != span.text:
                problems.append(Problem("offset-mismatch", span.to_dict(),
                                        "span text disagrees with the document text; fix the gold file"))
            else:
                good.append(span)
        relations = [Relation(str(r["head"]), str(r["tail"]), r["label"]) for r in record.get("relations") or []]
        resolved = Resolved(good, relations, list(record.get("annotators") or [str(record.get("meta", {}).get("annotator", "gold"))]),
                            "gold", problems)
        yield build_row(doc.id, doc.text, doc.source, doc.story_id, resolved, list(annotated),
                        {"file": str(path), "line": number})


_BLOCK = 1 << 20  # bytes read at a time from an export file
_SPACE = re.compile(r"\s*")


def iter_ls_export_file(path: Path, start: int = 0, stop: int | None = None) -> Iterator[dict]:
    """Tasks of a Label Studio JSON export file, parsed one at a time.

    The standard library's C decoder (`raw_decode`) parses each task where it starts in a
    buffer of about one block of the file; a task cut by the end of the buffer is parsed again
    once the buffer holds more. Memory holds one block and one task, whatever the file's size.

    With `start`/`stop` (byte offsets from `task_regions`), only the tasks in that region: it
    starts at a task (or at the array's `[` when `start` is 0) and ends after the `,` following
    its last task (or at the end of the file).
    """
    decoder = json.JSONDecoder()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as handle:
        handle.seek(start)
        left = (os.fstat(handle.fileno()).st_size if stop is None else stop) - start
        buffer, pos, eof = "", 0, False

        def fill(size: int) -> bool:
            nonlocal buffer, pos, eof, left
            if eof:
                return False
            block = handle.read(min(size, left))
            left -= len(block)
            eof = not block
            try:
                buffer = buffer[pos:] + utf8.decode(block, final=eof)
            except UnicodeDecodeError as exc:
                raise malformed(f"not UTF-8: {exc.reason}") from None
            pos = 0
            return True

        def next_char() -> str:
            nonlocal pos
            while True:
                pos = _SPACE.match(buffer, pos).end()
                if pos < len(buffer):
                    return buffer[pos]
                if not fill(_BLOCK):
                    return ""

        def malformed(what: str) -> ExportError:
            return ExportError(f"{path}: not a Label Studio JSON export ({what}); export JSON from the project")

        if start == 0:
            if next_char() != "[":
                raise malformed("it does not start with a JSON array")
            pos += 1
            if next_char() == "]":
                pos += 1
                if next_char():
                    raise malformed("data after the closing ]")
                return
        number = 0
        while True:
            number += 1
            size = _BLOCK
            next_char()  # raw_decode does not skip leading whitespace
            while True:
                try:
                    task, end = decoder.raw_decode(buffer, pos)
                    break
                except json.JSONDecodeError as exc:
                    if not fill(size):
                        raise malformed(f"task {number}{_after(start)}: {exc.msg}") from None
                    size *= 2  # a long task: read ever larger blocks, not one block per retry
            if not isinstance(task, dict):
                raise malformed(f"task {number}{_after(start)} is not a JSON object")
            pos = end
            yield task
            separator = next_char()
            pos += 1
            if separator == "," and stop is not None and not next_char():
                return  # the end of this region: the next task starts the next one
            if separator == "]":
                if next_char():
                    raise malformed("data after the closing ]")
                return
            if separator != ",":
                raise malformed(f"{separator or 'the end of the file'!r} after task {number}{_after(start)}")


def _after(start: int) -> str:
    return f" after byte {start}" if start else ""


def task_regions(path: Path, parts: int, first_share: float | None = None) -> list[tuple[int, int | None]]:
    """Up to `parts` byte regions of an export file, each starting at a task: the first holds
    about `first_share` of the bytes (default: an equal share), the others equal shares of the rest.

    A region boundary is a `{` right after the `,` that follows a `}`, where a whole JSON object
    with the `id`, `data` and `annotations` of a task decodes and is followed by `,` or `]`. An
    object nested in a task can look like that only if it has those keys itself; then the region
    before it ends inside a task, reading it fails with RegionsUnreadable, and the export starts
    again in one process. Where no boundary is found near a cut, there are fewer regions.
    """
    size = Path(path).stat().st_size
    cuts = [0]
    decoder = json.JSONDecoder()
    candidate = re.compile(r"\}\s*,\s*(\{)")
    with open(path, "rb") as handle:
        first = 1 / parts if first_share is None else first_share
        for k in range(1, parts):
            at = max(int(size * (first + (1 - first) * (k - 1) / (parts - 1))), cuts[-1] + 1)
            handle.seek(at)
            window = handle.read(4 << 20).decode("utf-8", "surrogateescape")  # byte-exact round trip
            for match in candidate.finditer(window):
                try:
                    task, end = decoder.raw_decode(window, match.start(1))
                except json.JSONDecodeError:
                    continue
                follows = _SPACE.match(window, end).end()
                if (isinstance(task, dict) and {"id", "data", "annotations"} <= task.keys()
                        and window[follows:follows + 1] in (",", "]")):
                    cut = at + len(window[: match.start(1)].encode("utf-8", "surrogateescape"))
                    cuts.append(cut)
                    break
    return [(begin, end) for begin, end in zip(cuts, cuts[1:] + [None])]


def detect_file_kind(path: Path) -> str:
    """'labelstudio' for a JSON array export, 'gold' for JSONL."""
    with open(path, "rb") as handle:
        head = handle.read(4096).lstrip()
    if head.startswith(b"["):
        return "labelstudio"
    if head.startswith(b"{"):
        return "gold"
    raise ExportError(f"{path}: neither a Label Studio JSON export nor gold JSONL; check the file")


# ---------------------------------------------------------------------------- batches
BATCH = 256  # tasks (or rows) per batch
_SMALL_FILE = 8 << 20  # bytes: below this an export file is converted in this process
_WRITE_COST = 0.25  # writing a row (JSONL, Arrow, Parquet; measured with start-up) / converting its task


@dataclass
class _Batch:
    """Rows serialised as JSONL lines, by split: what a converting process hands the writer."""

    lines: dict[str, list[bytes]] = field(default_factory=lambda: {name: [] for name in SPLITS})
    tables: dict = field(default_factory=dict)  # split -> the same rows as an Arrow RecordBatch
    problems: list[bytes] = field(default_factory=list)
    staged: list[tuple[str, str, bytes]] = field(default_factory=list)  # rows without a story: id, text, line
    documents: int = 0


@dataclass(frozen=True)
class Conversion:
    """Everything a converting process needs besides the tasks."""

    schema: Schema
    policy: str
    users: dict
    seed: int
    ratios: tuple[float, float, float]
    arrow_schema: object = None  # the exported features' Arrow schema (set by `conversion`)


def conversion(schema: Schema, policy: str = "latest", users: dict | None = None, seed: int = DEFAULT_SEED,
               ratios: tuple[float, float, float] = DEFAULT_RATIOS) -> Conversion:
    """How to convert an export: the resolution policy, user names, split seed and ratios."""
    return Conversion(schema, policy, users or {}, seed, ratios, arrow_schema())


def arrow_schema():
    """The Arrow types of the exported features (`dataset_features` plus `provenance`), stated
    with pyarrow alone: the workers build record batches with it without importing `datasets`
    (a second of start-up), and the writer attaches the features' metadata. A test holds the two
    equal."""
    import pyarrow as pa

    strings = pa.list_(pa.string())
    return pa.schema({
        "id": pa.string(), "story_id": pa.string(), "source": pa.string(), "text": pa.string(),
        "tokens": strings,
        "token_offsets": pa.list_(pa.list_(pa.int32(), 2)),
        "ner_tags": pa.list_(pa.int64()),
        "spans": pa.list_(pa.struct({"id": pa.string(), "start": pa.int32(), "end": pa.int32(),
                                     "label": pa.string(), "text": pa.string()})),
        "relations": pa.list_(pa.struct({"head": pa.string(), "tail": pa.string(), "label": pa.string()})),
        "annotated_labels": strings, "annotators": strings, "provenance": pa.string(),
    })


def _assign_split(row: dict, seed: int, ratios: tuple[float, float, float], report: ExportReport) -> str:
    """The split of a row with a story, counted with its labels in `report`."""
    split = _split_of(row["story_id"], seed, ratios)
    report.split_counts[split] += 1
    report.label_counts[split].update(s["label"] for s in row["spans"])
    return split


def _serialise(rows: Iterable[tuple[dict | None, list[dict]]], conversion: Conversion,
               report: ExportReport) -> _Batch:
    """Rows into one batch of JSONL lines, assigned to splits by story, counted in `report`."""
    tag_ids = {name: i for i, name in enumerate(conversion.schema.tag_names)}
    batch = _Batch()
    by_split: dict[str, list[dict]] = {}
    for row, found in rows:
        for problem in found:
            batch.problems.append(orjson.dumps(problem) + b"\n")
            report.problems += problem["kind"] != "repaired"
            report.problem_kinds[problem["kind"]] += 1
        if row is None:
            continue
        row["ner_tags"] = list(map(tag_ids.__getitem__, row["ner_tags"]))
        line = orjson.dumps(row, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n"
        batch.documents += 1
        report.documents += 1
        if row["story_id"]:
            split = _assign_split(row, conversion.seed, conversion.ratios, report)
            batch.lines[split].append(line)
            by_split.setdefault(split, []).append(row)
        else:
            batch.staged.append((row["id"], row["text"], line))
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


def batches_from_gold_jsonl(path: Path, conversion: Conversion, report: ExportReport) -> Iterator[_Batch]:
    rows = rows_from_gold_jsonl(path, conversion.schema, report)
    for chunk in _chunks(rows, BATCH):
        yield _serialise(chunk, conversion, report)


def _task_batches(path: Path, region: tuple[int, int | None], conversion: Conversion, report: ExportReport,
                  several: list[dict]) -> Iterator[_Batch]:
    """The tasks of one region of an export file, converted in batches of BATCH."""
    for chunk in _chunks(iter_ls_export_file(path, *region), BATCH):
        several += filter(several_annotators, chunk)
        rows = rows_from_ls_tasks(chunk, conversion.schema, conversion.policy, conversion.users, report)
        yield _serialise(rows, conversion, report)


def default_workers(path: Path) -> int:
    """Processes for converting an export file: the CPUs this process may use (at most 8), or
    one for a small file."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    return 1 if Path(path).stat().st_size < _SMALL_FILE else max(1, min(cpus, 8))


class RegionsUnreadable(ExportError):
    """A region of an export file could not be converted on its own: convert it in one process
    (`workers=1`), which either succeeds or names what is wrong with the file."""


def batches_from_ls_file(path: Path, conversion: Conversion, report: ExportReport, extra: dict,
                         workers: int = 1) -> Iterator[_Batch]:
    """Batches of an export file in file order, converted by up to `workers` processes (one per
    region of the file, see `task_regions`), with the agreement of multi-annotated tasks put in
    `extra` (for the card) once the last batch is out. With several workers it may raise
    RegionsUnreadable after some batches are out: start again with `workers=1`."""
    several: list[dict] = []
    # this process converts the first region and also writes every row (and starts up), which
    # costs about a quarter of converting it (measured): its region is smaller, so that all
    # processes finish together
    # workers are forked (they inherit the loaded modules): on Linux only, where that is safe
    parallel = workers > 1 and sys.platform.startswith("linux")
    first_share = max(0.02, (1 - _WRITE_COST * (workers - 1)) / workers)
    regions = task_regions(path, workers, first_share) if parallel else []
    if len(regions) > 1:
        yield from _parallel_batches(path, regions, conversion, report, several)
    else:
        yield from _task_batches(path, (0, None), conversion, report, several)
    if several:
        labels = list(conversion.schema.label_names)
        agreed = agreement(several, labels, conversion.users)
        if agreed["documents"]:
            extra["agreement"] = agreed["pairs"]
            extra["agreement_table"] = agreement_table(agreed, labels)


def _worker(path: Path, region, conversion: Conversion, queue, spool: Path) -> None:
    """A converting process: the batches of its region to a spool file (read once the regions
    before it are out), then its counts through the queue, or the error that stopped it."""
    report, several = ExportReport(Path(), ""), []
    try:
        with open(spool, "wb") as out:
            for batch in _task_batches(path, region, conversion, report, several):
                data = pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL)
                out.write(len(data).to_bytes(8, "little") + data)
                out.flush()  # the parent reads each batch as soon as it is whole
        queue.put(("done", (report, several)))
    except BaseException as exc:  # handed to the parent, which starts again in one process
        queue.put(("error", f"{type(exc).__name__}: {exc}"))


def _spooled(spool: Path, queue, process, share: list) -> Iterator[_Batch]:
    """A worker's batches, read from its spool file while it writes them (each one a length
    and a pickle); then its counts go in `share`."""
    done = None
    with open(spool, "rb") as source:
        while True:
            at = source.tell()
            header = source.read(8)
            if len(header) == 8:
                size = int.from_bytes(header, "little")
                data = source.read(size)
                if len(data) == size:
                    yield pickle.loads(data)
                    continue
            source.seek(at)
            if done is not None:  # the worker closed the file before saying so: all read
                if header:
                    raise RegionsUnreadable(f"a spool file ends inside a batch ({spool})")
                share.append(done)
                return
            try:
                kind, payload = queue.get(timeout=0.02)
            except Empty:
                if not process.is_alive():
                    raise RegionsUnreadable(f"an export worker stopped (exit code {process.exitcode})") from None
                continue
            if kind == "error":
                raise RegionsUnreadable(payload)
            done = payload


def _parallel_batches(path: Path, regions, conversion: Conversion, report: ExportReport,
                      several: list[dict]) -> Iterator[_Batch]:
    """The first region converted here, each other one by a worker process that spools its
    batches to a file; the spools are read in region order after the first region (each while
    its worker still writes it), so the output is the same as from one process."""
    context = multiprocessing.get_context("fork")  # the workers inherit the loaded modules
    with tempfile.TemporaryDirectory(prefix="newsgold-export-") as spools:
        spool_paths = [Path(spools) / f"region-{k}.pickle" for k in range(1, len(regions))]
        for spool in spool_paths:
            spool.touch()  # readable before its worker opens it
        queues = [context.Queue() for _ in spool_paths]
        processes = [
            context.Process(target=_worker, args=(path, region, conversion, queue, spool), daemon=True)
            for region, queue, spool in zip(regions[1:], queues, spool_paths)
        ]
        gc.freeze()  # what is loaded now stays out of the workers' garbage collection (and copy-on-write)
        for process in processes:
            process.start()
        gc.unfreeze()
        try:
            try:
                yield from _task_batches(path, regions[0], conversion, report, several)
            except ExportError as exc:  # perhaps the region ends inside a task: see task_regions
                raise RegionsUnreadable(str(exc)) from None
            for queue, process, spool in zip(queues, processes, spool_paths):
                finished: list = []
                yield from _spooled(spool, queue, process, finished)
                spool.unlink()
                share, found = finished[0]
                report.absorb(share)
                several += found
        finally:
            for process in processes:
                if process.is_alive():
                    process.terminate()
                process.join()


# ---------------------------------------------------------------------------- writing
def _prepare_out(out: Path, force: bool) -> Path:
    if out.exists() and not force:
        raise ExportError(f"{out} already exists; pass --force to replace it, or choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))


def write_dataset(
    batches: Iterable[_Batch],
    out: str | Path,
    schema: Schema,
    source: str,
    force: bool = False,
    seed: int = DEFAULT_SEED,
    ratios: tuple[float, float, float] = DEFAULT_RATIOS,
    story_threshold: float = 0.4,
    report: ExportReport | None = None,
    progress: Callable[[int], None] | None = None,
    card_extra: dict | None = None,
) -> ExportReport:
    """Stream batches into split files, build the DatasetDict, write the card, rename into place."""
    out = Path(out)
    if abs(sum(ratios) - 1.0) > 1e-6 or any(r < 0 for r in ratios):
        raise ExportError(f"split ratios {ratios} must be non-negative and sum to 1")
    tmp = _prepare_out(out, force)
    report = report or ExportReport(out, source)
    report.out = out
    try:
        problems_path = tmp / "problems.jsonl"
        staged = tmp / "rows-without-story.jsonl"  # rows whose story is decided after the stream
        # the first batch starts the conversion (and its workers) before `datasets` is imported
        batches = iter(batches)
        first = next(batches, None)
        batches = chain([first] if first is not None else [], batches)
        features = _features_with_provenance(schema)
        for sub in ("jsonl", "parquet", "arrow"):
            (tmp / sub).mkdir()
        writers = {name: _SplitWriter(tmp, name, features) for name in SPLITS}
        try:
            missing_story: dict[str, str] = {}
            with open(staged, "wb") as staging, open(problems_path, "wb") as problems:
                for batch in batches:
                    problems.writelines(batch.problems)
                    for name, table in batch.tables.items():
                        writers[name].add(batch.lines[name], table)
                    for doc_id, text, line in batch.staged:
                        missing_story[doc_id] = text
                        staging.write(line)
                    if progress:
                        progress(batch.documents)
            if missing_story:  # documents without a story: group them by content now
                docs = [make_document(text, "", doc_id, id=doc_id) for doc_id, text in missing_story.items()]
                stories = {d.id: d.story_id for d in group_stories(docs, story_threshold)}
                missing_story.clear()
                types = arrow_schema()
                with open(staged, "rb") as staging:
                    for line in staging:
                        row = orjson.loads(line)
                        row["story_id"] = stories[row["id"]]
                        split = _assign_split(row, seed, ratios, report)
                        writers[split].add([orjson.dumps(row) + b"\n"], record_batch([row], types))
        finally:
            for writer in writers.values():
                writer.close()
        staged.unlink()
        _save_to_disk(tmp, features)
        card = dataset_card(schema, report, seed, ratios, card_extra or {}, problems_path)
        (tmp / "README.md").write_text(card, encoding="utf-8")
        if out.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, trash / out.name)
            os.replace(tmp, out)
            shutil.rmtree(trash)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return report


def _features_with_provenance(schema: Schema):
    from datasets import Value

    features = dataset_features(schema)
    features["provenance"] = Value("string")
    return features


class _SplitWriter:
    """One split's rows, streamed to JSONL, Arrow and Parquet (a row group per BATCH rows or
    more): memory stays bounded by one batch, whatever the number of documents."""

    def __init__(self, folder: Path, name: str, features):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.schema = features.arrow_schema
        self.jsonl = open(folder / "jsonl" / f"{name}.jsonl", "wb")
        self.arrow_path = folder / "arrow" / f"{name}.arrow"
        self.arrow = pa.ipc.new_stream(str(self.arrow_path), self.schema)
        # zstd: a third smaller than the default snappy here; dictionaries and min/max statistics
        # only for the short columns (on texts and tokens they cost a fifth of the time, for nothing)
        short = ["id", "story_id", "source", "annotated_labels", "annotators"]
        self.parquet = pq.ParquetWriter(
            str(folder / "parquet" / f"{name}.parquet"), self.schema, compression="zstd",
            use_dictionary=short + ["ner_tags.list.element", "spans.list.element.label", "relations.list.element.label"],
            write_statistics=short,
        )
        self.pending: list = []
        self.rows = 0

    def add(self, lines: list[bytes], table) -> None:
        """JSONL lines and the same rows as a RecordBatch."""
        self.jsonl.writelines(lines)
        self.pending.append(table)
        self.rows += table.num_rows
        while self.rows >= BATCH:
            self.flush(BATCH)

    def flush(self, rows: int | None = None) -> None:
        """Write `rows` pending rows (all by default) as one record batch and one row group:
        the files do not depend on how the rows arrived (how many workers made them)."""
        import pyarrow as pa

        table = pa.Table.from_batches(self.pending).replace_schema_metadata(self.schema.metadata)
        rows = table.num_rows if rows is None else rows
        head = table.slice(0, rows).combine_chunks()
        self.arrow.write_table(head)
        self.parquet.write_table(head)
        rest = table.slice(rows)
        self.pending, self.rows = rest.to_batches(), rest.num_rows

    def close(self) -> None:
        if self.pending:
            self.flush()
        self.jsonl.close()
        self.arrow.close()
        self.parquet.close()


def _save_to_disk(folder: Path, features) -> None:
    """Lay the streamed Arrow files out as `DatasetDict.save_to_disk` does (one shard per split:
    the Arrow IPC stream, `dataset_info.json`, `state.json`, and `dataset_dict.json`), so that
    `datasets.load_from_disk` reads them. Moving the files we already streamed, instead of
    letting `save_to_disk` copy them through a memory map, keeps the export's memory flat."""
    from datasets import DatasetInfo

    info = DatasetInfo(features=features)
    for name in SPLITS:
        split_dir = folder / name
        split_dir.mkdir()
        shard = split_dir / "data-00000-of-00001.arrow"
        os.replace(folder / "arrow" / f"{name}.arrow", shard)
        info.write_to_directory(str(split_dir))
        digest = hashlib.sha256()
        with open(shard, "rb") as data:
            for block in iter(lambda: data.read(1 << 20), b""):
                digest.update(block)
        state = {
            "_data_files": [{"filename": shard.name}],
            "_fingerprint": digest.hexdigest()[:16],
            "_format_columns": None,
            "_format_kwargs": {},
            "_format_type": None,
            "_output_all_columns": False,
            "_split": None,
        }
        (split_dir / "state.json").write_text(json.dumps(state, indent=2))
    (folder / "dataset_dict.json").write_text(json.dumps({"splits": list(SPLITS)}))
    (folder / "arrow").rmdir()


def dataset_card(schema: Schema, report: ExportReport, seed: int, ratios, extra: dict, problems_path: Path) -> str:
    import yaml

    labels = list(schema.label_names)
    meta = {
        "pretty_name": f"newsgold {report.out.name}",
        "language": ["en"],
        "task_categories": ["token-classification"],
        "tags": ["newsgold", "event-extraction", "named-entity-recognition"],
        "newsgold": {
            "schema": {"name": schema.name, "version": schema.version, "hash": schema.hash},
            "source": report.source,
            "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "tool_version": __version__,
            "split_seed": seed,
            "split_ratios": {n: r for n, r in zip(SPLITS, ratios)},
            "documents": report.documents,
            "splits": report.split_counts,
            "problems": report.problems,
            **{k: v for k, v in extra.items() if k != "agreement_table"},
        },
    }
    lines = ["---", yaml.safe_dump(meta, sort_keys=False, allow_unicode=True).rstrip(), "---", ""]
    lines += [
        f"# newsgold dataset `{report.out.name}`",
        "",
        f"Spans of {', '.join(labels)} and event relations, exported by newsgold {__version__} from "
        f"{report.source}. Schema `{schema.name}` {schema.version}, hash `{schema.hash}`.",
        "",
        "Load it with `datasets.load_from_disk('<this folder>')`; the same splits are in "
        "`parquet/` and `jsonl/`. Splits are assigned by `story_id` (reports of one story never "
        f"straddle two splits) with seed {seed}.",
        "",
        "## Counts",
        "",
        "| split | documents | " + " | ".join(labels) + " |",
        "|---|---|" + "---|" * len(labels),
    ]
    for name in SPLITS:
        counts = report.label_counts.get(name, Counter())
        lines.append(f"| {name} | {report.split_counts.get(name, 0)} | " + " | ".join(str(counts[l]) for l in labels) + " |")
    empty = [n for n in SPLITS if not report.split_counts.get(n)]
    if empty:
        lines += ["", f"Empty splits (kept, with the same features): {', '.join(empty)}."]
    if report.skipped:
        lines += ["", "Not exported:"] + [f"- {reason}: {n}" for reason, n in sorted(report.skipped.items())]
    if "agreement" in extra:
        lines += ["", "## Agreement", "", "Pairwise span F1 (strict / partial) on documents with several annotators:",
                  "", extra.get("agreement_table", "")]
    lines += ["", "## Problems", ""]
    if report.problem_kinds:
        lines.append("Every region that could not be used as it is, listed in `problems.jsonl`:")
        lines.append("")
        for kind, n in sorted(report.problem_kinds.items()):
            lines.append(f"- {kind}: {n}")
        lines.append("")
        with open(problems_path, encoding="utf-8") as handle:
            for number, line in enumerate(handle):
                if number == 50:
                    lines.append("- … (see problems.jsonl for the rest)")
                    break
                p = json.loads(line)
                span = p.get("span") or {}
                lines.append(f"- `{p.get('document')}` {p['kind']}: {span.get('label')} {span.get('text')!r} "
                             f"[{span.get('start')}, {span.get('end')}) — {p['detail']}")
    else:
        lines.append("None: every span aligned with the tokens.")
    lines += ["", "## Fields", "",
              "`id`, `story_id`, `source`, `text`, `tokens`, `token_offsets` ([start, end) per token), "
              "`ner_tags` (IOB2 `ClassLabel`), `spans` (character offsets, end exclusive, all human spans "
              "including those listed as problems), `relations` (span ids), `annotated_labels` (labels the "
              "document is gold for), `annotators`, `provenance` (JSON).", ""]
    return "\n".join(lines)
