"""Export conversion speed and memory, offline, against the label-studio-sdk converter.

    python tests/bench/bench_export.py [--tasks 5000] [--large 20000]

Writes a synthetic Label Studio JSON export of news-sized tasks (one human annotation each,
spans from the rule pre-annotator), then converts it in child processes, each measured for wall
time and peak resident memory (of the largest process):
  - newsgold: `annotate export --from FILE` (tokens, IOB2, spans, relations, splits, DatasetDict +
    parquet + JSONL + card), with its default workers (the CPUs available) and with one process;
  - the SDK's `Converter.convert_to_conll2003` on the same file (one process).
Targets: newsgold tasks/second >= 5x the converter's; newsgold peak memory flat from --tasks to --large.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from newsgold.annotate.documents import document_id  # noqa: E402
from newsgold.annotate.preannotate import RuleAnnotator  # noqa: E402
from newsgold.annotate.studio.lsformat import to_ls_result  # noqa: E402
from tests.bench.corpus import news_documents  # noqa: E402

CONVERTER = """
import sys
from label_studio_sdk.converter import Converter
sys.path.insert(0, {root!r})
from newsgold.annotate.schema import labelstudio_config, load_schema
Converter(labelstudio_config(load_schema()), project_dir=None, download_resources=False).convert_to_conll2003(
    sys.argv[1], sys.argv[2], is_dir=False)
"""


def synthetic_export(path: Path, count: int) -> None:
    """A Label Studio JSON export file with `count` annotated tasks, streamed to disk."""
    annotator = RuleAnnotator().warm_up()
    texts = news_documents(min(count, 2000), seed=5)  # a pool of texts, varied per task below
    with open(path, "w", encoding="utf-8") as out:
        out.write("[")
        for i in range(count):
            text = f"Report {i}. " + texts[i % len(texts)]
            spans, relations = annotator.annotate_text(text)
            task = {
                "id": i + 1,
                "data": {
                    "text": text,
                    "newsgold_id": document_id(text),
                    "source": f"bench-{i}",
                    "story_id": f"story-{i // 3}",
                },
                "annotations": [
                    {
                        "id": i + 1,
                        "completed_by": 1,
                        "was_cancelled": False,
                        "ground_truth": False,
                        "created_at": "2026-11-22T10:00:00Z",
                        "updated_at": "2026-11-22T10:00:00Z",
                        "result": to_ls_result(text, spans, relations, scores=False),
                    }
                ],
                "predictions": [],
            }
            out.write(("," if i else "") + json.dumps(task, ensure_ascii=False))
        out.write("]")


# The peak is read by a small launcher: Linux counts in a child's ru_maxrss the memory of the
# process it was forked from (the parent's pages, up to its exec), so a large benchmark parent
# would show up in every child it starts.
LAUNCHER = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode
if code:
    sys.exit(code)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def measure(command: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process (and of the workers it waited for),
    started by a small launcher (see LAUNCHER)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *command], capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed with status {done.returncode}: {done.stderr[-2000:]}")
    return elapsed, int(done.stdout.split()[-1]) / 1024


def run_newsgold(path: Path, out: Path, *options: str) -> tuple[float, float]:
    annotate = str(Path(sys.executable).parent / "annotate")
    return measure([annotate, "export", "--from", str(path), "--out", str(out), "--force", *options])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--large", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        small, large = folder / "small.json", folder / "large.json"
        synthetic_export(small, args.tasks)
        t_sdk, m_sdk = measure(
            [sys.executable, "-c", CONVERTER.format(root=str(ROOT)), str(small), str(folder / "conll")]
        )
        t_ours, m_ours = run_newsgold(small, folder / "ds-small")
        t_one, m_one = run_newsgold(small, folder / "ds-one", "--workers", "1")
        synthetic_export(large, args.large)
        t_large, m_large = run_newsgold(large, folder / "ds-large")
        size = small.stat().st_size / 2**20
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"synthetic Label Studio export: {args.tasks} tasks ({size:.0f} MiB), one annotation each; {cpus} CPUs")
    print(f"SDK converter CONLL2003:        {t_sdk:7.1f} s  {args.tasks / t_sdk:7.0f} tasks/s  peak {m_sdk:6.0f} MiB")
    print(
        f"newsgold export:                {t_ours:7.1f} s  {args.tasks / t_ours:7.0f} tasks/s  peak {m_ours:6.0f} MiB"
    )
    print(f"newsgold export, --workers 1:   {t_one:7.1f} s  {args.tasks / t_one:7.0f} tasks/s  peak {m_one:6.0f} MiB")
    print(
        f"newsgold export, {args.large} tasks: {t_large:7.1f} s  {args.large / t_large:7.0f} tasks/s  peak {m_large:6.0f} MiB"
    )
    print(f"speed: newsgold / SDK converter = {t_sdk / t_ours:.1f}x  (target >= 5x); one process {t_sdk / t_one:.1f}x")
    print(f"memory: peak at {args.large} / peak at {args.tasks} tasks = {m_large / m_ours:.2f}x  (target: flat)")


if __name__ == "__main__":
    main()
