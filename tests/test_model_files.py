"""Model files as a hostile or careless user hands them over: a forged skops file runs nothing, a
broken one gives one line naming it; model_version depends on what decides the predictions."""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
import zipfile
from pathlib import Path

import pytest
import skops.io as sio
from click.testing import CliRunner

from newsgold.annotate.api import export_dataset
from newsgold.train.cli import cli as train_cli
from newsgold.train.model import METADATA_FILE, MODEL_FILE, TRUSTED_TYPES, ModelError, fit_model, load_model

GOLD = Path(__file__).resolve().parent.parent / "seeds" / "gold"
TEXT = "Afghan soldiers fled to Tajikistan, officials said."


RE3D = GOLD.parent / "corpora" / "re3d"


def unlabelled(path: Path, source: str = "CENTCOM") -> Path:
    """The texts of one re3d source as a JSONL file of raw documents (its entities unused)."""
    lines = (RE3D / source / "documents.json").read_text().splitlines()
    path.write_text("".join(json.dumps({"text": json.loads(line)["text"]}) + "\n" for line in lines if line.strip()))
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A dataset exported from the seed gold and a model fitted on it, its word clusters learned
    from unlabelled news too."""
    folder = tmp_path_factory.mktemp("model")
    export_dataset(out=folder / "dataset", from_file=GOLD / "seeds.jsonl")
    metadata = fit_model(folder / "dataset", folder / "model", unlabelled=[unlabelled(folder / "news.jsonl")])
    assert metadata["unlabelled_documents"] > 10 and metadata["clustered_words"] > 256
    (folder / "input.txt").write_text(TEXT)
    return folder, metadata


def copy_model(trained, tmp_path, name="copy") -> Path:
    target = tmp_path / name
    shutil.copytree(trained[0] / "model", target)
    return target


def add_exec_node(path: Path, payload: str) -> None:
    """Add to the state a skops file holds a node skops constructs as `builtins.exec(payload)`:
    a working node that would run code if its type were trusted."""
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    schema = json.loads(files["schema.json"])
    state = schema["content"]  # the estimator's __dict__
    state["key_types"]["content"].append({"__class__": "str", "__module__": "builtins", "__loader__": "TypeNode"})
    state["content"]["evil"] = {
        "__class__": "exec",
        "__module__": "builtins",
        "__loader__": "ConstructorFromReduceNode",
        "content": {
            "__class__": "tuple",
            "__module__": "builtins",
            "__loader__": "TupleNode",
            "content": [
                {
                    "__class__": "str",
                    "__module__": "builtins",
                    "__loader__": "JsonNode",
                    "content": json.dumps(payload),
                    "is_json": True,
                }
            ],
        },
    }
    files["schema.json"] = json.dumps(schema).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def forge(model: Path, marker: Path, *, update_hash: bool) -> None:
    """Add to the tagger's state a node skops constructs as `builtins.exec(payload)`."""
    add_exec_node(model / MODEL_FILE, f"open({str(marker)!r}, 'w').write('ran')")
    metadata = json.loads((model / METADATA_FILE).read_text())
    if update_hash:
        metadata["model_sha256"] = hashlib.sha256((model / MODEL_FILE).read_bytes()).hexdigest()
    else:
        metadata.pop("model_sha256")  # as a model written before the hash was recorded, or a tampered one
    (model / METADATA_FILE).write_text(json.dumps(metadata))


def predict_cli(model: Path, trained, tmp_path):
    output = tmp_path / "predictions.jsonl"
    result = CliRunner().invoke(train_cli, ["predict", str(model), str(trained[0] / "input.txt"), "-o", str(output)])
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert result.exit_code == 1 and len(errors) == 1 and "Traceback" not in result.output, result.output
    assert not output.exists()
    return errors[0]


