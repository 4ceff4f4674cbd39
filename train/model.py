"""Fitting, saving and loading a tagger against a newsgold dataset on disk.

A model folder holds `model.skops` (skops, not pickle) and `metadata.json`: schema hash, dataset
fingerprint, tags, feature description, versions, training time and the `model_version` under
which its predictions go back to Label Studio.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from pathlib import Path

from newsgold.annotate import __version__
from newsgold.annotate.dataset import fingerprint, load_split, schema_hash
from newsgold.annotate.errors import NewsgoldError
from newsgold.train import features as feature_module
from newsgold.train.tagger import SequenceTagger

MODEL_FILE = "model.skops"
METADATA_FILE = "metadata.json"
# Types a newsgold model file may contain; anything else in a file is refused on load.
_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "newsgold.train.tagger.", "builtins.")


class ModelError(NewsgoldError):
    """A model is missing, unreadable, or does not fit the dataset or schema."""


def fit_model(dataset: str | Path, out: str | Path, c1: float = 0.1, c2: float = 0.1) -> dict:
    import sklearn
    import skops.io as sio

    dataset, out = Path(dataset), Path(out)
    train = load_split(dataset, "train")
    if not train.tokens:
        raise ModelError(f"{dataset}: the train split is empty; export more annotated stories first")
    started = time.perf_counter()
    tagger = SequenceTagger(c1=c1, c2=c2).fit(train.tokens, train.tags, train.annotated_labels)
    seconds = time.perf_counter() - started
    out.mkdir(parents=True, exist_ok=True)
    sio.dump(tagger, out / MODEL_FILE)
    model_hash = hashlib.sha256((out / MODEL_FILE).read_bytes()).hexdigest()[:10]
    metadata = {
        "model_version": f"tagger-{model_hash}",
        "schema_hash": schema_hash(dataset),
        "dataset": str(dataset),
        "dataset_fingerprint": fingerprint(dataset),
        "train_documents": len(train.tokens),
        "labels": tagger.labels_,
        "labels_not_learned": sorted({l for labels in train.annotated_labels for l in labels} - set(tagger.labels_)),
        "tags": tagger.tags_,
        "params": tagger.get_params(),
        "features": feature_module.__doc__.strip(),
        "fit_seconds": round(seconds, 2),
        "versions": {"newsgold": __version__, "scikit-learn": sklearn.__version__, "python": platform.python_version()},
    }
    (out / METADATA_FILE).write_text(json.dumps(metadata, indent=2))
    return metadata


def load_model(model: str | Path, dataset: str | Path | None = None, expected_hash: str | None = None):
    """The tagger and its metadata; refuses a model whose schema differs from the dataset's."""
    import skops.io as sio

    model = Path(model)
    if not (model / MODEL_FILE).exists():
        raise ModelError(f"{model}: no {MODEL_FILE}; train one with `train fit DATASET --out {model}`")
    metadata = json.loads((model / METADATA_FILE).read_text())
    expected = expected_hash or (schema_hash(Path(dataset)) if dataset else None)
    if expected and metadata.get("schema_hash") and expected != metadata["schema_hash"]:
        raise ModelError(
            f"{model}: trained with schema hash {metadata['schema_hash']}, but "
            f"{dataset or 'the schema'} has {expected}; retrain the model on data of this schema"
        )
    untrusted = sio.get_untrusted_types(file=model / MODEL_FILE)
    refused = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
    if refused:
        raise ModelError(f"{model}: the model file holds unexpected types {refused}; refusing to load it")
    return sio.load(model / MODEL_FILE, trusted=untrusted), metadata
