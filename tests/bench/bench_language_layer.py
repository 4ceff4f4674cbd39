"""What the language layer (annotate/language.py, issue 26) brings, measured in one run.

    .venv/bin/python tests/bench/bench_language_layer.py [--parts tagger]

One function per part, each returning the rows of its table; `main` prints them.

- `tagger`: the baseline tagger with plain features (`train fit --features plain`) and with the
  pipeline's (the default), on the shipped re3d sources. The dataset is built the way the
  project builds it (`annotate re3d seeds/corpora/re3d`, then `annotate export` with its default
  seed and ratios, which assigns whole stories to splits); each tagger is fitted with
  `train.model.fit_model` and its defaults on the train split and scored on the held-out
  documents (validation + test). As a second, source-aware view, leave-one-source-out: five
  folds, each fitted on four of the re3d sources and scored on the fifth, counts pooled over the
  folds. re3d is gold for ACTOR, LOCATION and COUNT only. Figures: strict (label and both
  boundaries right) and overlap (label right, boundaries overlapping: nervaluate's `ent_type`)
  F1 per label and micro (pooled counts).
- `tagger_cv` (not run by default: 5 minutes): how the pipeline feature set was chosen, by
  story-grouped 5-fold cross-validation on the train split alone (sklearn GroupKFold over
  `story_id`, stories shuffled with seeds 0 and 1: 10 folds), as the tagger's features always
  were (README): plain features, the chosen pipeline set (`train.features` OWN, NEAR,
  PIPELINE_WINDOW) and variants of it; mean ± standard deviation of strict micro F1 over the
  folds, and of the per-fold difference from the chosen set, with the folds it won.
- `rules`: pre-annotation by the rules alone (`RuleAnnotator(pipeline=False)`, today's surface
  rules) and by the rules reading the layer (the default), on the seeds (tuned on), the starter
  gold's development split, and the re3d corpus under its own labels: strict and overlap micro
  P/R/F1 and strict relation F1 (`annotate score`).
- `throughput`: a cold and a warm `annotate preannotate` (whole processes) of the re3d texts four
  times over, each copy numbered so every text is new to the layer's cache (the place index
  cached before, by one short run): the warm run's share of the cold one, and the words per
  second the layer parsed ((cold - warm) / words).
- `ops`: the pipeline on thinc's default blis ops and on numpy's (one BLAS thread), one process
  over the re3d texts twice: words per second, and how many tokens get another analysis.
- `tagger_speed`: what `train predict` does per document (`TaggerAnnotator.annotate_many`:
  tokens, the layer's analysis of each batch in one call, features, tags, spans with scores),
  on 300 news-sized documents (`tests/bench/corpus.news_documents`, ~700 words), for the taggers
  fitted on the story split: plain, and pipeline with the layer's cache cold (a fresh cache
  folder: every text parsed) and warm (the same texts again).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from newsgold.annotate.dataset import Split, load_split  # noqa: E402

RE3D = ROOT / "seeds" / "corpora" / "re3d"
LABELS = ["ACTOR", "LOCATION", "COUNT"]
SCHEMES = {"strict": "strict", "overlap": "ent_type"}


def re3d_dataset(folder: Path) -> Path:
    """The re3d dataset as the project builds it: `annotate re3d`, then `annotate export`."""
    annotate = str(Path(sys.executable).parent / "annotate")
    subprocess.run(
        [annotate, "re3d", str(RE3D), "-o", str(folder / "re3d.jsonl")], check=True, stdout=subprocess.DEVNULL
    )
    subprocess.run(
        [annotate, "export", "--from", str(folder / "re3d.jsonl"), "--out", str(folder / "ds")],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return folder / "ds"


def joined(*parts: Split) -> Split:
    return Split(
        *(
            sum((getattr(p, name) for p in parts), [])
            for name in ("tokens", "tags", "annotated_labels", "texts", "offsets")
        )
    )


def counts(gold: list[list[str]], predicted: list[list[str]]) -> dict:
    """(scheme, label or "micro") -> (correct, actual, possible), nervaluate over IOB2 tags."""
    from nervaluate import Evaluator

    result = Evaluator(gold, predicted, tags=LABELS, loader="list").evaluate()
    found = {}
    for scheme, name in SCHEMES.items():
        for label in LABELS:
            r = result["entities"].get(label, {}).get(name)
            found[scheme, label] = (r.correct, r.actual, r.possible) if r else (0, 0, 0)
        r = result["overall"][name]
        found[scheme, "micro"] = (r.correct, r.actual, r.possible)
    return found


def f1(correct: int, actual: int, possible: int) -> float:
    return 2 * correct / (actual + possible) if actual + possible else float("nan")


def fitted_predictions(train: Split, held: Split, features: str) -> tuple[list[list[str]], float]:
    """What a tagger fitted as `train fit --features FEATURES` fits it (`train.model.fit_tagger`,
    the defaults otherwise) predicts for `held`, and the fit's seconds."""
    from newsgold.train.features import context_for
    from newsgold.train.model import fit_tagger

    started = time.perf_counter()
    tagger = fit_tagger(train, features=features)
    seconds = time.perf_counter() - started
    return tagger.predict(held.tokens, context_for(features, held.texts, held.offsets)), seconds


