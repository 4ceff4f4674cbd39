"""The learned argument linker against the rules' relation builder (issue 22, item 4).

On the starter gold (seeds/gold/starter/): the linker is fitted on the train split and its window
and C chosen on the validation split's gold spans. Without `--final` everything is scored on the
validation split and on the blind development set (`blind-dev.jsonl`: the 18 re3d documents the
starter gold left out, annotated once, blind; nothing is trained or chosen on it, so it is the
unbiased development figure); with `--final` (once, at the end) on the TEST split: the rules and the linker
on gold spans (linking alone) and end to end (spans predicted by rules + the starter model as
`--model starter` merges them), with the event scores (annotate.eventscoring: trigger
identification, argument classification per role and micro, strict and overlap, counts), the
differences against the rules measured in the same run, and a learning curve of the linker over
fractions of the training gold (exports/bench_events_curve.png).

    .venv/bin/python tests/bench/bench_events.py [--final]
    .venv/bin/python tests/bench/bench_events.py --time   # the starter build's fit times

The linker learns from the gold spans and from the rules' spans of the training documents
(`noisy`); the row "linker (gold spans only)" is the same linker without those, the row "linker
(+ cross-fitted tagger spans)" learns from the spans rules + tagger predict for each training
document with the tagger fitted on the other folds (3, by story) instead of the rules' spans. The end-to-end
table also scores the rules alone (their own spans and relations: the pre-annotation without a
model) and `--model starter` as it ships (its relation builder chosen on the validation split),
and prints the ceiling of any linker on the predicted spans.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from newsgold.annotate.eventscoring import event_scores  # noqa: E402
from newsgold.annotate.preannotate import RuleAnnotator  # noqa: E402
from newsgold.annotate.preannotate.merge import MergedAnnotator  # noqa: E402
from newsgold.annotate.preannotate.relations import find_relations  # noqa: E402
from newsgold.annotate.preannotator import annotate_all  # noqa: E402
from newsgold.annotate.schema import load_schema  # noqa: E402
from newsgold.annotate.scoring import cell  # noqa: E402
from newsgold.train.linker import compare, fit_linker, linked_records, views  # noqa: E402
from newsgold.train.model import load_model  # noqa: E402
from newsgold.train.predict import TaggerAnnotator  # noqa: E402

GOLD = ROOT / "seeds" / "gold" / "starter"
SCHEMA = load_schema()
ENDS, LABELS = SCHEMA.relation_ends, list(SCHEMA.label_names)
SETS = {
    "validation": "validation split",
    "blind-dev": "blind development set (18 documents annotated once, blind; never trained or chosen on)",
}
GRID = [dict(C=c, same_sentence=True, reach=r) for c in (1.0, 3.0) for r in (None, 20, 30)] + [
    dict(C=3.0, same_sentence=False, reach=15)
]


def read(name: str) -> list[dict]:
    return [json.loads(line) for line in (GOLD / f"{name}.jsonl").read_text().splitlines() if line.strip()]


def figures(gold: list[dict], predicted: dict) -> dict:
    report = event_scores(gold, predicted, SCHEMA, LABELS)
    arg = report["argument_classification"]
    row = {
        "trigger_strict": report["triggers"]["strict"]["f1"],
        "arg_strict": arg["micro"]["strict"]["f1"],
        "arg_overlap": arg["micro"]["overlap"]["f1"],
    }
    for role, schemes in arg["roles"].items():
        row[f"{role}_strict"] = schemes["strict"]["f1"]
    for name, schemes in report["relations"]["types"].items():
        row[f"{name}_strict"] = schemes["strict"]["f1"]
    return row


def show(title: str, rows: dict[str, dict]) -> None:
    keys = list(next(iter(rows.values())))
    print(f"\n## {title}\n| relations by | " + " | ".join(keys) + " |\n|---|" + "---|" * len(keys))
    for name, row in rows.items():
        print(f"| {name} | " + " | ".join(cell(row[k]) for k in keys) + " |")
    rules, linker = rows["rules"], rows["linker"]
    if rules["arg_strict"] is not None and linker["arg_strict"] is not None:
        print(
            f"argument classification F1 (strict): linker - rules = {linker['arg_strict'] - rules['arg_strict']:+.3f}"
            + (f", linker / rules = {linker['arg_strict'] / rules['arg_strict']:.2f}" if rules["arg_strict"] else "")
        )


def end_to_end(gold: list[dict], linkers: dict) -> tuple[dict[str, dict], dict]:
    """Rules + starter spans; relations by the rules, then by each linker of `linkers` (name ->
    linker), then as `--model starter` ships them (its own choice); and the records predicted
    with the rules' relations (their spans are every row's)."""
    from newsgold.annotate.documents import Document
    from newsgold.annotate.preannotate.merge import load_merged

    tagger, metadata = load_model("starter", expected_hash=SCHEMA.hash)
    rules = RuleAnnotator().warm_up()
    documents = [Document(r["id"], r["text"], r.get("source") or "", r.get("story_id"), {}) for r in gold]
    alone = {a.document.id: a.to_record() for a in annotate_all(rules, documents)}
    rows, spans = {"rules alone (their own spans)": figures(gold, alone)}, None
    for name, link in (("rules", None), *linkers.items()):
        model = TaggerAnnotator(tagger, metadata["model_version"], metadata.get("annotated_in"), link)
        predicted = {a.document.id: a.to_record() for a in annotate_all(MergedAnnotator(rules, model), documents)}
        rows[name] = figures(gold, predicted)
        spans = spans or predicted
    shipped = load_merged("starter", SCHEMA.hash, rules)
    predicted = {a.document.id: a.to_record() for a in annotate_all(shipped, documents)}
    rows[f"--model starter (draws with the {metadata.get('relations')})"] = figures(gold, predicted)
    return rows, spans


def _roles(record: dict) -> list[tuple[tuple, tuple]]:
    """(trigger span, argument span) of each gold argument (a relation of a role), spans as
    (start, end, label)."""
    at = {s["id"]: (s["start"], s["end"], s["label"]) for s in record.get("spans") or []}
    roles = {name for name, (head, _) in ENDS.items() if head == SCHEMA.event_trigger}
    return [
        (at[r["head"]], at[r["tail"]])
        for r in record.get("relations") or []
        if r["label"] in roles and r["head"] in at and r["tail"] in at
    ]


def ceiling(gold: list[dict], predicted: dict) -> str:
    """What any linker can reach on the predicted spans: the share of gold arguments whose
    trigger and argument spans are both predicted exactly (strict), and the F1 of a perfect
    linker on them (every such argument, nothing else)."""
    arguments = reachable = 0
    for record in gold:
        spans = {(s["start"], s["end"], s["label"]) for s in predicted.get(record["id"], {}).get("spans") or []}
        for head, tail in _roles(record):
            arguments += 1
            reachable += head in spans and tail in spans
    share = reachable / arguments if arguments else 0.0
    return (
        f"ceiling on these spans: {reachable}/{arguments} gold arguments ({share:.3f}) have both their trigger "
        f"and argument predicted exactly; a perfect linker on them: argument classification F1 (strict) "
        f"{2 * share / (1 + share):.3f}"
    )


def human_agreement() -> str:
    """The human ceiling end to end: how two annotators' relations agree, each drawn over their
    own spans (seeds/gold/starter/agreement.json, the documents annotated twice)."""
    report = json.loads((GOLD / "agreement.json").read_text())
    relations = report["first_vs_second"]["relations"]
    roles = ", ".join(f"{name} {relations[name]['strict']:.3f}" for name in relations if name != "micro")
    return (
        f"human agreement end to end ({report['documents']} documents annotated twice, first vs second "
        f"annotator, each over their own spans; relation F1 strict): micro {relations['micro']['strict']:.3f} ({roles})"
    )


def outside_window(gold: list[dict], docs, params: dict) -> str:
    """The share of gold arguments the linker's window leaves out (on gold spans)."""
    from newsgold.train.linker import record_relations, record_spans
    from newsgold.train.linkfeatures import candidate_pairs, label_pairs

    pairs = label_pairs(ENDS)
    total = out = 0
    for record, doc in zip(gold, docs):
        spans, ids = record_spans(record, doc)
        window = set(candidate_pairs(doc, spans, pairs, params["same_sentence"], params["reach"]))
        for h, t, name in record_relations(record, ids):
            if ENDS[name][0] == SCHEMA.event_trigger:
                total += 1
                out += (h, t) not in window
    return f"gold arguments outside the linker's window ({params}): {out}/{total}"


