"""Document confidence (CRF marginals), the merged pre-annotator (rules + a trained tagger), its
version, and loading a model folder through the entry point of its kind."""

import json
import shutil
from functools import lru_cache
from itertools import product
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli as annotate_cli
from newsgold.annotate.documents import make_document
from newsgold.annotate.errors import NewsgoldError
from newsgold.annotate.preannotate import MergedAnnotator, RuleAnnotator
from newsgold.annotate.preannotate.merge import load_merged
from newsgold.annotate.preannotator import AnnotatedDocument
from newsgold.annotate.schema import load_schema
from newsgold.annotate.spans import Span
from newsgold.annotate.studio.push import prediction_payload
from newsgold.train.features import document_features
from newsgold.train.tagger import SequenceTagger, confidence

ROOT = Path(__file__).resolve().parent.parent
DOCS = [
    (["Afghan", "soldiers", "fled", "to", "Kabul", "."], ["B-ACTOR", "I-ACTOR", "O", "O", "B-LOCATION", "O"]),
    (
        ["Taliban", "fighters", "entered", "Kunduz", "Province", "."],
        ["B-ACTOR", "I-ACTOR", "O", "B-LOCATION", "I-LOCATION", "O"],
    ),
    (["Officials", "left", "Faizabad", "for", "Kabul", "."], ["B-ACTOR", "O", "B-LOCATION", "O", "B-LOCATION", "O"]),
]
TEXTS = [["Kabul", "fighters", "fled"], ["x"], ["Afghan", "Kabul", "soldiers", "Province"], []]


@lru_cache(maxsize=None)
def fitted():
    return SequenceTagger().fit([d[0] for d in DOCS], [d[1] for d in DOCS])


def brute_force(model, tokens, transitions):
    emissions, k = model._emissions(tokens), len(model.tags_)
    probabilities = np.zeros((len(tokens), k))
    for path in product(range(k), repeat=len(tokens)):
        score = transitions[-1][path[0]] + emissions[0][path[0]]
        score += sum(transitions[path[i - 1]][path[i]] + emissions[i][path[i]] for i in range(1, len(path)))
        for i, tag in enumerate(path):
            probabilities[i, tag] += np.exp(score)
    return probabilities / probabilities[0].sum()


def test_marginals_sum_to_one_and_match_enumeration():
    model = fitted()
    for tokens, marginals in zip(TEXTS, model.marginals(TEXTS)):
        assert marginals.shape == (len(tokens), len(model.tags_))
        if tokens:
            assert marginals.sum(axis=1) == pytest.approx(np.ones(len(tokens)))
            assert marginals == pytest.approx(brute_force(model, tokens, model.transitions_), abs=1e-12)


def test_invalid_iob_moves_get_zero():
    model = fitted()
    inside = [t for t, tag in enumerate(model.tags_) if tag.startswith("I-")]
    for tokens, marginals in zip(TEXTS, model.marginals(TEXTS)):
        if tokens:
            assert (marginals[0, inside] == 0).all()  # no I- opens a document
        for t in range(1, len(tokens)):  # an I-X after O has probability 0 wherever O is certain
            if marginals[t - 1, 0] == 1.0:
                assert (marginals[t, inside] == 0).all()


def test_marginals_agree_with_crfsuite(tmp_path):
    """Our forward-backward equals CRFsuite's own Tagger.marginal over the unconstrained weights
    (CRFsuite knows no IOB2 constraint), once every tag was seen in training."""
    import pycrfsuite

    model = fitted()
    trainer = pycrfsuite.Trainer(verbose=False)
    for tokens, tags in DOCS:
        trainer.append(document_features(tokens), tags)
    trainer.set_params(
        {"c1": model.c1, "c2": model.c2, "max_iterations": model.max_iterations, "feature.possible_transitions": True}
    )
    trainer.train(str(tmp_path / "m.crfsuite"))
    crf = pycrfsuite.Tagger()
    crf.open(str(tmp_path / "m.crfsuite"))
    assert set(crf.labels()) == set(model.tags_)
    unconstrained = model.transitions_.copy()
    unconstrained[:] = 0
    index = {tag: i for i, tag in enumerate(model.tags_)}
    for (previous, tag), weight in crf.info().transitions.items():
        unconstrained[index[previous], index[tag]] = weight
    saved = model.transitions_
    try:
        model.transitions_ = unconstrained
        ours = model.marginals(TEXTS[:3])
    finally:
        model.transitions_ = saved
    for tokens, marginals in zip(TEXTS[:3], ours):
        crf.set(document_features(tokens))
        theirs = np.array([[crf.marginal(tag, t) for tag in model.tags_] for t in range(len(tokens))])
        assert marginals == pytest.approx(theirs, abs=1e-6)


