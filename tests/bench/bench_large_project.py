"""A large project against a real Label Studio: push, then export through an export snapshot.

    python tests/bench/bench_large_project.py [--docs 20000] [--small 5000] [--without-stories 20000]
                                              [--database URL]

Varied news-sized documents (sentences of the seeds and re3d shuffled into articles, each one
different: `tests.bench.corpus`), pre-annotated by the rules, with story ids. Against a fresh
embedded Label Studio (SQLite), or with --database URL one started on that database (the
`annotate server --database` of PostgreSQL), or the server LABEL_STUDIO_URL and
LABEL_STUDIO_API_KEY name. Every measured step runs in a child process: wall time and its peak
resident memory (the largest of the process and the workers it waited for; see
`bench_export.measure`).

  1. push: `annotate push` as bench_push measures it (pre-annotation, dedup, bulk import) of
     --docs documents; its peer, a raw SDK bulk import of the same tasks and predictions;
  2. a project of the same documents, each with a human annotation (imported with the task):
     `annotate export --project` through the snapshot path (create, poll, stream, convert);
  3. the same snapshot with whole predictions, saved; offline on its first --small tasks:
     `annotate export --from` against the SDK's CONLL2003 converter (target: >= 3x its tasks/s);
  4. --without-stories tasks of it with and without story ids: time and peak memory ratios
     (the story grouping's targets: <= 1.5x the time, <= 1.3x the memory).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from newsgold.annotate.documents import make_document  # noqa: E402
from newsgold.annotate.preannotate import RuleAnnotator  # noqa: E402
from newsgold.annotate.studio import server  # noqa: E402
from newsgold.annotate.studio.client import LabelStudio  # noqa: E402
from newsgold.annotate.studio.lsformat import to_ls_result  # noqa: E402
from newsgold.annotate.studio.push import task_payload  # noqa: E402
from tests.bench.bench_export import CONVERTER, measure  # noqa: E402
from tests.bench.corpus import news_documents  # noqa: E402

PUSH = """
import sys, json
sys.path.insert(0, {root!r})
from pathlib import Path
from newsgold.annotate.documents import make_document
from newsgold.annotate.studio.client import LabelStudio
from newsgold.annotate.preannotate import RuleAnnotator
from newsgold.annotate.studio.push import import_documents
from newsgold.annotate.schema import load_schema
url, token, source, ledgers = sys.argv[1:5]
docs = [make_document(r["text"], r["source"], r["source"], story_id=r["story_id"])
        for r in map(json.loads, open(source, encoding="utf-8"))]
annotator = RuleAnnotator().warm_up()
report = import_documents(LabelStudio(url, token), "newsgold push", load_schema(), docs,
                          lambda batch: [annotator.annotate(d).to_record() for d in batch], ledger_dir=Path(ledgers))
assert report.new_tasks == len(docs), report
"""

RAW = """
import sys, json
from label_studio_sdk import LabelStudio
url, token, project, payload = sys.argv[1:5]
sdk = LabelStudio(base_url=url, api_key=token, timeout=600)
tasks = json.load(open(payload, encoding="utf-8"))
for first in range(0, len(tasks), 250):
    sdk.projects.import_tasks(id=int(project), request=tasks[first : first + 250])
