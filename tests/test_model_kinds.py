"""Model kinds (annotate/preannotate/models.py): a model folder's manifest names its kind, and
`annotate preannotate|push --model` open it through the loader an entry point of the group
`newsgold.models` registers. A second kind, registered here by replacing the entry-point lookup,
is loaded and used without editing those commands; an unknown or forged kind is refused in one
line and imports nothing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsgold.annotate import plugins
from newsgold.annotate.cli import cli as annotate_cli
from newsgold.annotate.preannotate.models import DEFAULT_KIND, GROUP, kinds, model_kind
from newsgold.annotate.preannotator import AnnotatedDocument
from newsgold.annotate.spans import Span
from newsgold.annotate.tokens import token_arrays

TEXT = "Kabul was quiet on Monday, officials said."


class FirstWord:
    """A toy model kind: the first word of every document, as a LOCATION."""

    labels, relations = ("LOCATION",), "rules"

    def __init__(self, folder, version: str, annotated_in: str | None):
        self.folder, self.model_version, self.annotated_in = folder, version, annotated_in

    def annotate(self, document) -> AnnotatedDocument:
        words, starts, ends = token_arrays(document.text)
        span = Span(starts[0], ends[0], "LOCATION", words[0], 0.99, "w1")
        return AnnotatedDocument(document, (span,), (), self.model_version, score=0.25)


LOADED = []  # (folder, schema hash) of each folder the toy loader opened


def load_first_word(folder, schema_hash):
    LOADED.append((Path(folder), schema_hash))
    manifest = json.loads((Path(folder) / "metadata.json").read_text())
    return FirstWord(folder, manifest["model_version"], manifest.get("annotated_in"))


class Point:
    """An entry point as importlib.metadata gives one: a name, a value and `load`."""

    def __init__(self, name, value, target):
        self.name, self.value, self.group, self._target = name, value, GROUP, target

    def load(self):
        return self._target


@pytest.fixture
def toy_kind(monkeypatch):
    """The installed entry points plus the kind `first-word`, as a second package would register it."""
    installed = plugins.found
    monkeypatch.setattr(
        plugins,
        "found",
        lambda group: (
            installed(group)
            + (
                [Point("first-word", "tests.test_model_kinds:load_first_word", load_first_word)]
                if group == GROUP
                else []
            )
        ),
    )
    LOADED.clear()
    return "first-word"


def folder_of(tmp_path: Path, manifest: dict, name: str = "model") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "metadata.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture
def documents(tmp_path) -> Path:
    path = tmp_path / "docs.jsonl"
    path.write_text(json.dumps({"id": "d1", "text": TEXT}) + "\n")
    return path


def test_the_installed_kinds_are_the_entry_points_of_the_group(toy_kind):
    assert DEFAULT_KIND in kinds() and toy_kind in kinds()


def test_a_second_kind_is_loaded_and_used_by_preannotate(toy_kind, tmp_path, documents):
    model = folder_of(tmp_path, {"kind": toy_kind, "model_version": "first-word-1", "annotated_in": "label-studio"})
    out = tmp_path / "p.jsonl"
    result = CliRunner().invoke(annotate_cli, ["preannotate", str(documents), "--model", str(model), "-o", str(out)])
    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert [p for p, _ in LOADED] == [model]
    assert record["model_version"].endswith("+first-word-1~split")  # its gold is ours: the model decides LOCATION
    assert {"start": 0, "end": 5, "label": "LOCATION"}.items() <= record["spans"][0].items()
    assert record["score"] == 0.25  # the document score the toy gave


class Pushed(Exception):
    """Raised by the stand-in of the import, carrying the records the push pre-annotated."""


def test_a_second_kind_is_loaded_and_used_by_push(toy_kind, tmp_path, documents, monkeypatch):
    from newsgold.annotate.studio import push, server

    def imported(ls, project, schema, docs, annotate, *args, **kwargs):
        raise Pushed(annotate(docs))

    monkeypatch.setattr(server, "connect", lambda data_dir=None: object())
    monkeypatch.setattr(push, "import_documents", imported)
    model = folder_of(tmp_path, {"kind": toy_kind, "model_version": "first-word-2"})
    result = CliRunner().invoke(
        annotate_cli,
        ["push", str(documents), "--project", "kinds", "--model", str(model), "--data-dir", str(tmp_path / "ls")],
    )
    assert isinstance(result.exception, Pushed), result.output
    (record,) = result.exception.args[0]
    assert [p for p, _ in LOADED] == [model]
    assert record["model_version"].endswith("+first-word-2")  # unknown origin: the default, guarded policy
    assert record["score"] == 0.25


@pytest.mark.parametrize("kind", ["no-such-kind", "newsgold.train.predict:load_preannotator", "tagger "])
def test_an_unknown_kind_is_one_line_naming_the_folder_the_kind_and_the_fix(tmp_path, documents, kind):
    model = folder_of(tmp_path, {"kind": kind, "model_version": "x-1"})
    out = tmp_path / "p.jsonl"
    result = CliRunner().invoke(annotate_cli, ["preannotate", str(documents), "--model", str(model), "-o", str(out)])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith(f"Error: {model}: a model of kind {json.dumps(kind)}"), result.output
    assert GROUP in result.output and f"train fit DATASET --out {model}" in result.output
    assert "installed: tagger" in result.output and not out.exists()


@pytest.mark.parametrize("kind", [["tagger"], 3, "", None])
def test_a_kind_that_is_no_name_is_one_line(tmp_path, documents, kind):
    model = folder_of(tmp_path, {"kind": kind, "model_version": "x-1"})
    result = CliRunner().invoke(
        annotate_cli, ["preannotate", str(documents), "--model", str(model), "-o", str(tmp_path / "p.jsonl")]
    )
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith(f"Error: {model / 'metadata.json'}: its 'kind' is"), result.output


def test_a_forged_manifest_imports_no_module_of_its_choosing(tmp_path, documents, monkeypatch):
    """A kind naming an importable module (as a module, or as `module:object`) is only a name:
    no entry point has it, so nothing is imported and the folder is refused."""
    probe = tmp_path / "forged_kind_probe.py"
    probe.write_text(f"open({str(tmp_path / 'imported')!r}, 'w').close()\ndef load(*a):\n    return None\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for n, kind in enumerate(["forged_kind_probe", "forged_kind_probe:load", f"{probe}"]):
        model = folder_of(tmp_path, {"kind": kind, "model_version": "x-1"}, f"model{n}")
        result = CliRunner().invoke(
            annotate_cli, ["preannotate", str(documents), "--model", str(model), "-o", str(tmp_path / "p.jsonl")]
        )
        assert result.exit_code == 1 and "which no installed package provides" in result.output, result.output
    assert not (tmp_path / "imported").exists() and "forged_kind_probe" not in sys.modules


def test_a_folder_without_a_kind_is_a_tagger(tmp_path):
    """Folders written before the manifest named a kind, the starter, and a folder without a
    readable manifest (the tagger's loader says what is wrong with it) are of the default kind."""
    assert model_kind(folder_of(tmp_path, {"model_version": "tagger-1"})) == DEFAULT_KIND
    assert model_kind("starter") == DEFAULT_KIND
    assert model_kind(tmp_path / "nothing-here") == DEFAULT_KIND
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "metadata.json").write_text('{"kind": ')
    assert model_kind(tmp_path / "broken") == DEFAULT_KIND


