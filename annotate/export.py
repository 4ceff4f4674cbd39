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

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
import orjson

from annotate import __version__
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
    split_counts: dict = field(default_factory=dict)
    label_counts: dict = field(default_factory=dict)  # split -> Counter(label)
    skipped: Counter = field(default_factory=Counter)  # reason -> count
    problems: int = 0
    problem_kinds: Counter = field(default_factory=Counter)
    multi_annotated: int = 0


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
        for k, n in votes.items() if n == need
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


def iter_ls_export_file(path: Path) -> Iterator[dict]:
    """Tasks of a Label Studio JSON export file, parsed incrementally."""
    import ijson

    with open(path, "rb") as handle:
        try:
            yield from ijson.items(handle, "item", use_float=True)
        except ijson.JSONError as exc:
            raise ExportError(f"{path}: not a Label Studio JSON export ({exc}); export JSON from the project") from None


def detect_file_kind(path: Path) -> str:
    """'labelstudio' for a JSON array export, 'gold' for JSONL."""
    with open(path, "rb") as handle:
        head = handle.read(4096).lstrip()
    if head.startswith(b"["):
        return "labelstudio"
    if head.startswith(b"{"):
        return "gold"
    raise ExportError(f"{path}: neither a Label Studio JSON export nor gold JSONL; check the file")


# ---------------------------------------------------------------------------- writing
def _prepare_out(out: Path, force: bool) -> Path:
    if out.exists() and not force:
        raise ExportError(f"{out} already exists; pass --force to replace it, or choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))


def write_dataset(
    rows: Iterable[tuple[dict | None, list[dict]]],
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
    """Stream rows into split files, build the DatasetDict, write the card, rename into place."""
    out = Path(out)
    if abs(sum(ratios) - 1.0) > 1e-6 or any(r < 0 for r in ratios):
        raise ExportError(f"split ratios {ratios} must be non-negative and sum to 1")
    tmp = _prepare_out(out, force)
    report = report or ExportReport(out, source)
    report.out = out
    try:
        problems_path = tmp / "problems.jsonl"
        staged = tmp / "rows-without-story.jsonl"  # rows whose story is decided after the stream
        tag_ids = {name: i for i, name in enumerate(schema.tag_names)}
        report.split_counts = {name: 0 for name in SPLITS}
        report.label_counts = {name: Counter() for name in SPLITS}
        features = _features_with_provenance(schema)
        for sub in ("jsonl", "parquet", "arrow"):
            (tmp / sub).mkdir()
        writers = {name: _SplitWriter(tmp, name, features) for name in SPLITS}

        def emit(row: dict) -> None:
            split = _split_of(row["story_id"], seed, ratios)
            report.split_counts[split] += 1
            report.label_counts[split].update(s["label"] for s in row["spans"])
            writers[split].add(row)

        try:
            missing_story: dict[str, str] = {}
            with open(staged, "wb") as staging, open(problems_path, "wb") as problems:
                for row, found in rows:
                    for problem in found:
                        problems.write(orjson.dumps(problem) + b"\n")
                        report.problems += problem["kind"] != "repaired"
                        report.problem_kinds[problem["kind"]] += 1
                    if row is None:
                        continue
                    row["ner_tags"] = [tag_ids[t] for t in row["ner_tags"]]
                    report.documents += 1
                    if progress:
                        progress(1)
                    if row["story_id"]:
                        emit(row)
                    else:
                        missing_story[row["id"]] = row["text"]
                        staging.write(orjson.dumps(row, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
            if missing_story:  # documents without a story: group them by content now
                docs = [make_document(text, "", doc_id, id=doc_id) for doc_id, text in missing_story.items()]
                stories = {d.id: d.story_id for d in group_stories(docs, story_threshold)}
                missing_story.clear()
                with open(staged, "rb") as staging:
                    for line in staging:
                        row = orjson.loads(line)
                        row["story_id"] = stories[row["id"]]
                        emit(row)
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
    """Streams one split's rows to JSONL, Arrow and Parquet in batches: memory stays bounded by
    one batch, whatever the number of documents."""

    BATCH = 256

    def __init__(self, folder: Path, name: str, features):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.schema = features.arrow_schema
        self.jsonl = open(folder / "jsonl" / f"{name}.jsonl", "wb")
        self.arrow_path = folder / "arrow" / f"{name}.arrow"
        self.arrow = pa.ipc.new_stream(str(self.arrow_path), self.schema)
        self.parquet = pq.ParquetWriter(str(folder / "parquet" / f"{name}.parquet"), self.schema)
        self.rows: list[dict] = []

    def add(self, row: dict) -> None:
        self.jsonl.write(orjson.dumps(row, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
        self.rows.append(row)
        if len(self.rows) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa

        # token offsets go in as one flat array (see _offset_pairs); every other column from rows
        pairs = [np.asarray(row["token_offsets"], dtype=np.int32).reshape(-1, 2) for row in self.rows]
        bounds = np.zeros(len(pairs) + 1, dtype=np.int32)
        np.cumsum([len(p) for p in pairs], out=bounds[1:])
        offsets_type = self.schema.field("token_offsets").type
        offsets = pa.ListArray.from_arrays(
            pa.array(bounds),
            pa.FixedSizeListArray.from_arrays(pa.array(np.concatenate(pairs).reshape(-1)), 2),
            type=offsets_type,
        )
        others = self.schema.remove(self.schema.get_field_index("token_offsets"))
        batch = pa.RecordBatch.from_pylist(self.rows, schema=others)
        columns = [offsets if name == "token_offsets" else batch.column(name) for name in self.schema.names]
        batch = pa.RecordBatch.from_arrays(columns, schema=self.schema)
        self.arrow.write_batch(batch)
        self.parquet.write_batch(batch)
        self.rows = []

    def close(self) -> None:
        if self.rows:
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