def tagger_part() -> list[list[str]]:
    """Rows: split, features, then strict and overlap F1 per label and micro, fit seconds."""
    from newsgold.train.features import KINDS

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        dataset = re3d_dataset(Path(folder))
        train = load_split(dataset, "train")
        held = joined(load_split(dataset, "validation"), load_split(dataset, "test"))
        everything = joined(train, held)
    sources = _sources(everything)
    folds = [
        (
            _subset(everything, [i for i, s in enumerate(sources) if s != source]),
            _subset(everything, [i for i, s in enumerate(sources) if s == source]),
        )
        for source in sorted(set(sources))
    ]
    views = {
        f"story split ({len(train.tokens)} train / {len(held.tokens)} held-out docs)": [(train, held)],
        f"leave one source out ({len(folds)} folds, pooled)": folds,
    }
    for view, pairs in views.items():
        for features in reversed(KINDS):  # plain first
            pooled, seconds = {}, 0.0
            for fold_train, fold_held in pairs:
                predicted, spent = fitted_predictions(fold_train, fold_held, features)
                seconds += spent
                for key, value in counts(fold_held.tags, predicted).items():
                    pooled[key] = tuple(a + b for a, b in zip(pooled.get(key, (0, 0, 0)), value))
            cells = [f"{f1(*pooled[scheme, label]):.3f}" for scheme in SCHEMES for label in LABELS + ["micro"]]
            rows.append([view, features, *cells, f"{seconds:.1f}"])
    return rows


_SOURCE_OF: dict[str, str] = {}


