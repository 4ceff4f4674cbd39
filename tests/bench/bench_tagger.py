"""The baseline tagger against sklearn-crfsuite (classic CRF tutorial features) and a spaCy 3
blank-English NER pipeline, on the same story-grouped split of re3d, in one run.

    python tests/bench/bench_tagger.py          (needs: pip install sklearn-crfsuite "spacy>=3.7,<4")

Builds the re3d dataset (annotate re3d + annotate export), trains the three models on its train
split with identical tokens, and scores strict micro P/R/F1 with seqeval (mode="strict",
scheme=IOB2) on the held-out documents (validation + test). Also times prediction of the
newsgold tagger on news-sized documents: the work of `train predict` per document (tokenizing,
tagging, spans with scores), reading and writing files aside. Targets: F1 >= both peers (aim +5 points); fit time
<= 1/3 of spaCy's; prediction >= 500 documents/second.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from seqeval.metrics import f1_score, precision_score, recall_score  # noqa: E402
from seqeval.scheme import IOB2  # noqa: E402

from newsgold.annotate.dataset import load_split  # noqa: E402
from newsgold.annotate.documents import make_document  # noqa: E402
from newsgold.annotate.tokens import token_arrays  # noqa: E402
from newsgold.train.predict import TaggerAnnotator  # noqa: E402
from newsgold.train.tagger import SequenceTagger  # noqa: E402
from tests.bench.corpus import news_documents  # noqa: E402


def crf_features(tokens, i):
    """The feature function of the sklearn-crfsuite tutorial (without POS tags, which re3d lacks)."""
    word = tokens[i]
    features = {
        "bias": 1.0,
        "word.lower()": word.lower(),
        "word[-3:]": word[-3:],
        "word[-2:]": word[-2:],
        "word.isupper()": word.isupper(),
        "word.istitle()": word.istitle(),
        "word.isdigit()": word.isdigit(),
    }
    if i > 0:
        prev = tokens[i - 1]
        features.update(
            {"-1:word.lower()": prev.lower(), "-1:word.istitle()": prev.istitle(), "-1:word.isupper()": prev.isupper()}
        )
    else:
        features["BOS"] = True
    if i < len(tokens) - 1:
        nxt = tokens[i + 1]
        features.update(
            {"+1:word.lower()": nxt.lower(), "+1:word.istitle()": nxt.istitle(), "+1:word.isupper()": nxt.isupper()}
        )
    else:
        features["EOS"] = True
    return features


def run_crf(train, test):
    import sklearn_crfsuite

    crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=0.1, c2=0.1, max_iterations=100, all_possible_transitions=True)
    started = time.perf_counter()
    crf.fit([[crf_features(t, i) for i in range(len(t))] for t in train.tokens], train.tags)
    seconds = time.perf_counter() - started
    return crf.predict([[crf_features(t, i) for i in range(len(t))] for t in test.tokens]), seconds


def run_spacy(train, test, epochs: int = 30):
    import spacy
    from spacy.tokens import Doc
    from spacy.training import Example, iob_to_biluo
    from spacy.util import minibatch

    nlp = spacy.blank("en")
    ner = nlp.add_pipe("ner")
    for tags in train.tags:
        for tag in tags:
            if tag != "O":
                ner.add_label(tag[2:])
    examples = [
        Example.from_dict(Doc(nlp.vocab, words=t), {"entities": iob_to_biluo(tags)})
        for t, tags in zip(train.tokens, train.tags)
    ]
    random.seed(0)
    spacy.util.fix_random_seed(0)
    started = time.perf_counter()
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(epochs):
        random.shuffle(examples)
        for batch in minibatch(examples, size=8):
            nlp.update(batch, sgd=optimizer, drop=0.2)
    seconds = time.perf_counter() - started
    predicted = []
    for tokens in test.tokens:
        doc = nlp(Doc(nlp.vocab, words=tokens))
        predicted.append([f"{t.ent_iob_}-{t.ent_type_}" if t.ent_iob_ != "O" else "O" for t in doc])
    return predicted, seconds


def scores(gold, predicted):
    return (
        precision_score(gold, predicted, mode="strict", scheme=IOB2),
        recall_score(gold, predicted, mode="strict", scheme=IOB2),
        f1_score(gold, predicted, mode="strict", scheme=IOB2),
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        annotate = str(Path(sys.executable).parent / "annotate")
        subprocess.run(
            [annotate, "re3d", str(ROOT / "seeds" / "corpora" / "re3d"), "-o", str(folder / "re3d.jsonl")],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [annotate, "export", "--from", str(folder / "re3d.jsonl"), "--out", str(folder / "ds")],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        train = load_split(folder / "ds", "train")
        validation, test = load_split(folder / "ds", "validation"), load_split(folder / "ds", "test")
    held_tokens = validation.tokens + test.tokens
    held_tags = validation.tags + test.tags
    held = type(test)(held_tokens, held_tags, validation.annotated_labels + test.annotated_labels)

    # what `train fit --unlabelled` adds: word clusters also learned from raw texts — here every
    # re3d text and the seed articles, labels unused (as bench_tagger_attempts.py does)
    unlabelled = held.tokens + [
        token_arrays(p.read_text(encoding="utf-8"))[0] for p in sorted((ROOT / "seeds").glob("*.txt"))
    ]
    started = time.perf_counter()
    tagger = SequenceTagger().fit(train.tokens, train.tags, train.annotated_labels, unlabelled=unlabelled)
    t_ours = time.perf_counter() - started
    ours = tagger.predict(held.tokens)
    alone = SequenceTagger().fit(train.tokens, train.tags, train.annotated_labels).predict(held.tokens)
    plain = (
        SequenceTagger(word_clusters=False).fit(train.tokens, train.tags, train.annotated_labels).predict(held.tokens)
    )
    crf, t_crf = run_crf(train, held)
    nlp, t_spacy = run_spacy(train, held)

    rates = []
    for seed in (3, 4):  # the first 500 fill the per-word-type cache, the next 500 use it
        docs = [
            make_document(text, f"bench-{i}", f"bench-{i}") for i, text in enumerate(news_documents(500, seed=seed))
        ]
        started = time.perf_counter()
        records = [
            a.to_record() for a in TaggerAnnotator(tagger, "bench").annotate_many(docs)
        ]  # what `train predict` runs per document
        rates.append(len(records) / (time.perf_counter() - started))

    print(
        f"re3d, story-grouped split: {len(train.tokens)} training documents, {len(held.tokens)} held-out "
        f"(validation + test), labels ACTOR LOCATION COUNT; strict micro scores (seqeval, IOB2)"
    )
    print(f"{'model':44} {'P':>6} {'R':>6} {'F1':>6} {'fit s':>7}")
    for name, predicted, seconds in (
        ("newsgold tagger (CRF + IOB2 Viterbi)", ours, t_ours),
        ("  the same without unlabelled text", alone, float("nan")),
        ("  the same without word clusters", plain, float("nan")),
        ("sklearn-crfsuite, tutorial features", crf, t_crf),
        ("spaCy 3 blank('en') NER, 30 epochs", nlp, t_spacy),
    ):
        p, r, f = scores(held.tags, predicted)
        print(f"{name:44} {p:6.3f} {r:6.3f} {f:6.3f} {seconds:7.1f}")
    print(f"newsgold fit time / spaCy fit time: {t_ours / t_spacy:.2f} (target <= 0.33)")
    print(
        f"newsgold prediction (train predict: tokens, tags, spans with scores), documents/s of ~700 words (target >= 500): "
        f"first 500 {rates[0]:.0f}, next 500 {rates[1]:.0f}"
    )


if __name__ == "__main__":
    main()