def test_the_allowlist_is_exactly_what_a_fitted_tagger_holds(trained):
    from newsgold.train.model import FILE_TYPES

    assert sio.get_untrusted_types(file=trained[0] / "model" / MODEL_FILE) == list(FILE_TYPES[MODEL_FILE])
    assert set(TRUSTED_TYPES) == {t for types in FILE_TYPES.values() for t in types}


@pytest.mark.parametrize("update_hash", [True, False], ids=["hash-updated", "no-hash"])
def test_a_forged_model_runs_nothing(trained, tmp_path, update_hash):
    model, marker = copy_model(trained, tmp_path), tmp_path / "payload-ran"
    forge(model, marker, update_hash=update_hash)
    # the forged file is a working skops file that would run its payload if its types were trusted
    assert "builtins.exec" in sio.get_untrusted_types(file=model / MODEL_FILE)
    error = predict_cli(model, trained, tmp_path)
    if update_hash:
        assert f"{model / MODEL_FILE}: holds types a newsgold tagger never contains (builtins.exec)" in error
    else:  # a folder without its digest is refused before its file is opened (issue 20, class 7)
        assert f"{model / METADATA_FILE}: has no model_sha256" in error
    assert not marker.exists()


def test_a_model_file_changed_after_training_is_refused(trained, tmp_path):
    model, marker = copy_model(trained, tmp_path), tmp_path / "payload-ran"
    forge(model, marker, update_hash=True)
    good = trained[0] / "model"
    (model / METADATA_FILE).write_text((good / METADATA_FILE).read_text())  # the hash of the genuine file
    error = predict_cli(model, trained, tmp_path)
    assert "differs from the SHA-256 recorded in metadata.json" in error and not marker.exists()


def _text(model):
    (model / MODEL_FILE).write_text("import os; os.system('echo pwned')")


def _pickle(model):
    (model / MODEL_FILE).write_bytes(pickle.dumps({"weights": [1, 2, 3]}))