def test_confidence_is_the_mean_margin():
    assert confidence(np.array([[1.0, 0.0], [0.6, 0.4]])) == pytest.approx(0.6)
    assert confidence(np.ones((3, 1))) == 1.0
    documents = fitted().predict_documents(TEXTS)
    assert all(0 <= sure <= 1 for _, sure in documents[:3]) and documents[3] == ([], None)


class FakeModel:
    """A model proposing fixed spans (by text) with fixed scores."""

    model_version = "fake-1"
    labels = ("ACTOR", "LOCATION", "COUNT")

    def __init__(self, proposals):
        self.proposals = proposals

    def annotate(self, document):
        spans = []
        for text, label, score in self.proposals:
            start = document.text.index(text)
            spans.append(Span(start, start + len(text), label, text, score))
        return AnnotatedDocument(document, tuple(spans), (), self.model_version, score=0.42)


TEXT = "Taliban fighters advanced into Kunduz. The Globe editors said they left 300 homes in Zorg."


@lru_cache(maxsize=1)
def rules():
    # the merge policies are measured against the surface rules: with the language layer the
    # rules find "Globe" (a pipeline entity) themselves, which leaves the model nothing to add here
    return RuleAnnotator(pipeline=False).warm_up()


def merged(proposals, policy=None):
    model = FakeModel(proposals)
    merge = MergedAnnotator(rules(), model) if policy is None else MergedAnnotator(rules(), model, policy)
    return merge.annotate(make_document(TEXT, "t.txt", "t.txt"))


def found(annotated):
    return {(s.text, s.label) for s in annotated.spans}


def test_merge_adds_confident_model_spans_where_the_rules_found_none():
    alone = rules().annotate(make_document(TEXT, "t.txt", "t.txt"))
    assert ("Globe editors", "ACTOR") not in found(alone)
    result = merged([("The Globe editors", "ACTOR", 0.95), ("Zorg", "LOCATION", 0.5)])
    assert ("Globe editors", "ACTOR") in found(result)  # read under our guidelines: no "The"
    assert ("Zorg", "LOCATION") not in found(result)  # below the threshold
    assert found(alone) <= found(result)
    assert result.score == 0.42  # the model's confidence in the document


def test_merge_keeps_rule_spans_and_rules_only_labels():
    result = merged(
        [
            ("Taliban fighters advanced", "ACTOR", 0.99),
            ("they", "ACTOR", 0.99),
            ("300", "COUNT", 0.99),
            ("300 homes", "COUNT", 0.99),
        ]
    )
    assert ("Taliban fighters", "ACTOR") in found(result)  # the overlapping model span loses
    assert ("they", "ACTOR") not in found(result)  # pronouns are never labelled
    assert ("300 homes", "COUNT") not in found(result)  # COUNT comes from the rules


def test_agreement_raises_the_score_and_relations_link_model_spans():
    alone = {s.text: s.score for s in rules().annotate(make_document(TEXT, "t.txt", "t.txt")).spans}
    result = merged([("Taliban fighters", "ACTOR", 0.5), ("Globe editors", "ACTOR", 0.95)])
    scores = {s.text: s.score for s in result.spans}
    assert scores["Taliban fighters"] == pytest.approx(1 - (1 - alone["Taliban fighters"]) * 0.5, abs=1e-3)
    by_id = {s.id: s.text for s in result.spans}
    assert ("advanced", "Taliban fighters", "agent") in {
        (by_id[r.head], by_id[r.tail], r.label) for r in result.relations
    }


def test_model_spans_off_token_boundaries_are_refused():
    with pytest.raises(NewsgoldError, match="token boundaries"):
        merged([("aliban", "ACTOR", 0.99)])


def test_version_names_both_parts_and_the_policy():
    model = FakeModel([])
    assert MergedAnnotator(rules(), model).model_version == f"{rules().model_version}+fake-1"
    assert MergedAnnotator(rules(), model, "union").model_version.endswith("+fake-1~union")
    with pytest.raises(ValueError):
        MergedAnnotator(rules(), model, "nonsense")


def test_score_goes_to_the_record_and_the_prediction():
    doc = make_document(TEXT, "t.txt", "t.txt")
    record = AnnotatedDocument(doc, (Span(0, 7, "ACTOR", "Taliban", 0.9),), (), "v", score=0.25).to_record()
    assert record["score"] == 0.25 and prediction_payload(record)["score"] == 0.25
    del record["score"]
    assert prediction_payload(record)["score"] == 0.9  # else the mean span score, as before
    assert RuleAnnotator().annotate(doc).to_record()["score"] is not None


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """The re3d dataset and two models fitted on it, in separate folders."""
    from newsgold.annotate import convert_re3d, export_dataset
    from newsgold.train import fit

    tmp = tmp_path_factory.mktemp("models")
    convert_re3d(ROOT / "seeds" / "corpora" / "re3d", tmp / "re3d.jsonl")
    export_dataset(tmp / "re3d", from_file=tmp / "re3d.jsonl")
    fit(tmp / "re3d", tmp / "one")
    fit(tmp / "re3d", tmp / "two")
    return tmp


