"""Rules alone, the tagger alone and every merge policy of `annotate.preannotate.merge`, scored
per label and overall (strict and overlap P/R/F1, nervaluate through `annotate.scoring`):

(a) on our own gold, annotated under our guidelines (seeds/gold/seeds.jsonl: the rules'
    development set; seeds/gold/heldout.jsonl: re3d texts annotated blind), with a tagger trained
    on the whole shipped re3d corpus except those held-out texts (they are re3d documents);
(b) on re3d's own held-out split (validation + test of `annotate export`'s story-grouped split),
    with a tagger trained on its train split; scored on the labels re3d is gold for.

    .venv/bin/python tests/bench/bench_merge.py

Requirement for the default policy: on (a) its overlap precision is not below the rules' alone.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from newsgold.annotate import convert_re3d, export_dataset  # noqa: E402
from newsgold.annotate.documents import Document  # noqa: E402
from newsgold.annotate.preannotate import MergedAnnotator, RuleAnnotator  # noqa: E402
from newsgold.annotate.preannotate.merge import DEFAULT_POLICY, OWN_GOLD_POLICY, POLICIES  # noqa: E402
from newsgold.annotate.scoring import cell, score_documents  # noqa: E402
from newsgold.train import fit  # noqa: E402
from newsgold.train.model import load_model  # noqa: E402
from newsgold.train.predict import TaggerAnnotator  # noqa: E402

GOLD = ROOT / "seeds" / "gold"
LABELS = ["ACTOR", "LOCATION", "COUNT", "ACTION"]
SCHEMES = ("strict", "ent_type")  # ent_type: the label right and the boundaries overlapping


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def document(record: dict) -> Document:
    return Document(record["id"], record["text"], record.get("source") or "", record.get("story_id"), {})


def tagger(dataset: Path, out: Path) -> TaggerAnnotator:
    fit(dataset, out)
    model, metadata = load_model(out, dataset)
    return TaggerAnnotator(model, metadata["model_version"])


def table(title: str, gold: list[dict], model: TaggerAnnotator, rules: RuleAnnotator) -> dict:
    docs = [document(r) for r in gold]
    print(
        f"\n## {title}: {len(gold)} documents, {sum(len(r['spans']) for r in gold)} gold spans; "
        f"tagger learned {', '.join(model.labels)}"
    )
    print(
        "| policy | label | strict P | strict R | strict F1 | overlap P | overlap R | overlap F1 | gold | predicted |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    micro = {}
    for name in POLICIES:
        merged = MergedAnnotator(rules, model, name)
        predicted = [a.to_record() for a in merged.annotate_many(docs)]
        report = score_documents(gold, predicted, LABELS, schemes=SCHEMES)
        rows = list(report["labels"].items()) + [("micro", report["micro"])]
        for label, schemes in rows:
            s, o = schemes["strict"], schemes["ent_type"]
            if not s.gold and not s.predicted:
                continue
            shown = f"**{name}**" if name in (DEFAULT_POLICY, OWN_GOLD_POLICY) else name
            print(
                f"| {shown} | {label} | {cell(s.precision)} | {cell(s.recall)} | {cell(s.f1)} | {cell(o.precision)} "
                f"| {cell(o.recall)} | {cell(o.f1)} | {s.gold} | {s.predicted} |"
            )
        micro[name] = report["micro"]
    return micro


def main() -> None:
    rules = RuleAnnotator().warm_up()
    heldout = read(GOLD / "heldout.jsonl")
    ours = read(GOLD / "seeds.jsonl") + heldout
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        convert_re3d(ROOT / "seeds" / "corpora" / "re3d", tmp / "re3d.jsonl")
        texts = {r["text"] for r in heldout}
        corpus = read(tmp / "re3d.jsonl")
        kept = [r for r in corpus if r["text"] not in texts]
        assert len(corpus) - len(kept) == len(heldout), "the held-out texts are not all in re3d"
        (tmp / "re3d-all.jsonl").write_text("".join(json.dumps(r) + "\n" for r in kept))
        export_dataset(tmp / "all", from_file=tmp / "re3d-all.jsonl", ratios=(1.0, 0.0, 0.0))
        export_dataset(tmp / "split", from_file=tmp / "re3d.jsonl")
        on_ours = table(
            "(a) our gold (seeds + held-out), tagger trained on re3d without the held-out texts",
            ours,
            tagger(tmp / "all", tmp / "model-all"),
            rules,
        )
        on_seeds_heldout = table(
            "(a') our held-out gold alone (4 re3d texts annotated blind)",
            heldout,
            tagger(tmp / "all", tmp / "model-all"),
            rules,
        )
        split = [r for part in ("validation", "test") for r in read(tmp / "split" / "jsonl" / f"{part}.jsonl")]
        on_re3d = table(
            "(b) re3d held-out split (validation + test), tagger trained on its train split",
            split,
            tagger(tmp / "split", tmp / "model-split"),
            rules,
        )
    for title, micro in (("our gold", on_ours), ("our held-out gold", on_seeds_heldout)):
        base, chosen = micro["rules"]["ent_type"].precision, micro[DEFAULT_POLICY]["ent_type"].precision
        verdict = "met" if chosen >= base else "NOT met"
        print(f"\n{title}: overlap precision of '{DEFAULT_POLICY}' {chosen:.3f} vs the rules' {base:.3f}: {verdict}")
    # (b) is the case of a model trained on gold made under the same conventions as the texts it
    # pre-annotates: what a team's own Label Studio export gives, merged by OWN_GOLD_POLICY.
    f1 = {name: on_re3d[name]["strict"].f1 for name in ("rules", "model", DEFAULT_POLICY, OWN_GOLD_POLICY)}
    print(
        f"\n(b), tagger and gold of the same conventions: strict F1 of '{OWN_GOLD_POLICY}' (the policy for a model "
        f"trained on Label Studio gold) {f1[OWN_GOLD_POLICY]:.3f}, the rules alone {f1['rules']:.3f}, the tagger "
        f"alone {f1['model']:.3f}, the guarded '{DEFAULT_POLICY}' {f1[DEFAULT_POLICY]:.3f}"
    )


if __name__ == "__main__":
    main()
