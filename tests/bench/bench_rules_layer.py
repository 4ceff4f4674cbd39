"""The rules alone against the rules reading the language layer, on what the rules may be tuned on.

    python tests/bench/bench_rules_layer.py

- seeds/gold/seeds.jsonl (2 articles, all four labels and relations; the rules were written
  looking at them): strict and overlap span P/R/F1 by the project's scorer (`api.score`), and
  relation P/R/F1 as `annotate score` counts them (its label and both endpoints exact: strict);
- the re3d corpus's own annotations (ACTOR = Person + Organisation, LOCATION = Location, COUNT =
  Quantity: other conventions, so read it for the recall of names and places, not as truth).

Never run on seeds/gold/heldout.jsonl: it is a measurement set, not a tuning one.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import orjson  # noqa: E402

from newsgold.annotate import api  # noqa: E402
from newsgold.annotate.documents import Document  # noqa: E402
from newsgold.annotate.jsonl import iter_jsonl  # noqa: E402
from newsgold.annotate.preannotate import RuleAnnotator  # noqa: E402
from newsgold.annotate.preannotator import annotate_all  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds" / "gold" / "seeds.jsonl"


def records(path: Path) -> list[dict]:
    return [record for _, record in iter_jsonl(path)]


def predict(annotator: RuleAnnotator, gold: list[dict], out: Path) -> Path:
    documents = [Document(r["id"], r["text"], r.get("source") or r["id"]) for r in gold]
    with open(out, "wb") as fh:
        for annotated in annotate_all(annotator, documents):
            fh.write(orjson.dumps(annotated.to_record()) + b"\n")
    return out


def span_line(report: dict, label: str) -> str:
    row = report["labels"][label] if label in report["labels"] else report["micro"]
    strict, overlap = row["strict"], row["partial"]
    fmt = lambda x: "  –  " if x is None else f"{x:.3f}"  # noqa: E731
    return (
        f"{label:9s} strict P {fmt(strict['precision'])} R {fmt(strict['recall'])} F1 {fmt(strict['f1'])}"
        f" | overlap P {fmt(overlap['precision'])} R {fmt(overlap['recall'])} F1 {fmt(overlap['f1'])}"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        re3d = tmp / "re3d.jsonl"
        api.convert_re3d(ROOT / "seeds" / "corpora" / "re3d", re3d)
        sets = {"seeds": (SEEDS, records(SEEDS)), "re3d": (re3d, records(re3d))}
        for name, annotator in (("rules alone", RuleAnnotator(pipeline=False)), ("rules + pipeline", RuleAnnotator())):
            annotator.warm_up()
            print(f"## {name} ({annotator.model_version})")
            for corpus, (path, gold) in sets.items():
                predicted = predict(annotator, gold, tmp / f"{corpus}-{len(name)}.jsonl")
                report = api.score(path, predicted)
                labels = ["ACTOR", "LOCATION", "COUNT"] + (["ACTION"] if corpus == "seeds" else [])
                print(f"{corpus}: spans")
                for label in labels + ["micro"]:
                    print("  " + span_line(report, label))
                if corpus == "seeds":  # relations as `annotate score` counts them (annotate.relscoring), strict
                    print("seeds: relations (gold, predicted, P, R, F1)")
                    relations = report["relations"]
                    for label, schemes in [*relations["types"].items(), ("all", relations["micro"])]:
                        r = schemes["strict"]
                        print(
                            f"  {label:9s} {r.gold:4d} {r.predicted:4d}  P {r.precision or 0:.3f} "
                            f"R {r.recall or 0:.3f} F1 {r.f1 or 0:.3f}"
                        )
            print()


if __name__ == "__main__":
    main()
