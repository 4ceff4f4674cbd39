"""The baseline tagger: estimator contract, valid IOB2 decoding, partial gold, CLI round trip."""

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from newsgold.annotate.cli import cli as annotate_cli
from newsgold.train.cli import cli as train_cli
from newsgold.train.tagger import SequenceTagger

GOLD = Path(__file__).resolve().parent.parent / "seeds" / "gold"

DOCS = [
    (["Afghan", "soldiers", "fled", "to", "Kabul", "."], ["B-ACTOR", "I-ACTOR", "O", "O", "B-LOCATION", "O"]),
    (["Taliban", "fighters", "entered", "Kunduz", "."], ["B-ACTOR", "I-ACTOR", "O", "B-LOCATION", "O"]),
    (["Officials", "left", "Faizabad", "for", "Kabul", "."], ["B-ACTOR", "O", "B-LOCATION", "O", "B-LOCATION", "O"]),
]


@lru_cache(maxsize=None)
def fitted():
    X, y = [d[0] for d in DOCS], [d[1] for d in DOCS]
    return SequenceTagger().fit(X, y)


def test_estimator_contract():
    tagger = SequenceTagger(c1=0.3, random_state=7)
    assert tagger.get_params()["c1"] == 0.3 and not hasattr(tagger, "state_weights_")
    X, y = [d[0] for d in DOCS], [d[1] for d in DOCS]
    assert tagger.fit(X, y) is tagger and hasattr(tagger, "state_weights_")  # fit returns the fitted estimator
    model = fitted()
    assert model.labels_ == ["ACTOR", "LOCATION"] and model.tags_[0] == "O"
    assert model.predict([DOCS[0][0]]) == [DOCS[0][1]]  # it can learn its training data


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 30), st.integers(0, 10_000))
def test_viterbi_never_emits_invalid_iob2(length, seed):
    model = fitted()
    emissions = np.log(np.random.default_rng(seed).dirichlet(np.ones(len(model.tags_)), size=length))
    (path,) = model._viterbi_batch([emissions])
    tags = [model.tags_[t] for t in path]
    for previous, tag in zip(["O"] + tags, tags):
        if tag.startswith("I-"):
            assert previous in (f"B-{tag[2:]}", tag)


def test_partial_gold_does_not_teach_absent_labels():
    X, y = [d[0] for d in DOCS], [d[1] for d in DOCS]
    # a document gold for ACTOR only, where Kabul is untagged: it must not teach "Kabul is O"
    X.append(["Kabul", "officials", "said", "so", "."])
    y.append(["O", "B-ACTOR", "O", "O", "O"])
    annotated = [["ACTOR", "LOCATION"]] * 3 + [["ACTOR"]]
    partial = SequenceTagger().fit(X, y, annotated)
    assert partial.labels_ == ["ACTOR"]  # LOCATION is not gold everywhere: not learned
    assert all(not t.endswith("LOCATION") for tags in partial.predict(X) for t in tags)
    assert SequenceTagger().fit(X, y).labels_ == ["ACTOR", "LOCATION"]