def _sources(split: Split) -> list[str]:
    """The re3d source (folder) of each document, found by its text in the re3d files."""
    import json

    if not _SOURCE_OF:
        from newsgold.annotate.documents import normalize_text

        for path in sorted(RE3D.glob("*/documents.json")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    _SOURCE_OF[normalize_text(json.loads(line)["text"])] = path.parent.name
    return [_SOURCE_OF[text] for text in split.texts]


def _subset(split: Split, keep: list[int]) -> Split:
    return Split(
        *(
            [getattr(split, name)[i] for i in keep]
            for name in ("tokens", "tags", "annotated_labels", "texts", "offsets")
        )
    )


VARIANTS = {
    "plain features": ("plain", {}),
    "pipeline, as chosen": ("pipeline", {}),
    "  + head tag and dependency": ("pipeline", {"OWN": ("t", "l", "d", "e", "hl", "ht", "hd")}),
    "  window 2": ("pipeline", {"PIPELINE_WINDOW": 2}),
    "  + neighbours' lemmas": ("pipeline", {"NEAR": ("t", "d", "e", "l")}),
}


def tagger_cv_part() -> list[list[str]]:
    """Rows: variant, strict micro F1 mean ± sd over the folds, difference from the chosen set, folds won."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    from newsgold.annotate.dataset import open_dataset
    from newsgold.train import features as module
    from newsgold.train.features import context_for
    from newsgold.train.model import fit_tagger

    with tempfile.TemporaryDirectory() as folder:
        dataset = re3d_dataset(Path(folder))
        train = load_split(dataset, "train")
        stories = open_dataset(dataset)["train"]["story_id"]
    chosen = {name: getattr(module, name) for name in ("OWN", "NEAR", "PIPELINE_WINDOW")}
    scores: dict[str, list[float]] = {name: [] for name in VARIANTS}
    try:
        for seed in (0, 1):
            order = sorted(set(stories))
            np.random.default_rng(seed).shuffle(order)
            groups = [order.index(story) for story in stories]
            for inside, outside in GroupKFold(5).split(train.tokens, groups=groups):
                fold_train, fold_held = _subset(train, list(inside)), _subset(train, list(outside))
                for name, (features, settings) in VARIANTS.items():
                    for key, value in {**chosen, **settings}.items():
                        setattr(module, key, value)
                    tagger = fit_tagger(fold_train, features=features)
                    predicted = tagger.predict(
                        fold_held.tokens, context_for(features, fold_held.texts, fold_held.offsets)
                    )
                    scores[name].append(f1(*counts(fold_held.tags, predicted)["strict", "micro"]))
    finally:
        for key, value in chosen.items():
            setattr(module, key, value)
    base = np.array(scores["pipeline, as chosen"])
    rows = []
    for name, values in scores.items():
        values = np.array(values)
        gain = values - base
        rows.append(
            [
                name,
                f"{values.mean():.3f} ± {values.std():.3f}",
                f"{gain.mean():+.3f} ± {gain.std():.3f}",
                f"{int((gain > 0).sum())}/{len(gain)}",
            ]
        )
    return rows


def tagger_speed_part() -> list[list[str]]:
    """Rows: tagger, layer cache, documents, words, seconds, documents/s, words/s."""
    import os

    from newsgold.annotate.documents import make_document
    from newsgold.train.model import fit_tagger
    from newsgold.train.predict import TaggerAnnotator
    from tests.bench.corpus import news_documents

    with tempfile.TemporaryDirectory() as folder:
        train = load_split(re3d_dataset(Path(folder)), "train")
    texts = news_documents(300, seed=11)
    documents = [make_document(text, f"bench-{i}", f"bench-{i}") for i, text in enumerate(texts)]
    words = sum(len(t.split()) for t in texts)
    rows, before = [], os.environ.get("NEWSGOLD_CACHE")
    with tempfile.TemporaryDirectory() as cache:
        os.environ["NEWSGOLD_CACHE"] = cache  # a cold cache: nothing of these texts parsed yet
        try:
            for features, runs in (("plain", ("–",)), ("pipeline", ("cold", "warm"))):
                annotator = TaggerAnnotator(fit_tagger(train, features=features), "bench")
                for run in runs:
                    started = time.perf_counter()
                    done = sum(1 for _ in annotator.annotate_many(documents))
                    seconds = time.perf_counter() - started
                    rows.append(
                        [
                            features,
                            run,
                            str(done),
                            str(words),
                            f"{seconds:.1f}",
                            f"{done / seconds:.0f}",
                            f"{words / seconds:.0f}",
                        ]
                    )
        finally:
            if before is None:
                del os.environ["NEWSGOLD_CACHE"]
            else:
                os.environ["NEWSGOLD_CACHE"] = before
    return rows


def rules_part() -> list[list[str]]:
    """Rows: rules, corpus, strict and overlap micro P/R/F1 of the spans, strict relation F1."""
    from newsgold.annotate import api
    from newsgold.annotate.preannotate import RuleAnnotator

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_rules_layer import predict, records

    gold = ROOT / "seeds" / "gold"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        api.convert_re3d(RE3D, tmp / "re3d.jsonl")
        corpora = {
            "seeds (tuned on)": gold / "seeds.jsonl",
            "starter development split": gold / "starter" / "validation.jsonl",
            "re3d (its own labels: ACTOR, LOCATION, COUNT)": tmp / "re3d.jsonl",
        }
        for name, annotator in (("rules alone", RuleAnnotator(pipeline=False)), ("rules + pipeline", RuleAnnotator())):
            annotator.warm_up()
            for corpus, path in corpora.items():
                predicted = predict(annotator, records(path), tmp / f"{len(rows)}.jsonl")
                report = api.score(path, predicted)
                strict, overlap = report["micro"]["strict"], report["micro"]["partial"]
                relations = report["relations"]["micro"]["strict"]["f1"] if report["relations"]["types"] else None
                rows.append(
                    [
                        name,
                        corpus,
                        *(
                            f"{x:.3f}"
                            for x in (
                                strict["precision"],
                                strict["recall"],
                                strict["f1"],
                                overlap["precision"],
                                overlap["recall"],
                                overlap["f1"],
                            )
                        ),
                        "–" if relations is None else f"{relations:.3f}",
                    ]
                )
    return rows


def re3d_texts() -> list[str]:
    import json

    return [
        json.loads(line)["text"]
        for folder in sorted(RE3D.iterdir())
        if folder.is_dir()
        for line in (folder / "documents.json").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def throughput_part(copies: int = 4) -> list[list[str]]:
    """Rows: run, documents, words, seconds — a cold and a warm `annotate preannotate` as whole processes."""
    import json
    import os

    texts = re3d_texts()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        docs = tmp / "docs.jsonl"
        lines = [json.dumps({"text": f"Report {n + 1} of {copies}.\n\n{t}"}) for n in range(copies) for t in texts]
        docs.write_text("\n".join(lines) + "\n")
        words = sum(len(json.loads(line)["text"].split()) for line in lines)
        env = {**os.environ, "NEWSGOLD_CACHE": str(tmp / "cache")}
        annotate = str(Path(sys.executable).parent / "annotate")
        # the place index cached first (one short document), so that the cold run differs from the
        # warm one only in the texts it parses
        (tmp / "one.txt").write_text("Fighters crossed into Syria.")
        subprocess.run(
            [annotate, "preannotate", str(tmp / "one.txt"), "-o", str(tmp / "one.jsonl")],
            env=env,
            check=True,
            capture_output=True,
        )
        seconds = {}
        for run in ("cold (texts new to the cache)", "warm (the same texts again)"):
            started = time.perf_counter()
            subprocess.run(
                [annotate, "preannotate", str(docs), "-o", str(tmp / f"{len(seconds)}.jsonl")],
                env=env,
                check=True,
                capture_output=True,
            )
            seconds[run] = time.perf_counter() - started
    cold, warm = seconds.values()
    rows = [[run, str(len(lines)), f"{words:,}", f"{t:.2f}"] for run, t in seconds.items()]
    rows.append(["warm / cold (target <= 0.3)", "", "", f"{warm / cold:.3f}"])
    rows.append(
        [
            f"words/s parsed on {os.cpu_count()} cores, (cold - warm) / words (target >= 10,000)",
            "",
            "",
            f"{words / (cold - warm):,.0f}",
        ]
    )
    return rows


def ops_part() -> list[list[str]]:
    """Rows: thinc ops, words/s in one process, tokens whose analysis differs from blis's."""
    import warnings

    import spacy
    from thinc.api import use_ops
    from threadpoolctl import threadpool_limits

    from newsgold.annotate.language import DEFAULT

    texts = re3d_texts() * 2
    words = sum(len(t.split()) for t in texts)
    rows, first = [], None
    for name, options in (
        ("blis (thinc's default)", {"use_blis": True}),
        ("numpy, one BLAS thread (the layer's)", {"use_blis": False}),
    ):
        with warnings.catch_warnings(), use_ops("numpy", **options):
            warnings.simplefilter("ignore")
            nlp = spacy.load(DEFAULT)
        list(nlp.pipe(texts[:10]))
        with threadpool_limits(limits=1, user_api="blas"):
            started = time.perf_counter()
            docs = list(nlp.pipe(texts))
            seconds = time.perf_counter() - started
        seen = [(t.tag_, t.dep_, t.head.i, t.ent_iob_, t.ent_type_, t.lemma_) for d in docs for t in d]
        differ = "–" if first is None else str(sum(a != b for a, b in zip(first, seen)))
        first = first or seen
        rows.append([name, f"{words / seconds:,.0f}", f"{differ} of {len(seen):,}" if differ != "–" else "–"])
    return rows


RULES_HEADER = [
    "rules",
    "corpus",
    "strict P",
    "strict R",
    "strict F1",
    "overlap P",
    "overlap R",
    "overlap F1",
    "relations F1",
]
THROUGHPUT_HEADER = ["run", "docs", "words", "seconds"]
OPS_HEADER = ["ops", "words/s, one process", "tokens analysed otherwise"]
TAGGER_HEADER = ["split", "features", *(f"{s} {l}" for s in SCHEMES for l in ("ACT", "LOC", "CNT", "micro")), "fit s"]
SPEED_HEADER = ["features", "cache", "docs", "words", "seconds", "docs/s", "words/s"]
CV_HEADER = ["variant", "strict micro F1", "vs chosen", "won"]
PARTS = {
    "tagger": (tagger_part, TAGGER_HEADER),
    "tagger_cv": (tagger_cv_part, CV_HEADER),
    "tagger_speed": (tagger_speed_part, SPEED_HEADER),
    "rules": (rules_part, RULES_HEADER),
    "throughput": (throughput_part, THROUGHPUT_HEADER),
    "ops": (ops_part, OPS_HEADER),
}
DEFAULT = ("tagger", "tagger_speed", "rules", "throughput", "ops")


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    lines = [
        "  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
        for r in [header] + rows
    ]
    return "\n".join([lines[0], "-" * len(lines[0])] + lines[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default=",".join(DEFAULT), help=f"comma-separated, of: {', '.join(PARTS)}")
    chosen = parser.parse_args().parts.split(",")
    for name in chosen:
        function, header = PARTS[name]
        print(f"== {name}: {function.__doc__.splitlines()[0]}")
        print(table(header, function()))
        print()


if __name__ == "__main__":
    main()
