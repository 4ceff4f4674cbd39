"""Pre-annotation throughput on one core, against the time to merely tokenize the same texts.

    python tests/bench/bench_preannotate.py [--docs 3000] [--words 700] [--layer-docs 300]

Prints documents/second for tokenizing alone and for the full rule annotator without the
language layer (tokens, sentences, every rule family, resolution, relations), and their ratio:
how close the rules run to the tokenizer's limit. Target: >= 1,000 documents/second. Then the
rules with the layer on `--layer-docs` documents already analysed (the layer's own parsing is
measured by the layer's benchmark): what reading the analysis adds to the rules.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from newsgold.annotate.preannotate import RuleAnnotator  # noqa: E402
from newsgold.annotate.preannotate.view import DocView  # noqa: E402
from newsgold.annotate.tokens import tokenize  # noqa: E402
from tests.bench.corpus import news_documents  # noqa: E402


def best_of(repeats: int, work) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--words", type=int, default=700)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--layer-docs", type=int, default=300)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    texts = news_documents(args.docs, args.words)
    annotator = RuleAnnotator(pipeline=False).warm_up()
    words = sum(len(t.split()) for t in texts) / len(texts)

    def tokenize_all():
        for text in texts:
            tokenize(text)

    def annotate_all():
        for text in texts:
            annotator.annotate_text(text)

    t_tokens = best_of(args.repeats, tokenize_all)
    t_rules = best_of(args.repeats, annotate_all)
    print(f"documents: {len(texts)} of {words:.0f} words on average, one core, best of {args.repeats}")
    print(f"tokenize only:   {len(texts) / t_tokens:8.0f} docs/s")
    print(f"pre-annotate:    {len(texts) / t_rules:8.0f} docs/s  (target >= 1000)")
    print(f"ratio pre-annotate / tokenize time: {t_rules / t_tokens:.1f}x")
    if args.layer_docs:
        layered = RuleAnnotator().warm_up()
        some = texts[: args.layer_docs]
        analyses = layered.language().analyse(some)  # parsed once (and cached)

        def with_layer():
            for text, analysis in zip(some, analyses):
                doc = DocView(text, analysis)
                layered.finish(doc, layered.resolved(doc))

        def surface():
            for text in some:
                annotator.annotate_text(text)

        t_layer, t_surface = best_of(args.repeats, with_layer), best_of(args.repeats, surface)
        print(
            f"rules reading the analysis: {len(some) / t_layer:8.0f} docs/s  "
            f"(surface rules on the same {len(some)}: {len(some) / t_surface:.0f} docs/s)"
        )


if __name__ == "__main__":
    main()
