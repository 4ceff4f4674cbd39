"""A re-run of `push --model` against a real local Label Studio: what it pre-annotates, how long.

    python tests/bench/bench_push_rerun.py [--docs 300]

Starts a fresh local server, fits the tagger on re3d, then through the library (what
`annotate push PATHS --project NAME --model DIR` calls):
  1. pushes the documents with the rules only (the project now holds them);
  2. pushes them again with the model: each held task gets the merged round;
  3. the same push again: every task already carries the merged round. It starts once the
     reconciliation margin has passed since (2) (`push.RECONCILE_MARGIN`, two minutes; --no-wait
     skips the wait), as a re-run later would: within it, the push also lists the tasks created
     in the margin to reconcile them with a concurrent push.
Prints each push's seconds, how many documents the merged pre-annotator (rules + tagger)
pre-annotated and the seconds spent in it. Target: (3) pre-annotates no document.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from newsgold.annotate import api, convert_re3d, export_dataset  # noqa: E402
from newsgold.annotate.preannotate import merge  # noqa: E402
from newsgold.annotate.studio import push, server  # noqa: E402
from tests.bench.corpus import SEEDS, news_documents  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--no-wait", action="store_true", help="re-run at once, within the reconciliation margin")
    args = parser.parse_args()
    counted, spent = [0], [0.0]
    annotate_many = merge.MergedAnnotator.annotate_many

    def counting(self, documents):
        annotated = annotate_many(self, documents)
        while True:
            started = time.perf_counter()
            one = next(annotated, None)
            spent[0] += time.perf_counter() - started
            if one is None:
                return
            counted[0] += 1
            yield one

    merge.MergedAnnotator.annotate_many = counting
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        convert_re3d(SEEDS / "corpora" / "re3d", tmp / "re3d.jsonl")
        export_dataset(tmp / "re3d", from_file=tmp / "re3d.jsonl")
        from newsgold.train import fit

        fit(tmp / "re3d", tmp / "model")
        docs = tmp / "docs.jsonl"
        docs.write_bytes(b"".join(orjson.dumps({"text": t}) + b"\n" for t in news_documents(args.docs, seed=11)))
        server.start(tmp / "ls", port=server.free_port())
        try:
            ended = time.perf_counter()
            for step, model in (
                ("rules push", None),
                ("model push (new round)", tmp / "model"),
                ("model push re-run", tmp / "model"),
            ):
                if step.endswith("re-run") and not args.no_wait:
                    time.sleep(max(0.0, push.RECONCILE_MARGIN.total_seconds() + 5 - (time.perf_counter() - ended)))
                counted[0], spent[0] = 0, 0.0
                started = time.perf_counter()
                report = api.push_documents([docs], "rerun bench", model=model, data_dir=tmp / "ls")
                ended = time.perf_counter()
                seconds = ended - started
                print(
                    f"{step}: {seconds:.1f} s, {report.new_tasks} new tasks, {report.predictions_added} predictions "
                    f"added to held tasks, {counted[0]} documents pre-annotated by rules + tagger in {spent[0]:.1f} s",
                    flush=True,
                )
        finally:
            server.stop(tmp / "ls")


if __name__ == "__main__":
    main()