def crossfitted(train: list[dict], docs, folds: int = 3) -> list:
    """The spans rules + the starter's tagger (merged as `--model starter` merges them) predict for
    each training document, the tagger fitted on the other folds (whole stories per fold)."""
    import tempfile

    from newsgold.annotate.dataset import Split, load_split
    from newsgold.annotate.documents import Document
    from newsgold.annotate.export import export_dataset
    from newsgold.train.linker import record_spans
    from newsgold.train.model import fit_tagger
    from newsgold.train.starter import ANNOTATED_IN, gold_file

    with tempfile.TemporaryDirectory() as tmp:
        export_dataset(Path(tmp) / "dataset", from_file=gold_file(), ratios=(1.0, 0.0, 0.0))
        split = load_split(Path(tmp) / "dataset", "train")
    row = {text: k for k, text in enumerate(split.texts)}
    stories = sorted({r.get("story_id") or r["id"] for r in train})
    fold = [stories.index(r.get("story_id") or r["id"]) % folds for r in train]
    rules, found = RuleAnnotator().warm_up(), [None] * len(train)
    for f in range(folds):
        rest = [row[r["text"]] for r, k in zip(train, fold) if k != f]
        part = Split(
            *(
                [getattr(split, name)[k] for k in rest]
                for name in ("tokens", "tags", "annotated_labels", "texts", "offsets")
            )
        )
        model = TaggerAnnotator(fit_tagger(part, features="pipeline"), "crossfit", ANNOTATED_IN)
        held = [k for k in range(len(train)) if fold[k] == f]
        documents = [Document(train[k]["id"], train[k]["text"], "", None, {}) for k in held]
        for k, annotated in zip(held, annotate_all(MergedAnnotator(rules, model), documents)):
            found[k] = record_spans(annotated.to_record(), docs[k])[0]
    return found


