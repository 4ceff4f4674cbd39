"""Pre-annotation of one long document must be linear in its length.

    python tests/bench/bench_long_document.py [--sizes 1,4,16]

Builds single documents of the given sizes (MB) from the benchmark corpus, runs the rule
annotator on each and prints seconds, MB/s, and the ratio of seconds-per-MB at each size to the
smallest: about 1 for linear work, growing with the size for anything quadratic (before the fix
a 20 MB document stalled for more than 10 minutes). Target: every ratio <= 1.5.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from newsgold.annotate.preannotate import RuleAnnotator  # noqa: E402
from tests.bench.corpus import news_documents  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,4,16", help="document sizes in MB, comma-separated")
    args = parser.parse_args()
    sizes = [float(size) for size in args.sizes.split(",")]
    megabyte = 1_000_000
    words = 700
    count = int(max(sizes) * megabyte / (words * 5)) + 10
    corpus = "\n\n".join(news_documents(count, words, seed=3))
    annotator = RuleAnnotator()
    annotator.annotate_text(corpus[:20_000])  # load the gazetteers outside the timings
    baseline = None
    print(f"{'MB':>6} {'seconds':>8} {'MB/s':>6} {'s/MB ratio':>10}")
    for size in sizes:
        text = corpus[: int(size * megabyte)]
        started = time.perf_counter()
        annotator.annotate_text(text)
        seconds = time.perf_counter() - started
        per_mb = seconds / size
        baseline = baseline or per_mb
        print(f"{size:>6g} {seconds:>8.2f} {size / seconds:>6.2f} {per_mb / baseline:>10.2f}")


if __name__ == "__main__":
    main()
