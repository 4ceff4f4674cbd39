"""The starter model: the tagger fit on the train split of the starter gold shipped with
newsgold (`seeds/gold/starter/`, annotated under our own guidelines), named `starter` wherever a
model folder is accepted (`annotate preannotate|push --model starter`, `train predict|evaluate`).

It is built on first use into the cache (`annotate.language.cache_dir()/models`), once per
version of what decides it: the gold's bytes (train, and validation for the relation builder's
choice), the tagger's code and the language pipeline. Its
`model_version` is `starter-<hash>` of exactly those, so every machine with the same newsgold
builds the same version; a second use loads the folder built the first time. Two runs that build
it at once take turns (a file lock); the folder appears whole or not at all.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import tempfile
from importlib import resources
from pathlib import Path

NAME = "starter"
ANNOTATED_IN = "starter-gold"  # what the merge reads to trust it as gold under our guidelines


def gold_file(split: str = "train") -> Path:
    """A split of the starter gold (JSONL), shipped as package data: the model learns from
    `train`; the relation builder it ships (the rules' or the argument linker) is chosen on the
    gold spans of `validation`, held-out gold (by cross-validation of train the rules scored above
    the linker, on validation below it: tests/bench/bench_events.py)."""
    return Path(str(resources.files("newsgold.starter_gold") / f"{split}.jsonl"))


def _key() -> str:
    from newsgold.annotate.language import language
    from newsgold.train.versions import code_version

    decided_by = {
        "gold": hashlib.sha256(gold_file().read_bytes()).hexdigest(),
        "code": code_version(),
        "pipeline": language().identity,
        "development": hashlib.sha256(gold_file("validation").read_bytes()).hexdigest(),
    }
    return hashlib.sha256(json.dumps(decided_by, sort_keys=True).encode()).hexdigest()[:12]


def starter_folder() -> Path:
    """The starter model's folder, built first if this version of it is not in the cache yet.
    A cache it cannot be built in (not a folder, read-only, full) is one ModelError line."""
    from newsgold.annotate.language import cache_dir
    from newsgold.train.model import METADATA_FILE, ModelError

    key = _key()
    models = cache_dir() / "models"
    folder = models / f"{NAME}-{key}"
    if (folder / METADATA_FILE).is_file():
        return folder
    try:
        models.mkdir(parents=True, exist_ok=True)
        with open(models / f".{NAME}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another run building it: wait, then use its folder
            if not (folder / METADATA_FILE).is_file():
                _build(folder, key)
    except OSError as exc:
        raise ModelError(
            f"{models}: the starter model cannot be built there ({exc.strerror or exc}); set "
            "NEWSGOLD_CACHE to a writable folder with room, or pass --model a folder `train fit` "
            "wrote"
        ) from None
    return folder


def _build(folder: Path, key: str) -> None:
    """Fit the starter model beside `folder` and move it into place whole."""
    from newsgold.annotate.export import export_dataset
    from newsgold.train.model import METADATA_FILE, fit_model

    work = Path(tempfile.mkdtemp(prefix=f".{NAME}-", dir=folder.parent))
    try:
        export_dataset(work / "dataset", from_file=gold_file(), ratios=(1.0, 0.0, 0.0))
        development = [json.loads(line) for line in gold_file("validation").read_text().splitlines() if line.strip()]
        fit_model(work / "dataset", work / "model", development=development)
        metadata_path = work / "model" / METADATA_FILE
        metadata = json.loads(metadata_path.read_text())
        metadata.update(
            model_version=f"{NAME}-{key}",
            annotated_in=ANNOTATED_IN,
            dataset=f"newsgold {NAME} gold",
            starter_gold=str(gold_file().name),
        )
        metadata_path.write_text(json.dumps(metadata, indent=2))
        (work / "model").replace(folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def resolve(model: str | Path) -> Path:
    """The folder a `--model` value names: the starter model's for `starter`, else the path."""
    return starter_folder() if str(model) == NAME else Path(model)