def fit_time() -> None:
    """The starter model's build steps timed alone, in one run: its gold exported as the starter
    builds it, then `fit_model` (the tagger's fit, then the linker's step: fit and choice)."""
    import tempfile

    from newsgold.annotate.export import export_dataset
    from newsgold.train.model import fit_model
    from newsgold.train.starter import gold_file

    development = [json.loads(line) for line in gold_file("validation").read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        export_dataset(Path(tmp) / "dataset", from_file=gold_file(), ratios=(1.0, 0.0, 0.0))
        metadata = fit_model(Path(tmp) / "dataset", Path(tmp) / "model", development=development)
    linking = metadata["linker"]
    print(
        f"\n## fit time on the starter gold ({metadata['train_documents']} train documents)\n"
        f"tagger fit: {metadata['fit_seconds']:.2f} s; linker step (fit on {linking.get('candidates')} candidate "
        f"pairs, choice on {linking.get('chosen_on')}): {linking['fit_seconds']:.2f} s; draws the relations: "
        f"{linking['relations']}"
    )


def curve(train, train_docs, gold, gold_docs, params, out: Path) -> list[tuple[int, float]]:
    points = []
    for fraction in (0.1, 0.25, 0.5, 0.75, 1.0):
        n = max(2, round(fraction * len(train)))
        linker = fit_linker(train[:n], ENDS, LABELS, True, train_docs[:n], **params)
        points.append((n, figures(gold, linked_records(gold, linker.link, gold_docs))["arg_strict"]))
    rules = figures(gold, linked_records(gold, find_relations, gold_docs))["arg_strict"]
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no PNG")
        return points
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label="learned linker")
    ax.axhline(rules, color="grey", linestyle="--", label="rules")
    ax.set_xlabel("training documents (starter gold train split)")
    ax.set_ylabel("argument classification F1 (strict, gold spans)")
    ax.legend()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120, bbox_inches="tight")
    print(f"wrote {out}")
    return points


