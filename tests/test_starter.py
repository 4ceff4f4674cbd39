"""The starter model (train/starter.py): `--model starter` wherever a model folder is accepted,
built once on first use with one deterministic model_version."""

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from newsgold.annotate.cli import cli as annotate_cli
from newsgold.train import starter
from newsgold.train.cli import cli as train_cli

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_f9e0f576e8aed2c8.txt"


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_starter_gold_ships_as_package_data():
    gold = starter.gold_file()
    assert gold.is_file() and gold.parent == ROOT / "seeds" / "gold" / "starter"
    docs = records(gold)
    assert len(docs) >= 40 and all(d["relations"] for d in docs[:1])
    assert all(set(d["annotated_labels"]) == {"ACTOR", "LOCATION", "COUNT", "ACTION"} for d in docs)


def test_preannotate_and_predict_with_the_starter(tmp_path):
    out = tmp_path / "pre.jsonl"
    result = CliRunner().invoke(annotate_cli, ["preannotate", str(SEED), "--model", "starter", "-o", str(out)])
    assert result.exit_code == 0, result.output
    (record,) = records(out)
    rules, model = record["model_version"].rsplit("+", 1)
    assert rules.startswith("rules-") and model.startswith("starter-")
    assert record["spans"]
    predicted = tmp_path / "tagger.jsonl"
    result = CliRunner().invoke(train_cli, ["predict", "starter", str(SEED), "-o", str(predicted)])
    assert result.exit_code == 0, result.output
    (alone,) = records(predicted)
    assert alone["model_version"] == model.split("~")[0]
    assert {s["label"] for s in alone["spans"]} <= {"ACTOR", "LOCATION", "COUNT", "ACTION"} and alone["spans"]


def test_the_merge_trusts_the_starter_for_every_label():
    """Its gold is ours: the merge may take ACTION and COUNT from it too (a re3d model's are the
    rules' alone), under the policy chosen for it on the development split."""
    from newsgold.annotate.preannotate.merge import RULES_ONLY, STARTER_POLICY, load_merged
    from newsgold.annotate.schema import load_schema

    merged = load_merged("starter", load_schema().hash)
    assert merged.policy == STARTER_POLICY
    assert RULES_ONLY <= merged.learned == frozenset(load_schema().label_names)


def test_two_fresh_caches_build_the_same_version_at_once(tmp_path):
    """Built from nothing twice at the same time (two processes, one cache) and once more in
    another cache: one folder per cache, the same model_version everywhere."""
    code = (
        "import sys; from newsgold.train.starter import starter_folder; "
        "from newsgold.train.model import load_model; print(load_model(starter_folder())[1]['model_version'])"
    )
    shared = {**os.environ, "NEWSGOLD_CACHE": str(tmp_path / "one")}
    runs = [
        subprocess.Popen([sys.executable, "-c", code], env=shared, stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    other = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "NEWSGOLD_CACHE": str(tmp_path / "two")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    versions = {run.communicate(timeout=600)[0] for run in runs} | {other}
    assert all(run.returncode == 0 for run in runs)
    assert len(versions) == 1 and next(iter(versions)).startswith("starter-")
    built = [p.name for p in (tmp_path / "one" / "models").iterdir() if not p.name.startswith(".")]
    assert len(built) == 1  # no half-built or second folder left beside it


def test_a_cache_the_starter_cannot_be_built_in_is_one_line(monkeypatch, tmp_path):
    from tests.hostile.kit import assert_refused, invoke

    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("NEWSGOLD_CACHE", str(blocked / "below"))
    out = tmp_path / "out.jsonl"
    for argv in (
        ["annotate", "preannotate", SEED, "--model", "starter", "-o", out],
        ["train", "predict", "starter", SEED, "-o", out],
    ):
        assert_refused(invoke(argv), "starter model cannot be built", "NEWSGOLD_CACHE")
    assert not out.exists()


def test_a_full_disk_while_the_starter_is_built_leaves_nothing_half_built(monkeypatch, tmp_path):
    import errno
    from pathlib import Path

    from tests.hostile.kit import assert_refused, invoke

    monkeypatch.setenv("NEWSGOLD_CACHE", str(tmp_path / "cache"))
    replace = Path.replace

    def full(self, target):
        if Path(target).name.startswith("starter-"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return replace(self, target)

    monkeypatch.setattr(Path, "replace", full)
    out = tmp_path / "out.jsonl"
    assert_refused(
        invoke(["annotate", "preannotate", SEED, "--model", "starter", "-o", out]), "No space left on device"
    )
    assert not out.exists()
    assert [p.name for p in (tmp_path / "cache" / "models").iterdir()] == [".starter.lock"]


def test_the_starter_chooses_its_relation_builder_on_the_validation_split():
    """Its gold's validation file, held out from the fit, decides whether the linker or the rules
    draw the relations (never a cross-validation of the train split)."""
    from newsgold.train.model import load_model

    _, metadata = load_model("starter")
    validation = records(starter.gold_file("validation"))
    assert metadata["linker"]["chosen_on"] == f"validation ({len(validation)} documents)"
    assert metadata["relations"] in ("linker", "rules") and set(metadata["linker"]["scores"]) == {"linker", "rules"}