def test_fitting_twice_gives_the_same_merged_version(models):
    hash_ = load_schema().hash
    one, two = load_merged(models / "one", hash_, rules()), load_merged(models / "two", hash_, rules())
    assert one.model_version == two.model_version and "+tagger-" in one.model_version


def test_preannotate_with_a_model(models, tmp_path):
    out = tmp_path / "p.jsonl"
    result = CliRunner().invoke(
        annotate_cli, ["preannotate", str(ROOT / "seeds"), "--model", str(models / "one"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    version = load_merged(models / "one", load_schema().hash, RuleAnnotator().warm_up()).model_version
    assert len(records) == 2 and {r["model_version"] for r in records} == {version}
    assert all(0 < r["score"] <= 1 and r["spans"] for r in records)


def test_a_folder_written_before_the_manifest_named_its_kind_still_loads(models, tmp_path):
    """`train fit` names the kind in metadata.json; a folder without the field is a tagger."""
    assert json.loads((models / "one" / "metadata.json").read_text())["kind"] == "tagger"
    old = tmp_path / "old"
    shutil.copytree(models / "one", old)
    metadata = json.loads((old / "metadata.json").read_text())
    del metadata["kind"]
    (old / "metadata.json").write_text(json.dumps(metadata))
    hash_ = load_schema().hash
    assert load_merged(old, hash_, rules()).model_version == load_merged(models / "one", hash_, rules()).model_version


def bad_model(models, tmp_path, damage):
    folder = tmp_path / "model"
    shutil.copytree(models / "one", folder)
    damage(folder)
    return folder


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda f: (f / "model.skops").unlink(), "no model.skops"),
        (lambda f: (f / "model.skops").write_bytes(b"\x80\x04K\x01."), "not a skops file"),
        (
            lambda f: (f / "metadata.json").write_text(
                json.dumps({**json.loads((f / "metadata.json").read_text()), "schema_hash": "0" * 16})
            ),
            "trained with schema hash",
        ),
        (lambda f: shutil.rmtree(f), "not a folder"),
    ],
)
def test_a_folder_that_is_no_usable_model_is_one_line(models, tmp_path, damage, message):
    folder = bad_model(models, tmp_path, damage)
    result = CliRunner().invoke(
        annotate_cli, ["preannotate", str(ROOT / "seeds"), "--model", str(folder), "-o", str(tmp_path / "p.jsonl")]
    )
    assert result.exit_code == 1 and result.output.startswith(f"Error: {folder}") and message in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "p.jsonl").exists()


def test_annotate_does_not_import_train():
    """No module of `annotate` imports `newsgold.train` (by name or from the package), however it
    is written; a name that only starts the same (`newsgold.trainers`) is not an import."""
    import ast

    for path in (ROOT / "annotate").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if isinstance(node, ast.ImportFrom) and node.module == "newsgold":
                names = [f"newsgold.{a.name}" for a in node.names]
            assert not any(n == "newsgold.train" or n.startswith("newsgold.train.") for n in names), path


def test_the_merge_follows_where_the_models_gold_was_made(models, tmp_path):
    """A model trained on a corpus's gold (re3d: another team's conventions) is merged under the
    guard of our guidelines; one trained on gold corrected in Label Studio (a team's own export)
    is trusted for the labels it learned. train fit reads where from the dataset's card."""
    from newsgold.annotate.preannotate.merge import DEFAULT_POLICY, OWN_GOLD_POLICY
    from newsgold.train import fit

    assert json.loads((models / "one" / "metadata.json").read_text())["annotated_in"] == "gold-file"
    hash_ = load_schema().hash
    assert load_merged(models / "one", hash_, rules()).policy == DEFAULT_POLICY
    own = tmp_path / "own"
    shutil.copytree(models / "re3d", own)
    card = own / "README.md"
    card.write_text(card.read_text().replace("annotated_in: gold-file", "annotated_in: label-studio"))
    fit(own, tmp_path / "own-model")
    merged_own = load_merged(tmp_path / "own-model", hash_, rules())
    assert merged_own.policy == OWN_GOLD_POLICY != DEFAULT_POLICY
    assert merged_own.model_version.endswith(f"~{OWN_GOLD_POLICY}")
    # an unknown origin (a model fitted before the card said) is guarded
    assert MergedAnnotator(rules(), FakeModel([])).policy == DEFAULT_POLICY
