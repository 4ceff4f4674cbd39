"""Where the export's time goes, per task, in one process; and how much a second process helps
on this machine.

    python tests/bench/bench_export_stages.py [--tasks 2000]

Writes a synthetic Label Studio export (as bench_export.py does), then times each stage of the
conversion over the same tasks held in memory (best of 3; they are frozen out of garbage collection, as
a real run holds only a batch):
parse (reading the tasks from the file), resolve (human annotations → spans), tokenize, build
row (tokens, IOB2 tags, spans; tokenizing included), serialise (JSONL line and Arrow columns).
Then it runs a plain Python loop alone and two copies side by side: on a machine whose two CPUs
are equally free, the pair takes as long as one.
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import tempfile
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from newsgold.annotate.export import ExportReport  # noqa: E402
from newsgold.annotate.export.batches import conversion, serialise  # noqa: E402
from newsgold.annotate.export.rows import build_row  # noqa: E402
from newsgold.annotate.formats.labelstudio import iter_ls_export_file  # noqa: E402
from newsgold.annotate.schema import load_schema  # noqa: E402
from newsgold.annotate.studio.resolve import resolve_annotations  # noqa: E402
from newsgold.annotate.tokens import token_arrays  # noqa: E402
from tests.bench.bench_export import synthetic_export  # noqa: E402
from tests.bench.bench_preannotate import best_of  # noqa: E402

LOOP = "import time; s = time.perf_counter(); x = 0\nfor i in range(20_000_000): x += i\nprint(time.perf_counter() - s)"


def loops(copies: int) -> list[float]:
    children = [
        subprocess.Popen([sys.executable, "-c", LOOP], stdout=subprocess.PIPE, text=True) for _ in range(copies)
    ]
    return [float(child.communicate()[0]) for child in children]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=2000)
    args = parser.parse_args()
    schema = load_schema()
    convert = conversion(schema)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.json"
        synthetic_export(path, args.tasks)
        tasks = list(islice(iter_ls_export_file(path), args.tasks))
        n = len(tasks)
        texts = [t["data"]["text"] for t in tasks]
        resolved = [resolve_annotations(t["data"]["text"], t["annotations"], "latest", {}) for t in tasks]

        def build_rows():
            return [
                build_row(str(i), text, "s", "story", r, list(schema.label_names), {}, schema)[0]
                for i, (text, r) in enumerate(zip(texts, resolved))
            ]

        rows = build_rows()
        gc.freeze()
        stages = {
            "parse": lambda: sum(1 for _ in iter_ls_export_file(path)),
            "resolve": lambda: [resolve_annotations(t["data"]["text"], t["annotations"], "latest", {}) for t in tasks],
            "tokenize": lambda: [token_arrays(text) for text in texts],
            "build row": build_rows,
            "serialise": lambda: [
                serialise(
                    [({**row, "ner_tags": list(row["ner_tags"])}, []) for row in rows[k : k + 256]],
                    convert,
                    ExportReport(Path(), ""),
                )
                for k in range(0, n, 256)
            ],
        }
        print(f"{n} synthetic tasks, one process, best of 3, ms per task:")
        for name, work in stages.items():
            print(f"  {name:10} {best_of(3, work) / n * 1e3:6.3f}")
    alone = loops(1)[0]
    pair = loops(2)
    print(f"a plain Python loop: {alone:.2f} s alone, {pair[0]:.2f} s and {pair[1]:.2f} s side by side")


if __name__ == "__main__":
    main()