def test_train_refuses_a_folder_of_another_kind_in_one_line(toy_kind, tmp_path, documents):
    from newsgold.train.cli import cli as train_cli

    model = folder_of(tmp_path, {"kind": toy_kind, "model_version": "first-word-1"})
    result = CliRunner().invoke(train_cli, ["predict", str(model), str(documents), "-o", str(tmp_path / "p.jsonl")])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith(f'Error: {model}: a model of kind "first-word", not the tagger'), result.output
    assert f"annotate preannotate --model {model}" in result.output and not LOADED


def test_a_broken_entry_point_is_one_line(monkeypatch):
    from newsgold.annotate.errors import NewsgoldError

    class Broken(Point):
        def load(self):
            raise ModuleNotFoundError("No module named 'gone'")

    monkeypatch.setattr(plugins, "found", lambda group: [Broken("gone", "gone:load", None)])
    with pytest.raises(
        NewsgoldError,
        match=r"^entry point 'gone' of group newsgold.models \(gone:load\) cannot be "
        r"loaded \(ModuleNotFoundError: No module named 'gone'\); reinstall",
    ):
        plugins.load(GROUP, "gone")


def test_the_loops_trainer_is_found_the_same_way(monkeypatch):
    from newsgold.annotate.errors import NewsgoldError
    from newsgold.annotate.studio.loop import load_trainer
    from newsgold.train.rounds import fit_round

    assert load_trainer() is fit_round
    monkeypatch.setattr(plugins, "found", lambda group: [])
    with pytest.raises(
        NewsgoldError, match=r"^no trainer is installed \(entry point 'tagger' in group newsgold.trainers\)"
    ):
        load_trainer()