def main() -> None:
    final = "--final" in sys.argv
    if "--time" in sys.argv:
        fit_time()
        return
    train, validation = read("train"), read("validation")
    train_docs, validation_docs = views([r["text"] for r in train]), views([r["text"] for r in validation])
    print("## choice on the validation split (gold spans; relation F1 strict)")
    best, best_f1 = None, -1.0
    for params in GRID:
        started = time.perf_counter()
        linker = fit_linker(train, ENDS, LABELS, True, train_docs, **params)
        seconds = time.perf_counter() - started
        f1 = compare(linker, validation, ENDS, LABELS, validation_docs)["linker"]["relation_f1"]
        print(f"{params}: linker relation F1 {f1:.3f} (fit {seconds:.2f} s)")
        if f1 > best_f1:
            best, best_f1 = params, f1
    print(f"chosen: {best}")
    linkers = {
        "linker": fit_linker(train, ENDS, LABELS, True, train_docs, **best),
        "linker (gold spans only)": fit_linker(train, ENDS, LABELS, True, train_docs, **{**best, "noisy": False}),
        "linker (+ cross-fitted tagger spans)": fit_linker(
            train, ENDS, LABELS, True, train_docs, crossfitted(train, train_docs), **best
        ),
    }
    for name in ("test",) if final else ("validation", "blind-dev"):
        gold = validation if name == "validation" else read(name)
        gold_docs = validation_docs if name == "validation" else views([r["text"] for r in gold])
        where = "TEST split (final)" if final else SETS[name]
        report(
            where, gold, gold_docs, train, train_docs, linkers, best, curve_out=None if name == "blind-dev" else final
        )


def report(where, gold, gold_docs, train, train_docs, linkers, best, curve_out) -> None:
    """Every table of one gold set (see the module); the learning curve unless `curve_out` is None
    (True: the final PNG, False: the development one)."""
    linker = linkers["linker"]
    show(
        f"{where}: gold spans (linking alone)",
        {
            "rules": figures(gold, linked_records(gold, find_relations, gold_docs)),
            **{name: figures(gold, linked_records(gold, one.link, gold_docs)) for name, one in linkers.items()},
        },
    )
    print(outside_window(gold, gold_docs, best))
    rows, spans = end_to_end(gold, linkers)
    show(f"{where}: end to end (rules + starter spans)", rows)
    print(ceiling(gold, spans))
    print(human_agreement())
    predicted = [spans[r["id"]] for r in gold]
    sweep = []
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7):
        linker.threshold = threshold
        sweep.append(
            f"{threshold}: {cell(figures(gold, linked_records(predicted, linker.link, gold_docs))['arg_strict'])}"
        )
    linker.threshold = 0.5
    print("linker end to end at decision thresholds (arg F1 strict): " + ", ".join(sweep))
    if curve_out is None:
        return
    points = curve(
        train,
        train_docs,
        gold,
        gold_docs,
        best,
        ROOT / "exports" / f"bench_events_curve{'' if curve_out else '_validation'}.png",
    )
    print("learning curve (documents: arg F1 strict on gold spans): " + ", ".join(f"{n}: {cell(f)}" for n, f in points))


if __name__ == "__main__":
    main()
