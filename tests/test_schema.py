import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsgold.annotate.cli import cli
from newsgold.annotate.dataset import features as dataset_features
from newsgold.annotate.errors import SchemaError
from newsgold.annotate.schema import guidelines_markdown, labelstudio_config, load_schema
from newsgold.annotate.studio.client import validate_config

SCHEMA_TOML = (load_schema().path).read_text()


def test_schema_has_four_labels_and_relations():
    schema = load_schema()
    assert schema.label_names == ("ACTOR", "LOCATION", "COUNT", "ACTION")
    assert {(r.name, r.head, r.tail) for r in schema.relations} >= {
        ("agent", "ACTION", "ACTOR"),
        ("place", "ACTION", "LOCATION"),
        ("quantity", "ACTION", "COUNT"),
        ("counts", "COUNT", "ACTOR"),
    }


def test_labelstudio_config_validates_in_sdk():
    schema = load_schema()
    config = labelstudio_config(schema)
    validate_config(config)
    for label in schema.labels:
        assert f'value="{label.name}"' in config
    assert '<Relations choice="single">' in config and 'toName="text"' in config


def test_sdk_rejects_broken_config():
    config = labelstudio_config(load_schema()).replace('toName="text"', 'toName="nowhere"')
    with pytest.raises(SchemaError, match="nowhere"):
        validate_config(config)


def test_features_have_nine_iob2_tags():
    features = dataset_features(load_schema())
    names = features["ner_tags"].feature.names
    assert len(names) == 9
    assert names[0] == "O" and "B-COUNT" in names and "I-ACTION" in names


def test_hash_is_stable_and_tracks_the_contract(tmp_path):
    first, again = load_schema(), load_schema()
    assert first.hash == again.hash
    # presentation edits keep the hash
    path = tmp_path / "s.toml"
    (tmp_path / "guidelines.md").write_text("# other guidelines\n")
    path.write_text(SCHEMA_TOML.replace("#1f77b4", "#000000"))
    assert load_schema(path).hash == first.hash
    # a renamed label changes it
    path.write_text(SCHEMA_TOML.replace('name = "COUNT"', 'name = "NUMBER"').replace('"COUNT"', '"NUMBER"'))
    assert load_schema(path).hash != first.hash


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda s: s.replace('hotkey = "l"', 'hotkey = "a"'), r"labels\[1\]\.hotkey"),
        (lambda s: s.replace('to = "COUNT"', 'to = "NUMBER"'), r"relations\[2\]\.to.*unknown label 'NUMBER'"),
        (lambda s: s.replace('color = "#2ca02c"', 'color = "green"'), r"labels\[1\]\.color"),
        (lambda s: s.replace('version = "1.0.0"\n', ""), r"'version' is missing"),
        (lambda s: s.replace("[[labels]]", "[[labels]", 1), "not valid TOML"),
        (lambda s: s.replace('name = "ACTION"', 'name = "ACTOR"'), "repeats label 'ACTOR'"),
        # a typo in a key is refused, naming the closest known key
        (lambda s: s.replace("[[labels]]", "[[lables]]", 1), "key 'lables' is unknown; did you mean 'labels'?"),
        (
            lambda s: s.replace("color = ", "colour = ", 1),
            r"key 'labels\[0\]\.colour' is unknown; did you mean 'color'\?",
        ),
        (
            lambda s: s.replace('color = "#1f77b4"', 'color = "#1f77b4"\ncolour = "#1f77b4"'),
            r"'labels\[0\]\.colour' is unknown",
        ),
        (
            lambda s: s.replace("[[relations]]", '[[relations]]\nfrmo = "ACTION"', 1),
            r"'relations\[0\]\.frmo' is unknown; did you mean 'from'",
        ),
        (lambda s: "zzz = 1\n" + s, "key 'zzz' is unknown; the known keys are name, version"),
    ],
)
def test_broken_schema_names_file_and_key(tmp_path, edit, message):
    path = tmp_path / "broken.toml"
    path.write_text(edit(SCHEMA_TOML))
    (tmp_path / "guidelines.md").write_text("# g\n")
    with pytest.raises(SchemaError, match=message) as info:
        load_schema(path)
    assert str(path) in str(info.value)


def test_missing_guidelines_file_is_reported(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SCHEMA_TOML)
    with pytest.raises(SchemaError, match="guidelines"):
        load_schema(path)


def test_guidelines_include_table_and_text():
    text = guidelines_markdown(load_schema())
    assert "| **COUNT** |" in text
    assert "dates and times" in text.lower()


@pytest.mark.parametrize("fmt", ["labelstudio", "features", "guidelines", "json"])
def test_cli_schema_formats(fmt):
    result = CliRunner().invoke(cli, ["schema", "--format", fmt])
    assert result.exit_code == 0, result.output
    if fmt == "json":
        assert json.loads(result.stdout)["hash"] == load_schema().hash
    if fmt == "labelstudio":
        assert result.stdout.startswith("<View>")


def test_cli_schema_error_is_one_line_and_nonzero(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("name = 1\n")
    result = CliRunner().invoke(cli, ["schema", "--schema", str(path)])
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "'name' must be a non-empty str" in result.stderr


def test_guidelines_are_read_next_to_the_schema_from_any_folder(tmp_path, monkeypatch):
    (tmp_path / "schema").mkdir()
    path = tmp_path / "schema" / "s.toml"
    path.write_text(SCHEMA_TOML)
    (tmp_path / "schema" / "guidelines.md").write_text("# the team's own guidelines\n")
    (tmp_path / "guidelines.md").write_text("# the wrong file, in the current folder\n")
    monkeypatch.chdir(tmp_path)
    assert load_schema(Path("schema/s.toml")).guidelines == "# the team's own guidelines\n"


@pytest.mark.parametrize("target", ["../../../../etc/passwd", "/etc/passwd", "link.md", "../outside.md"])
def test_guidelines_outside_the_schema_folder_are_refused(tmp_path, target):
    (tmp_path / "outside.md").write_text("secret\n")
    folder = tmp_path / "schema"
    folder.mkdir()
    (folder / "link.md").symlink_to(tmp_path / "outside.md")
    path = folder / "s.toml"
    path.write_text(SCHEMA_TOML.replace('guidelines = "guidelines.md"', f'guidelines = "{target}"'))
    with pytest.raises(SchemaError, match="leads outside the schema's folder") as info:
        load_schema(path)
    assert str(path) in str(info.value) and "secret" not in str(info.value)
    result = CliRunner().invoke(cli, ["schema", "--schema", str(path), "--format", "guidelines"])
    assert result.exit_code == 1 and "secret" not in result.output and "root:" not in result.output