"""


def documents(count: int) -> list[dict]:
    """Varied documents (each text different), a story per three, as JSONL records."""
    texts = news_documents(count, seed=14)
    return [{"text": text, "source": f"large-{i}", "story_id": f"story-{i // 3}"} for i, text in enumerate(texts)]


def payloads(records: list[dict]) -> tuple[list[dict], list[dict]]:
    """The tasks push sends (with the rules' predictions), and the same tasks each with a human
    annotation: the predicted spans but the last, as an annotator correcting them would leave."""
    annotator = RuleAnnotator().warm_up()
    plain, annotated = [], []
    for record in records:
        doc = make_document(record["text"], record["source"], record["source"], story_id=record["story_id"])
        found = annotator.annotate(doc)
        task = task_payload(found.to_record())
        plain.append(task)
        human = to_ls_result(doc.text, found.spans[:-1], (), scores=False)
        annotated.append({**task, "annotations": [{"result": human}]})
    return plain, annotated


def write_json(path: Path, value) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


def first_tasks(source: Path, target: Path, count: int, story_ids: bool = True) -> Path:
    """The first `count` tasks of an export file, streamed (without their story ids if asked)."""
    import ijson

    with open(source, "rb") as inp, open(target, "w", encoding="utf-8") as out:
        out.write("[")
        for i, task in enumerate(ijson.items(inp, "item", use_float=True)):
            if i == count:
                break
            if not story_ids:
                task["data"].pop("story_id", None)
            out.write(("," if i else "") + json.dumps(task, ensure_ascii=False))
        out.write("]")
    return target


def connection(args, folder: Path):
    """(url, token, stop): the server given, or one started here."""
    if os.environ.get("LABEL_STUDIO_URL") and not args.database:
        return os.environ["LABEL_STUDIO_URL"], os.environ["LABEL_STUDIO_API_KEY"], lambda: None, "LABEL_STUDIO_URL"
    options = {"database": args.database} if args.database else {}
    try:
        running = server.start(folder, port=server.free_port(), **options)
    except TypeError:
        raise SystemExit("--database needs `annotate server --database` (server.start(database=...))") from None
    where = "PostgreSQL" if args.database else "SQLite"
    return running.url, server.credentials(folder)["token"], lambda: server.stop(folder), f"embedded, {where}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument(
        "--small", type=int, default=5000, help="tasks of the comparison with the SDK converter (0: skip)"
    )
    parser.add_argument(
        "--without-stories", type=int, default=20000, help="tasks of the export with and without story ids (0: skip)"
    )
    parser.add_argument("--database", default=None, help="a PostgreSQL URL for the server started here")
    args = parser.parse_args()
    annotate = str(Path(sys.executable).parent / "annotate")
    records = documents(args.docs)
    plain, annotated = payloads(records)
    words = sum(len(r["text"].split()) for r in records) / len(records)
    lines = []

    def say(line: str) -> None:
        lines.append(line)
        print(line, flush=True)

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        url, token, stop, where = connection(args, folder / "ls")
        try:
            ls = LabelStudio(url, token, timeout=600)
            from newsgold.annotate.schema import labelstudio_config, load_schema

            config = labelstudio_config(load_schema())
            source = folder / "docs.jsonl"
            source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
            say(
                f"{args.docs} varied documents of {words:.0f} words with rule predictions; Label Studio: {where}; "
                f"{len(os.sched_getaffinity(0))} CPUs"
            )

            t_push, m_push = measure(
                [sys.executable, "-c", PUSH.format(root=str(ROOT)), url, token, str(source), str(folder / "ledgers")]
            )
            raw = ls.create_project("raw bulk import", config, "", "")
            t_raw, m_raw = measure(
                [sys.executable, "-c", RAW, url, token, str(raw.id), str(write_json(folder / "plain.json", plain))]
            )
            say(
                f"push (annotate push):       {t_push:7.1f} s  {args.docs / t_push:6.0f} tasks/s  peak {m_push:5.0f} MiB"
            )
            say(f"raw SDK bulk import:        {t_raw:7.1f} s  {args.docs / t_raw:6.0f} tasks/s  peak {m_raw:5.0f} MiB")
            say(f"push time / raw bulk import: {t_push / t_raw:.2f}x")

            gold = ls.create_project("annotated", config, "", "")
            measure(
                [
                    sys.executable,
                    "-c",
                    RAW,
                    url,
                    token,
                    str(gold.id),
                    str(write_json(folder / "annotated.json", annotated)),
                ]
            )
            env = {**os.environ, "LABEL_STUDIO_URL": url, "LABEL_STUDIO_API_KEY": token}
            t_live, m_live = measure(
                [annotate, "export", "--project", "annotated", "--out", str(folder / "ds-live")], env=env
            )
            left = ls.export_snapshots(gold)
            say(
                f"export --project (snapshot): {t_live:6.1f} s  {args.docs / t_live:6.0f} tasks/s  peak {m_live:5.0f} MiB"
                f"  (snapshots left on the server: {len(left)})"
            )

            full = folder / "with-predictions.json"
            with open(full, "wb") as sink:
                for chunk in ls.export_chunks(gold, predictions=True):
                    sink.write(chunk)
        finally:
            stop()

        if args.small:
            small = first_tasks(full, folder / "small.json", args.small)
            size = small.stat().st_size / 2**20
            t_sdk, m_sdk = measure(
                [sys.executable, "-c", CONVERTER.format(root=str(ROOT)), str(small), str(folder / "conll")]
            )
            t_ours, m_ours = measure([annotate, "export", "--from", str(small), "--out", str(folder / "ds-small")])
            say(f"offline, the first {args.small} tasks of the snapshot with whole predictions ({size:.0f} MiB):")
            say(f"  SDK converter CONLL2003:  {t_sdk:7.1f} s  {args.small / t_sdk:6.0f} tasks/s  peak {m_sdk:5.0f} MiB")
            say(
                f"  annotate export --from:   {t_ours:7.1f} s  {args.small / t_ours:6.0f} tasks/s  peak {m_ours:5.0f} MiB"
            )
            say(f"  speed: newsgold / SDK converter = {t_sdk / t_ours:.1f}x  (target >= 3x)")
        if args.without_stories:
            n = args.without_stories
            with_ids = first_tasks(full, folder / "stories.json", n)
            without = first_tasks(full, folder / "no-stories.json", n, story_ids=False)
            t_with, m_with = measure([annotate, "export", "--from", str(with_ids), "--out", str(folder / "ds-with")])
            t_without, m_without = measure(
                [annotate, "export", "--from", str(without), "--out", str(folder / "ds-without")]
            )
            say(f"offline, {n} tasks with story ids:    {t_with:7.1f} s  peak {m_with:5.0f} MiB")
            say(f"offline, {n} tasks without story ids: {t_without:7.1f} s  peak {m_without:5.0f} MiB")
            say(
                f"  without / with story ids: time {t_without / t_with:.2f}x (target <= 1.5x), "
                f"peak memory {m_without / m_with:.2f}x (target <= 1.3x)"
            )


if __name__ == "__main__":
    main()