def test_fit_evaluate_predict_cli_round_trip(tmp_path):
    runner = CliRunner()
    dataset = tmp_path / "gold"
    gold = tmp_path / "all.jsonl"
    gold.write_text((GOLD / "seeds.jsonl").read_text() + (GOLD / "heldout.jsonl").read_text())
    assert (
        runner.invoke(
            annotate_cli, ["export", "--from", str(gold), "--out", str(dataset), "--ratios", "0.6,0.2,0.2"]
        ).exit_code
        == 0
    )
    model = tmp_path / "model"
    result = runner.invoke(train_cli, ["fit", str(dataset), "--out", str(model)])
    assert result.exit_code == 0, result.output
    metadata = json.loads((model / "metadata.json").read_text())
    assert metadata["model_version"].startswith("tagger-") and metadata["schema_hash"]
    assert (model / "model.skops").read_bytes()[:2] == b"PK"  # a skops zip, not a pickle
    result = runner.invoke(train_cli, ["evaluate", str(model), str(dataset), "--split", "train"])
    assert result.exit_code == 0, result.output
    report = json.loads((model / "eval-train" / "report.json").read_text())
    assert set(report["labels"]) == set(metadata["labels"]) and "micro" in report["averages"]
    assert (model / "eval-train" / "f1_per_label.png").exists()
    # the event scores of the model's predictions (none drawn by the tagger alone: F1 0, the gold counted)
    events, gold_relations = (
        report["events"],
        sum(len(json.loads(line)["relations"]) for line in (dataset.parent / "all.jsonl").read_text().splitlines()),
    )
    assert events["documents"] >= 1 and events["triggers"]["strict"]["gold"] > 0
    arguments = events["argument_classification"]["micro"]["strict"]
    assert 0 < arguments["gold"] <= gold_relations and arguments["f1"] is not None
    assert arguments["predicted"] or (arguments["f1"] == 0 and arguments["recall"] == 0)
    assert "## Events" in (model / "eval-train" / "report.md").read_text()
    assert "| trigger identification = classification (ACTION) |" in result.output
    out = tmp_path / "pred.jsonl"
    result = runner.invoke(train_cli, ["predict", str(model), str(GOLD.parent), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 2 and all(r["model_version"] == metadata["model_version"] for r in rows)
    for row in rows:
        for span in row["spans"]:
            assert row["text"][span["start"] : span["end"]] == span["text"] and 0 < span["score"] <= 1

    # a model whose schema differs from the dataset's is refused
    metadata["schema_hash"] = "0000000000000000"
    (model / "metadata.json").write_text(json.dumps(metadata))
    result = runner.invoke(train_cli, ["evaluate", str(model), str(dataset)])
    assert result.exit_code == 1 and "retrain" in result.output


def test_missing_model_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(
        train_cli, ["predict", str(tmp_path), str(GOLD.parent), "-o", str(tmp_path / "x.jsonl")]
    )
    assert result.exit_code == 1 and "train fit" in result.output


def test_fast_emissions_equal_the_per_token_feature_sums():
    from newsgold.train.features import document_features

    model = fitted()
    tokens = ["Taliban", "fighters", "fled", "to", "Kabul", "and", "Kabul", "."]
    slow = np.stack([model._weight(f) for f in document_features(tokens)])
    assert np.allclose(slow, model._emissions(tokens))
    assert np.allclose(slow, model._emissions(tokens))  # again, from the per-type cache


def test_batched_viterbi_finds_the_best_valid_path():
    from itertools import product

    model = fitted()
    k = len(model.tags_)
    rng = np.random.default_rng(3)
    batch = [np.log(rng.dirichlet(np.ones(k), size=n)) for n in (4, 1, 3, 0, 2)]

    def score(path, emissions):
        total = model.transitions_[-1][path[0]] + emissions[0][path[0]]
        for i in range(1, len(path)):
            total += model.transitions_[path[i - 1]][path[i]] + emissions[i][path[i]]
        return total

    for emissions, path in zip(batch, model._viterbi_batch(batch)):
        assert len(path) == len(emissions)
        if len(emissions):
            best = max(score(p, emissions) for p in product(range(k), repeat=len(emissions)))
            assert score(path, emissions) == pytest.approx(best)


def test_predicted_spans_are_the_entities_of_the_predicted_tags():
    from seqeval.metrics.sequence_labeling import get_entities

    model = fitted()
    docs = [d[0] for d in DOCS] + [["Kabul", "Kabul", "fighters", "Afghan", "soldiers"], [], ["."]]
    for tokens, (tags, scores), spans in zip(docs, model.predict_with_scores(docs), model.predict_spans(docs)):
        expected = [(first, last + 1, label) for label, first, last in get_entities(tags)]
        assert [(b, e, label) for b, e, label, _ in spans] == expected
        for b, e, _, score in spans:
            assert score == pytest.approx(sum(scores[b:e]) / (e - b))


def news_tokens():
    """Unlabelled news: the texts of the shipped re3d corpus, tokenized (their entities unused)."""
    from newsgold.annotate.tokens import token_arrays

    corpus = GOLD.parent / "corpora" / "re3d"
    return [
        token_arrays(json.loads(line)["text"])[0]
        for path in sorted(corpus.glob("*/documents.json"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]


def test_word_clusters_group_words_of_one_context_and_are_deterministic():
    from newsgold.train.clusters import GRANULARITIES, learn_clusters

    # two made-up place names seen only in the same contexts fall into the same clusters
    extra = [["Rebels", "fled", "to", name, "on", "Monday", "."] for name in ("Zorvath", "Quellin") * 3]
    clusters = learn_clusters(news_tokens() + extra)
    assert len(clusters) > max(GRANULARITIES) and all(
        len(ids.split()) == len(GRANULARITIES) for ids in clusters.values()
    )
    assert clusters["zorvath"] == clusters["quellin"]
    assert learn_clusters(news_tokens() + extra) == clusters  # same text, same clusters
    assert learn_clusters(DOCS[0][:1]) == {}  # too little text to cluster: no cluster features


def test_cluster_features_are_the_word_and_its_direct_neighbours():
    from newsgold.train.features import context_features, word_features

    clusters = {"kabul": "1 7 30"}
    assert word_features("Kabul", clusters=clusters)[-3:] == ["c16=1", "c64=7", "c256=30"]
    assert word_features("Kabul", clusters=clusters)[:-3] == word_features("Kabul")  # the rest unchanged
    assert context_features("Kabul", -1, clusters=clusters)[-3:] == ["-1c16=1", "-1c64=7", "-1c256=30"]
    assert context_features("Kabul", 2, clusters=clusters) == context_features("Kabul", 2)
    assert word_features("Herat", clusters=clusters) == word_features("Herat")  # an unclustered word


def test_fast_emissions_with_clusters_equal_the_per_token_feature_sums():
    from newsgold.train.features import document_features

    model = SequenceTagger().fit([d[0] for d in DOCS], [d[1] for d in DOCS], unlabelled=news_tokens())
    assert model.clusters_ and SequenceTagger(word_clusters=False).fit([DOCS[0][0]], [DOCS[0][1]]).clusters_ == {}
    tokens = ["Taliban", "fighters", "fled", "to", "Baghdad", "and", "Mosul", "."]
    assert any(f.startswith("c16=") for f in document_features(tokens, model.clusters_)[4])
    slow = np.stack([model._weight(f) for f in document_features(tokens, model.clusters_)])
    assert np.allclose(slow, model._emissions(tokens))
