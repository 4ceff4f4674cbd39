"""Annotation rounds on the re3d corpus with an oracle annotator: does the tagger in the loop cut
the correction effort, and does least-confident-first pick better documents than random order?

    python tests/bench/bench_loop.py [--seeds 10] [--batch 20] [--rounds 4] [--policy P] [--out exports/bench_loop.png]

The shipped re3d corpus (88 documents, `annotate.re3d`) is gold for ACTOR, LOCATION and COUNT
only, so every score and every edit below counts those three labels and nothing else (the rules'
ACTION spans are left out on both sides). Per seed, whole stories (`group_stories`) of
88 - rounds x batch documents are held out and never enter a batch; the rest is the pool.

Round 0 pre-annotates a batch with the rules alone. In every round the oracle (the gold)
corrects the batch; the tagger is refit in memory on the tokens and IOB2 tags (built as the
export builds them, `export.rows.build_row`) of every document corrected so far, and the next
batch is pre-annotated by rules and tagger merged (`MergedAnnotator`, `--policy`; by default the
policy `--model` uses for a model trained on gold corrected in Label Studio, as the loop's is). Per round:
strict and overlap (the label right, the boundaries overlapping: nervaluate's ent_type, through
`scoring.score_documents`) precision and recall of the pre-annotations on the batch; the
correction effort in span edits per document, `status.compare_spans` (a predicted span paired
one to one with an overlapping gold span but differing in label or edges: one change; an
unpaired predicted span: one deletion; an unpaired gold span: one addition), against annotating
from scratch (every gold span of the document); and the strict micro F1 (seqeval) on the
held-out documents of the tagger that pre-annotated the round (fitted on the rounds before it).

Two orders: random (the pool shuffled by the seed) and least confident first (the pool's
`batch` documents with the lowest document confidence, `AnnotatedDocument.score`, under the
current pre-annotator; round 0, rules alone, takes the same random batch as the other order).
Targets: by round 3, edits per document at most half of annotating from scratch;
least-confident-first at or above random on the round-3 tagger F1. Averaged over `--seeds`
seeds (each its own held-out set and order).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from newsgold.annotate.documents import Document, group_stories  # noqa: E402
from newsgold.annotate.export.rows import build_row  # noqa: E402
from newsgold.annotate.preannotate import RuleAnnotator  # noqa: E402
from newsgold.annotate.preannotate.merge import OWN_GOLD_POLICY, POLICIES, MergedAnnotator  # noqa: E402
from newsgold.annotate.preannotator import AnnotatedDocument, annotate_all  # noqa: E402
from newsgold.annotate.re3d import ANNOTATED, convert  # noqa: E402
from newsgold.annotate.scoring import score_documents  # noqa: E402
from newsgold.annotate.spans import Span  # noqa: E402
from newsgold.annotate.studio.resolve import Resolved  # noqa: E402
from newsgold.annotate.studio.status import compare_spans  # noqa: E402
from newsgold.train.evaluate import evaluate  # noqa: E402
from newsgold.train.predict import TaggerAnnotator  # noqa: E402
from newsgold.train.tagger import SequenceTagger  # noqa: E402

ORDERS = ("random", "least confident")
SCHEMES = ("strict", "ent_type")  # ent_type: the label right and the boundaries overlapping


def confidences(preannotator, documents: list[Document]) -> list[float]:
    """Each document's `AnnotatedDocument.score`: the pre-annotator's confidence in it."""
    return [annotated.score for annotated in annotate_all(preannotator, documents)]


class Corpus:
    """The re3d documents, their gold (AnnotatedDocument records) and tokens and IOB2 tags."""

    def __init__(self):
        records, _ = convert(ROOT / "seeds" / "corpora" / "re3d")
        self.documents = group_stories([Document(r["id"], r["text"], r["source"], meta=r["meta"]) for r in records])
        self.gold = {r["id"]: r for r in records}
        self.tokens, self.tags, self.untagged = {}, {}, 0
        for doc in self.documents:
            spans = [Span.from_dict(s) for s in self.gold[doc.id]["spans"]]
            row, problems = build_row(
                doc.id, doc.text, doc.source, doc.story_id, Resolved(spans, [], ["gold"], "gold"), list(ANNOTATED), {}
            )
            self.tokens[doc.id], self.tags[doc.id] = row["tokens"], row["ner_tags"]
            self.untagged += len(problems)  # spans kept in the gold, left out of the tags

    def split(self, seed: int, held_out: int) -> tuple[list[Document], list[Document]]:
        """The pool in a random order, and whole stories of `held_out` documents held out."""
        rng = random.Random(seed)
        stories: dict[str, list[Document]] = {}
        for doc in self.documents:
            stories.setdefault(doc.story_id, []).append(doc)
        groups = list(stories.values())
        rng.shuffle(groups)
        held: list[Document] = []
        for group in sorted(groups, key=len):  # singletons first: the held-out size is exact
            if len(held) + len(group) <= held_out:
                held += group
        pool = [doc for doc in self.documents if doc not in held]
        rng.shuffle(pool)
        return pool, held


def edits(gold: dict, predicted: AnnotatedDocument) -> dict:
    labels = set(gold["annotated_labels"])
    truth = [Span.from_dict(s) for s in gold["spans"] if s["label"] in labels]
    outcome = [o for _, o in compare_spans([s for s in predicted.spans if s.label in labels], truth)]
    counts = {k: outcome.count(k) for k in ("deleted", "added", "changed")}
    return {**counts, "edits": sum(counts.values()), "scratch": len(truth)}


def annotated_only(record: dict) -> dict:
    """A prediction cut to the labels re3d annotates (the rules also predict ACTION, which re3d's
    gold does not hold: scoring refuses a label outside the labels scored), with the relations
    left between its kept spans."""
    spans = [s for s in record["spans"] if s["label"] in ANNOTATED]
    kept = {s["id"] for s in spans}
    relations = [r for r in record.get("relations") or [] if r["head"] in kept and r["tail"] in kept]
    return {**record, "spans": spans, "relations": relations}


def simulate(corpus: Corpus, seed: int, order: str, batch: int, rounds: int, fit, policy: str) -> list[dict]:
    rules = RuleAnnotator().warm_up()
    pool, held = corpus.split(seed, len(corpus.documents) - batch * rounds)
    pushed = list(pool)  # what the project holds: the tagger's word clusters learn from its texts
    preannotator, corrected, results = rules, [], []
    tagger = None
    for number in range(rounds):
        left = len(pool) <= batch  # the batch is what is left of the pool: no choice
        if tagger is None or order == "random" or left:
            chosen = pool[:batch]
        else:
            sure = confidences(preannotator, pool)
            ranked = sorted(range(len(pool)), key=lambda i: sure[i])  # stable: ties keep the pool's order
            chosen = [pool[i] for i in ranked[:batch]]
        pool = [doc for doc in pool if doc not in chosen]
        predicted = list(annotate_all(preannotator, chosen))
        gold = [corpus.gold[doc.id] for doc in chosen]
        records = [annotated_only(p.to_record()) for p in predicted]
        scores = score_documents(gold, records, list(ANNOTATED), schemes=SCHEMES)["micro"]
        effort = [edits(g, p) for g, p in zip(gold, predicted)]
        row = {
            "round": number,
            "trained": len(corrected),
            "left": left,
            "strict": scores["strict"],
            "overlap": scores["ent_type"],
            **{k: sum(e[k] for e in effort) / len(chosen) for k in ("deleted", "added", "changed", "edits", "scratch")},
            "tagger_f1": None,
        }
        if tagger is not None:
            predicted_tags = tagger.predict([corpus.tokens[d.id] for d in held])
            report = evaluate(
                [corpus.tags[d.id] for d in held], predicted_tags, [list(ANNOTATED)] * len(held), list(ANNOTATED)
            )
            row["tagger_f1"] = report["averages"].get("micro", {}).get("f1", 0.0)
        results.append(row)
        corrected += chosen  # the oracle's correction: the gold becomes annotated
        if number + 1 < rounds:
            tagger = fit(corrected, pushed)
            preannotator = MergedAnnotator(
                rules, TaggerAnnotator(tagger, f"tagger-round{number}", "label-studio"), policy
            )
    return results


def fitter(corpus: Corpus):
    """`fit(documents, pushed)`, remembering fits of the same documents (both orders share round
    0's). The word clusters are learned from every document pushed to the project (the pool),
    unlabelled, as `train fit --unlabelled` does with a team's documents."""
    fitted: dict[tuple, SequenceTagger] = {}

    def fit(documents: list[Document], pushed: list[Document]) -> SequenceTagger:
        key = (frozenset(d.id for d in documents), frozenset(d.id for d in pushed))
        if key not in fitted:
            fitted[key] = SequenceTagger().fit(
                [corpus.tokens[d.id] for d in documents],
                [corpus.tags[d.id] for d in documents],
                [list(ANNOTATED)] * len(documents),
                unlabelled=[corpus.tokens[d.id] for d in pushed],
            )
        return fitted[key]

    return fit


def mean(rows: list[dict], key) -> float:
    values = [key(r) for r in rows]
    return statistics.fmean(values) if values and None not in values else float("nan")


def table(runs: dict[str, list[list[dict]]], rounds: int) -> list[str]:
    lines = [
        "| order | round | trained on | strict P | strict R | overlap P | overlap R | edits/doc "
        "(del + add + chg) | from scratch/doc | edits / scratch | tagger F1 (held-out) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for order in ORDERS:
        for number in range(rounds):
            rows = [seed_rows[number] for seed_rows in runs[order]]
            f1 = mean(rows, lambda r: r["tagger_f1"])
            lines.append(
                f"| {order} | {number} | {rows[0]['trained']} | {mean(rows, lambda r: r['strict'].precision):.3f} "
                f"| {mean(rows, lambda r: r['strict'].recall):.3f} | {mean(rows, lambda r: r['overlap'].precision):.3f} "
                f"| {mean(rows, lambda r: r['overlap'].recall):.3f} | {mean(rows, lambda r: r['edits']):.1f} "
                f"({mean(rows, lambda r: r['deleted']):.1f} + {mean(rows, lambda r: r['added']):.1f} + "
                f"{mean(rows, lambda r: r['changed']):.1f}) | {mean(rows, lambda r: r['scratch']):.1f} "
                f"| {mean(rows, lambda r: r['edits'] / r['scratch']):.2f} | {'—' if f1 != f1 else f'{f1:.3f}'} |"
            )
    return lines


def plot(runs: dict[str, list[list[dict]]], rounds: int, batch: int, policy: str, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    x = list(range(rounds))
    for order, colour in zip(ORDERS, ("tab:blue", "tab:orange")):
        per_round = [[seed_rows[n] for seed_rows in runs[order]] for n in x]
        axis.plot(
            x,
            [mean(rows, lambda r: r["edits"]) for rows in per_round],
            marker="o",
            color=colour,
            label=f"edits, {order}",
        )
        axis.plot(
            x,
            [mean(rows, lambda r: r["scratch"]) for rows in per_round],
            linestyle="--",
            color=colour,
            alpha=0.6,
            label=f"from scratch, {order}",
        )
    axis.set_xticks(x)
    axis.set_xlabel(f"round (batches of {batch} documents; round 0: rules alone)")
    axis.set_ylabel("span edits per document")
    axis.set_ylim(bottom=0)
    axis.set_title(f"re3d, oracle annotator, merge policy {policy}, mean of {len(runs[ORDERS[0]])} seeds", fontsize=9)
    axis.legend(fontsize=8)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=120)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=4, help="rounds 0 .. rounds-1 (default: up to round 3)")
    parser.add_argument(
        "--policy",
        choices=sorted(POLICIES),
        default=OWN_GOLD_POLICY,
        help="how rules and tagger are merged (annotate.preannotate.merge; default: the policy "
        "newsgold picks for a model trained on gold corrected in Label Studio, as here)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "exports" / "bench_loop.png")
    args = parser.parse_args()
    started = time.perf_counter()
    corpus = Corpus()
    held_out = len(corpus.documents) - args.batch * args.rounds
    if held_out < 1:
        parser.error(
            f"re3d has {len(corpus.documents)} documents: {args.rounds} rounds of {args.batch} leave none held out"
        )
    runs: dict[str, list[list[dict]]] = {order: [] for order in ORDERS}
    for seed in range(args.seeds):
        fit = fitter(corpus)
        for order in ORDERS:
            runs[order].append(simulate(corpus, seed, order, args.batch, args.rounds, fit, args.policy))
    last = args.rounds - 1
    print(
        f"re3d: {len(corpus.documents)} documents, gold for ACTOR, LOCATION, COUNT only (scores and edits count "
        f"those labels); batches of {args.batch}, rounds 0-{last}, {held_out} documents held out (whole stories); "
        f"merge policy {args.policy}; mean of {args.seeds} seeds; {corpus.untagged} gold spans misaligned with the tokens (kept in the "
        "gold, left out of the tags)"
    )
    print("\n".join(table(runs, args.rounds)))
    plot(runs, args.rounds, args.batch, args.policy, args.out)
    shown = args.out.resolve()
    print(f"plot: {shown.relative_to(ROOT) if shown.is_relative_to(ROOT) else shown}")

    print(f"\ntargets at round {last}:")
    for order in ORDERS:
        ratio = mean([r[last] for r in runs[order]], lambda r: r["edits"] / r["scratch"])
        edits_, scratch = (mean([r[last] for r in runs[order]], lambda r: r[k]) for k in ("edits", "scratch"))
        print(
            f"  edits, {order}: {edits_:.1f} per document against {scratch:.1f} from scratch = {ratio:.2f} "
            f"(target <= 0.50): {'met' if ratio <= 0.5 else 'MISSED'}"
        )
    if last >= 1:
        differences = [
            lc[last]["tagger_f1"] - rnd[last]["tagger_f1"] for lc, rnd in zip(runs[ORDERS[1]], runs[ORDERS[0]])
        ]
        gap = statistics.fmean(differences)
        spread = statistics.stdev(differences) / len(differences) ** 0.5 if len(differences) > 1 else float("nan")
        wins = sum(d >= 0 for d in differences)
        verdict = "MISSED" if gap < 0 else "met"
        if abs(gap) < 2 * spread:
            verdict += ", but a tie within noise (|difference| < 2 standard errors)"
        print(
            f"  tagger F1 (held-out), least confident - random: {gap:+.3f} (standard error {spread:.3f}; "
            f"at or above random in {wins} of {len(differences)} seeds): {verdict}"
        )
    print("notes:")
    if runs[ORDERS[1]][0][last]["left"]:
        print(
            f"  the pool holds exactly {args.rounds} batches, so least-confident-first's round {last} is the batch "
            "left over, the documents the pre-annotator was surest of: random order is the fair measure of one round"
        )
    for order in ORDERS:
        total = statistics.fmean(sum(r["edits"] for r in seed_rows) * args.batch for seed_rows in runs[order])
        scratch = statistics.fmean(sum(r["scratch"] for r in seed_rows) * args.batch for seed_rows in runs[order])
        print(
            f"  all rounds, {order}: {total:.0f} edits to annotate the {args.batch * args.rounds} pool documents, "
            f"{scratch:.0f} from scratch ({total / scratch:.2f})"
        )
    print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