def _truncated(model):
    data = (model / MODEL_FILE).read_bytes()
    (model / MODEL_FILE).write_bytes(data[: len(data) // 2])


def _other_zip(model):
    with zipfile.ZipFile(model / MODEL_FILE, "w") as archive:
        archive.writestr("notes.txt", "not a model")
    metadata = json.loads((model / METADATA_FILE).read_text())
    metadata["model_sha256"] = hashlib.sha256((model / MODEL_FILE).read_bytes()).hexdigest()
    (model / METADATA_FILE).write_text(json.dumps(metadata))


def _no_metadata(model):
    (model / METADATA_FILE).unlink()


def _broken_metadata(model):
    (model / METADATA_FILE).write_text('{"model_version": ')


def _foreign_metadata(model):
    (model / METADATA_FILE).write_text("[1, 2]")


@pytest.mark.parametrize(
    "damage, names, cause",
    [
        (_text, MODEL_FILE, "not a skops file"),
        (_pickle, MODEL_FILE, "not a skops file"),
        (_truncated, MODEL_FILE, "truncated or damaged"),
        (_other_zip, MODEL_FILE, "not a readable skops file"),
        (_no_metadata, METADATA_FILE, "missing"),
        (_broken_metadata, METADATA_FILE, "not readable JSON"),
        (_foreign_metadata, METADATA_FILE, "no model_version"),
    ],
    ids=lambda v: getattr(v, "__name__", "")[1:] or None,
)
def test_a_broken_model_folder_is_one_line(trained, tmp_path, damage, names, cause):
    model = copy_model(trained, tmp_path)
    damage(model)
    error = predict_cli(model, trained, tmp_path)
    assert f"{model / names}: " in error and cause in error and f"train fit DATASET --out {model}" in error
    with pytest.raises(ModelError):
        load_model(model)


def test_predict_skip_bad_leaves_out_an_empty_input(trained, tmp_path):
    folder = trained[0]
    (tmp_path / "empty.txt").write_text("")
    output = tmp_path / "p.jsonl"
    argv = ["predict", str(folder / "model"), str(tmp_path / "empty.txt"), str(folder / "input.txt"), "-o", str(output)]
    result = CliRunner().invoke(train_cli, argv)
    assert result.exit_code == 1 and "empty.txt: the document text is empty" in result.output and not output.exists()
    result = CliRunner().invoke(train_cli, argv + ["--skip-bad"])
    assert result.exit_code == 0 and "skipped" in result.output and "empty.txt" in result.output
    assert len(output.read_text().splitlines()) == 1


def test_model_version_is_decided_by_data_parameters_and_code(trained, tmp_path):
    folder, first = trained
    news = [folder / "news.jsonl"]
    again = fit_model(folder / "dataset", tmp_path / "again", unlabelled=news)
    assert again["model_version"] == first["model_version"]  # same data, same parameters: same version
    loaded, metadata = load_model(tmp_path / "again")
    assert metadata["model_version"] == first["model_version"]
    assert loaded.clusters_ == load_model(folder / "model")[0].clusters_  # the same clusters, too
    assert (
        fit_model(folder / "dataset", tmp_path / "c1", c1=0.5, unlabelled=news)["model_version"]
        != first["model_version"]
    )
    # the unlabelled text decides the clusters, so it is part of the version
    assert fit_model(folder / "dataset", tmp_path / "none")["model_version"] != first["model_version"]
    other = [unlabelled(tmp_path / "other.jsonl", "UK Government")]
    assert (
        fit_model(folder / "dataset", tmp_path / "other-news", unlabelled=other)["model_version"]
        != first["model_version"]
    )
    export_dataset(out=tmp_path / "other", from_file=GOLD / "heldout.jsonl")
    assert fit_model(tmp_path / "other", tmp_path / "other-model")["model_version"] != first["model_version"]


def _bad_items(folder: Path) -> Path:
    folder = folder / "news"  # a folder of its own: the model may not be written inside a folder read
    folder.mkdir()
    (folder / "empty.txt").write_text("")
    (folder / "bad.jsonl").write_text('{"text": "Rebels left Aleppo."}\n{"text": 3}\n')
    return folder


def _empty_folder(folder: Path) -> Path:
    (folder / "none").mkdir()
    return folder / "none"


@pytest.mark.parametrize(
    "make, cause",
    [
        (_bad_items, "empty.txt: the document text is empty; remove it, fill it in or pass --skip-bad"),
        (_empty_folder, "no unlabelled documents were read from"),
    ],
    ids=["bad-items", "empty-folder"],
)
def test_bad_unlabelled_input_is_one_line_and_writes_no_model(trained, tmp_path, make, cause):
    bad = make(tmp_path)
    out = tmp_path / "model"
    result = CliRunner().invoke(
        train_cli, ["fit", str(trained[0] / "dataset"), "--out", str(out), "--unlabelled", str(bad)]
    )
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert result.exit_code == 1 and len(errors) == 1 and cause in errors[0], result.output
    assert "Traceback" not in result.output and not out.exists()


def test_fit_skip_bad_lists_the_unlabelled_items_left_out(trained, tmp_path):
    folder = _bad_items(tmp_path)
    out = tmp_path / "model"
    argv = [
        "fit",
        str(trained[0] / "dataset"),
        "--out",
        str(out),
        "--skip-bad",
        "--unlabelled",
        str(folder / "empty.txt"),
        "--unlabelled",
        str(folder / "bad.jsonl"),
    ]
    result = CliRunner().invoke(train_cli, argv)
    assert result.exit_code == 0, result.output
    assert "empty.txt: the document text is empty" in result.output
    assert "bad.jsonl line 2: field 'text' is int, not text" in result.output
    metadata = json.loads((out / METADATA_FILE).read_text())
    assert metadata["unlabelled_documents"] == 1 and len(metadata["unlabelled_skipped"]) == 2
