"""A re-run of `push --model` against a real local Label Studio: what it pre-annotates, how long.

    python tests/bench/bench_push_rerun.py [--docs 300]

Starts a fresh local server, fits the tagger on re3d, then through the library (what
`annotate push PATHS --project NAME --model DIR` calls):
  1. pushes the documents with the rules only (the project now holds them);
  2. pushes them again with the model: each held task gets the merged round;
  3. the same push again: every task already carries the merged round.
Prints each push's seconds and how many documents the merged pre-annotator (rules + tagger)
pre-annotated. Target: (3) pre-annotates no document.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from newsgold.annotate import api, convert_re3d, export_dataset, push, server  # noqa: E402, F401 (push: loaded now)
from newsgold.annotate.preannotate import merge  # noqa: E402
from tests.bench.corpus import SEEDS, news_documents  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=300)
    args = parser.parse_args()
    counted = [0]
    annotate_many = merge.MergedAnnotator.annotate_many

    def counting(self, documents):
        for annotated in annotate_many(self, documents):
            counted[0] += 1
            yield annotated

    merge.MergedAnnotator.annotate_many = counting
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        convert_re3d(SEEDS / "corpora" / "re3d", tmp / "re3d.jsonl")
        export_dataset(tmp / "re3d", from_file=tmp / "re3d.jsonl")
        from newsgold.train import fit

        fit(tmp / "re3d", tmp / "model")
        docs = tmp / "docs.jsonl"
        docs.write_bytes(b"".join(orjson.dumps({"text": t}) + b"\n" for t in news_documents(args.docs, seed=11)))
        running = server.start(tmp / "ls", port=server.free_port())
        try:
            for step, model in (("rules push", None), ("model push (new round)", tmp / "model"),
                                ("model push re-run", tmp / "model")):
                counted[0] = 0
                started = time.perf_counter()
                report = api.push_documents([docs], "rerun bench", model=model, data_dir=tmp / "ls")
                seconds = time.perf_counter() - started
                print(f"{step}: {seconds:.1f} s, {report.new_tasks} new tasks, {report.predictions_added} predictions "
                      f"added to held tasks, {counted[0]} documents pre-annotated by rules + tagger", flush=True)
        finally:
            server.stop(tmp / "ls")


if __name__ == "__main__":
    main()
