"""Issue 20, class 7: a model folder is loaded only with the SHA-256 of its model file.

Every command that loads a model (train predict, train evaluate, annotate preannotate --model,
annotate push --model, the last two through the `newsgold.models` entry point) refuses, with
one line naming metadata.json or model.skops and the fix, a folder whose `model_sha256` is removed,
emptied, of the wrong type or malformed, or whose model.skops was swapped for another model's
under the original metadata; and writes nothing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.hostile.kit import assert_ok, assert_refused, digests, invoke

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "seeds" / "gold"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A dataset, a model fitted on it, and another model (other hyper-parameters) to swap in."""
    root = tmp_path_factory.mktemp("integrity")
    assert_ok(invoke(["annotate", "export", "--from", GOLD / "seeds.jsonl", "--out", root / "dataset"]))
    assert_ok(invoke(["train", "fit", root / "dataset", "--out", root / "model"]))
    assert_ok(invoke(["train", "fit", root / "dataset", "--out", root / "other", "--c1", "0.7"]))
    (root / "docs.jsonl").write_text(json.dumps({"text": "Afghan soldiers fled to Tajikistan, officials said."}) + "\n")
    return root


def _set(value):
    def damage(model: Path, other: Path) -> None:
        metadata = json.loads((model / "metadata.json").read_text())
        if value is _set:
            metadata.pop("model_sha256")
        else:
            metadata["model_sha256"] = value
        (model / "metadata.json").write_text(json.dumps(metadata))

    return damage


def _swapped(model: Path, other: Path) -> None:
    shutil.copy(other / "model.skops", model / "model.skops")


def _swapped_and_removed(model: Path, other: Path) -> None:  # the example
    _swapped(model, other)
    _set(_set)(model, other)


DAMAGES = {
    "removed": (_set(_set), "metadata.json: has no model_sha256"),
    "null": (_set(None), "metadata.json: has no model_sha256"),
    "emptied": (_set(""), "metadata.json: has a model_sha256 that is no SHA-256"),
    "number": (_set(12345), "metadata.json: has a model_sha256 that is no SHA-256"),
    "list": (_set(["ab" * 32]), "metadata.json: has a model_sha256 that is no SHA-256"),
    "short": (_set("ab" * 20), "metadata.json: has a model_sha256 that is no SHA-256"),
    "not-hex": (_set("z" * 64), "metadata.json: has a model_sha256 that is no SHA-256"),
    "swapped": (_swapped, "model.skops: its content differs from the SHA-256 recorded in metadata.json"),
    "swapped-and-removed": (_swapped_and_removed, "metadata.json: has no model_sha256"),
}

COMMANDS = {
    "predict": lambda b, m, o: ["train", "predict", m, b / "docs.jsonl", "-o", o / "p.jsonl"],
    "evaluate": lambda b, m, o: ["train", "evaluate", m, b / "dataset", "--split", "train"],
    "preannotate": lambda b, m, o: ["annotate", "preannotate", b / "docs.jsonl", "--model", m, "-o", o / "p.jsonl"],
    # refused before any server is asked (the model is loaded first)
    "push": lambda b, m, o: [
        "annotate",
        "push",
        b / "docs.jsonl",
        "--project",
        "integrity",
        "--model",
        m,
        "--data-dir",
        o / "ls",
    ],
}


@pytest.mark.parametrize("damage", list(DAMAGES))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_model_without_a_valid_digest_is_refused(built, tmp_path, command, damage):
    model, out = tmp_path / "model", tmp_path / "out"
    shutil.copytree(built / "model", model)
    out.mkdir()
    make, message = DAMAGES[damage]
    make(model, built / "other")
    before = digests(tmp_path, built / "dataset")
    error = assert_refused(invoke(COMMANDS[command](built, model, out)), str(model))
    assert message in error and f"train fit DATASET --out {model}" in error, error
    assert digests(tmp_path, built / "dataset") == before  # nothing written, no report folder


@pytest.mark.parametrize("command", list(COMMANDS)[:3])
def test_the_genuine_model_still_loads(built, tmp_path, command):
    (tmp_path / "out").mkdir()
    model = tmp_path / "model"
    shutil.copytree(built / "model", model)
    assert_ok(invoke(COMMANDS[command](built, model, tmp_path / "out")))


def test_an_upper_case_digest_is_the_same_digest(built, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(built / "model", model)
    metadata = json.loads((model / "metadata.json").read_text())
    metadata["model_sha256"] = metadata["model_sha256"].upper()
    (model / "metadata.json").write_text(json.dumps(metadata))
    assert_ok(invoke(COMMANDS["predict"](built, model, tmp_path)))


def test_the_entry_point_loader_refuses_it_too(built, tmp_path):
    from newsgold.annotate.errors import NewsgoldError
    from newsgold.train.predict import load_preannotator

    model = tmp_path / "model"
    shutil.copytree(built / "model", model)
    _swapped_and_removed(model, built / "other")
    with pytest.raises(NewsgoldError, match="has no model_sha256"):
        load_preannotator(model)
