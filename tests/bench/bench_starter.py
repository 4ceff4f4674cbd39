"""What pre-annotation saves annotators (issue 21): the rules alone, the starter model alone and
rules + starter model as `--model starter` merges them, scored against gold made blind under our
guidelines, beside the human agreement (the ceiling).

Gold sets: the starter gold's test split (seeds/gold/starter/test.jsonl: the final figures;
never tuned on) and the older held-out texts (seeds/gold/heldout.jsonl); `--dev` scores the
development split instead (what the rules are tuned on, with the train split), leaving the test
split untouched until the final figures.

The surface rules (`RuleAnnotator(pipeline=False)`: the rules before the language layer) are
scored beside them, for issue 26's gain over them. Per pre-annotator: strict and overlap (the label right, boundaries overlapping) P/R/F1 per label
and micro; relation P/R/F1 (annotate.relscoring: both endpoints and the type right); and the
edits an annotator needs to turn the pre-annotation into the gold (`status.compare_spans`:
changed + deleted + added spans) against annotating from scratch (every gold span added).

    .venv/bin/python tests/bench/bench_starter.py [--dev [--policies]]

`--policies` (with `--dev`) also scores rules + starter under every merge policy, the choice of
`merge.STARTER_POLICY`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from newsgold.annotate.documents import Document  # noqa: E402
from newsgold.annotate.preannotate import RuleAnnotator  # noqa: E402
from newsgold.annotate.preannotate.merge import load_merged  # noqa: E402
from newsgold.annotate.preannotator import annotate_all  # noqa: E402
from newsgold.annotate.schema import load_schema  # noqa: E402
from newsgold.annotate.scoring import cell, score_documents  # noqa: E402
from newsgold.annotate.spans import Span  # noqa: E402
from newsgold.annotate.studio.status import compare_spans  # noqa: E402
from newsgold.train.predict import load_preannotator  # noqa: E402

GOLD = ROOT / "seeds" / "gold"
SCHEMA = load_schema()
LABELS = list(SCHEMA.label_names)
SCHEMES = ("strict", "ent_type")  # ent_type: the label right and the boundaries overlapping
TARGETS = "overlap F1 >= 0.75 at overlap P >= 0.85; ACTION overlap R >= 0.65; strict micro F1 >= 0.65; edits <= 0.50"


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def document(record: dict) -> Document:
    return Document(record["id"], record["text"], record.get("source") or "", record.get("story_id"), {})


def edits(gold: list[dict], predicted: list[dict]) -> tuple[int, int]:
    """The edits from the pre-annotations to the gold, and from nothing (every gold span added)."""
    needed = scratch = 0
    for g, p in zip(gold, predicted):
        outcomes = compare_spans([Span.from_dict(s) for s in p["spans"]], [Span.from_dict(s) for s in g["spans"]])
        needed += sum(1 for _, outcome in outcomes if outcome != "kept")
        scratch += len(g["spans"])
    return needed, scratch


def scored(gold: list[dict], annotator) -> dict:
    predicted = [a.to_record() for a in annotate_all(annotator, [document(r) for r in gold])]
    report = score_documents(gold, predicted, LABELS, schemes=SCHEMES, relation_ends=SCHEMA.relation_ends)
    report["edits"] = edits(gold, predicted)
    return report


def table(title: str, gold: list[dict], annotators: dict) -> dict:
    print(
        f"\n## {title}: {len(gold)} documents, {sum(len(r['spans']) for r in gold)} gold spans, "
        f"{sum(len(r['relations']) for r in gold)} gold relations"
    )
    print(
        "| pre-annotator | label | strict P | strict R | strict F1 | overlap P | overlap R | overlap F1 | gold | predicted |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    reports = {}
    for name, annotator in annotators.items():
        report = reports[name] = scored(gold, annotator)
        rows = [*report["labels"].items(), ("**micro**", report["micro"])]
        rel = report["relations"]
        rows.append(("relations", {"strict": rel["micro"]["strict"], "ent_type": rel["micro"]["overlap"]}))
        for label, schemes in rows:
            s, o = schemes["strict"], schemes["ent_type"]
            print(
                f"| {name} | {label} | {cell(s.precision)} | {cell(s.recall)} | {cell(s.f1)} | {cell(o.precision)} "
                f"| {cell(o.recall)} | {cell(o.f1)} | {s.gold} | {s.predicted} |"
            )
    print("\n| pre-annotator | edits to the gold | from scratch | ratio |\n|---|---|---|---|")
    for name, report in reports.items():
        needed, scratch = report["edits"]
        print(f"| {name} | {needed} | {scratch} | {needed / scratch:.3f} |")
    return reports


def verdict(report: dict) -> str:
    o, s = report["micro"]["ent_type"], report["micro"]["strict"]
    action = report["labels"]["ACTION"]["ent_type"].recall
    needed, scratch = report["edits"]
    checks = [o.f1 >= 0.75 and o.precision >= 0.85, action >= 0.65, s.f1 >= 0.65, needed / scratch <= 0.50]
    return (
        f"overlap F1 {o.f1:.3f} at P {o.precision:.3f}, ACTION overlap R {action:.3f}, strict F1 {s.f1:.3f}, "
        f"edits {needed / scratch:.3f}: {sum(checks)} of 4 targets met"
    )


def main() -> None:
    rules = RuleAnnotator().warm_up()
    annotators = {
        "surface rules (no layer)": RuleAnnotator(pipeline=False).warm_up(),
        "rules": rules,
        "starter": load_preannotator("starter", SCHEMA.hash),
        "rules + starter": load_merged("starter", SCHEMA.hash, rules),
    }
    agreement = json.loads((GOLD / "starter" / "agreement.json").read_text())
    human = agreement["first_vs_second"]
    print(
        f"Human agreement on {agreement['documents']} documents annotated twice (F1, first vs second "
        f"annotator): spans strict {human['spans']['micro']['strict']:.3f} / partial "
        f"{human['spans']['micro']['partial']:.3f}; relations strict {human['relations']['micro']['strict']:.3f} "
        f"/ overlap {human['relations']['micro']['overlap']:.3f}"
    )
    sets = [("starter test split", GOLD / "starter" / "test.jsonl"), ("older held-out texts", GOLD / "heldout.jsonl")]
    if "--dev" in sys.argv:  # while tuning: the development split only, the test split untouched
        sets = [("starter development split (tuned on)", GOLD / "starter" / "validation.jsonl")]
    results = {title: table(title, read(path), annotators) for title, path in sets}
    if "--policies" in sys.argv and "--dev" in sys.argv:
        from newsgold.annotate.preannotate.merge import POLICIES, MergedAnnotator

        gold = read(GOLD / "starter" / "validation.jsonl")
        print(
            "\n## rules + starter under each merge policy, development split\n"
            "| policy | strict F1 | overlap P | overlap R | overlap F1 | ACTION overlap R | edits | relations F1 |\n"
            "|---|---|---|---|---|---|---|---|"
        )
        for name in POLICIES:
            report = scored(gold, MergedAnnotator(rules, annotators["starter"], name))
            o, s = report["micro"]["ent_type"], report["micro"]["strict"]
            needed, scratch = report["edits"]
            print(
                f"| {name} | {s.f1:.3f} | {o.precision:.3f} | {o.recall:.3f} | {o.f1:.3f} | "
                f"{report['labels']['ACTION']['ent_type'].recall:.3f} | {needed / scratch:.3f} | "
                f"{report['relations']['micro']['strict'].f1:.3f} |"
            )
    print(f"\nTargets (issue 21): {TARGETS}")
    for title, reports in results.items():
        print(f"- {title}, rules + starter: {verdict(reports['rules + starter'])}")
        print(f"- {title}, rules alone: {verdict(reports['rules'])}")


if __name__ == "__main__":
    main()
