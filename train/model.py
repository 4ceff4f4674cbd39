"""Fitting, saving and loading a tagger against a newsgold dataset on disk.

A model folder holds `model.skops` (skops, not pickle) and `metadata.json`, the folder's manifest:
its model kind (`kind`: `KIND`, the entry point of the group `newsgold.models` through which
`annotate` opens it, `annotate.preannotate.models`; a folder without one is of this kind), schema hash, dataset
fingerprint, tags, feature description, versions, training time, the SHA-256 of `model.skops`
(checked on load: a folder without it, or with a malformed one, is refused like one whose file
differs) and the `model_version` under which its predictions go back to Label Studio. It is
written whole through `annotate.outputs` (MODEL_FOLDER), with a marker file.

`model_version` is derived from what decides the predictions — the dataset fingerprint, the
hyper-parameters, the tagger's code and resources, the CRF library's version and, for a tagger
with the language layer's features, the pipeline's identity — never from the skops bytes (they
differ on every fit), so fitting the same data twice gives the same version and a re-run pushes
no second round of predictions.

A tagger with pipeline features (`train fit`'s default) records the pipeline it was trained with
(`metadata["pipeline"]`, `Pipeline.describe()`); `load_model` refuses it, in one line, when the
pipeline installed is another (its features would mean something else). A plain-features model
needs no pipeline.
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import re
import time
import zipfile
from importlib.metadata import version
from pathlib import Path

from newsgold.annotate import __version__
from newsgold.annotate.dataset import annotated_in, fingerprint, schema_hash
from newsgold.annotate.errors import NewsgoldError
from newsgold.annotate.language import PipelineError, language
from newsgold.annotate.outputs import FolderKind, check_folder, output_folder
from newsgold.annotate.preannotate.models import MANIFEST, model_kind
from newsgold.train import features as feature_module
from newsgold.train.evaluate import REPORT_FOLDER
from newsgold.train.features import KINDS, context_for
from newsgold.train.tagger import SequenceTagger
from newsgold.train.versions import code_version, model_version

MODEL_FILE = "model.skops"


LINKER_FILE = "linker.skops"  # the argument linker (train/linker.py), beside the tagger


METADATA_FILE = MANIFEST  # metadata.json


KIND = "tagger"  # the model kind of the folders `fit_model` writes (pyproject's `newsgold.models`)


MODEL_MARKER = ".newsgold-model"


# the folder `train fit --out` writes: replaced by the next fit only when newsgold wrote it (its
# model, its metadata, the reports `train evaluate` put beside them); one of an older newsgold
# has the model and metadata but no marker
MODEL_FOLDER = FolderKind(
    what="a model folder `train fit` wrote",
    marker=MODEL_MARKER,
    written=frozenset({MODEL_MARKER, MODEL_FILE, LINKER_FILE, METADATA_FILE}),
    legacy=frozenset({MODEL_FILE, METADATA_FILE}),
    subfolders=(("eval-*", REPORT_FOLDER),),
)


_SHA256 = re.compile(r"[0-9a-f]{64}")


# The exact types each file of a model holds beyond skops' own safe defaults (str, int, float,
# bool, list, dict, numpy arrays, scikit-learn's DictVectorizer and LogisticRegression):
# `skops.io.get_untrusted_types` of a fitted tagger and linker. Any other type in a file is
# refused before anything in it is constructed.
FILE_TYPES = {
    MODEL_FILE: ("newsgold.train.tagger.SequenceTagger",),
    LINKER_FILE: ("newsgold.train.linker.ArgumentLinker",),
}


TRUSTED_TYPES = tuple(t for types in FILE_TYPES.values() for t in types)


_DIGESTS = {MODEL_FILE: "model_sha256", LINKER_FILE: "linker_sha256"}


class ModelError(NewsgoldError):
    """A model is missing, unreadable, or does not fit the dataset or schema."""


def read_unlabelled(paths, text_field: str = "text", skip_bad: bool = False):
    """The tokens of every document in `paths` (.txt, folders, JSONL, CSV, as `annotate push`
    reads them), a digest of their texts in order (None without paths), and the items skipped
    with `skip_bad` (else a bad item raises DocumentError)."""
    from newsgold.annotate.documents import iter_documents
    from newsgold.annotate.tokens import token_arrays

    paths = list(paths)
    if not paths:
        return [], None, []
    digest = hashlib.sha256()
    tokens, skipped = [], []
    for document in iter_documents(paths, text_field, skipped.append if skip_bad else None, skipped.append):
        digest.update(hashlib.sha256(document.text.encode()).digest())
        tokens.append(token_arrays(document.text)[0])
    if not tokens:
        raise ModelError(f"no unlabelled documents were read from {', '.join(map(str, paths))}; check the paths")
    return tokens, digest.hexdigest()[:16], skipped


def fit_tagger(train, c1: float = 0.1, c2: float = 0.1, features: str = KINDS[0], unlabelled=()) -> SequenceTagger:
    """A tagger fitted on the Split `train` as `train fit` fits it: with pipeline features, the
    texts of the split analysed in one call of the language layer."""
    context = context_for(features, train.texts, train.offsets)
    return SequenceTagger(c1=c1, c2=c2, features=features).fit(
        train.tokens, train.tags, train.annotated_labels, unlabelled=unlabelled, context=context
    )


def fit_model(
    dataset: str | Path,
    out: str | Path,
    c1: float = 0.1,
    c2: float = 0.1,
    unlabelled=(),
    text_field: str = "text",
    skip_bad: bool = False,
    features: str = KINDS[0],
    development: list[dict] | None = None,
) -> dict:
    """Fit on the train split of `dataset`; the word clusters learn from its texts and from the
    documents in the paths `unlabelled` (raw news, e.g. what was pushed), whose labels are unused.
    `features`: "pipeline" (the language layer's as well as the plain ones) or "plain".
    `development`: gold records (JSONL shape) the relation builder is chosen on, in place of
    the dataset's validation split (the starter model's: its gold's validation file)."""
    import sklearn
    import skops.io as sio

    from newsgold.train.checks import not_learned, require_learnable, train_split

    dataset, out, unlabelled = Path(dataset), Path(out), list(unlabelled)
    inputs = [dataset, *unlabelled]
    check_folder(out, MODEL_FOLDER, inputs)  # before any work; the whole folder is written at the end
    train = train_split(dataset)  # an empty train split, or one with nothing to learn, is refused saying why
    require_learnable(dataset, train)
    extra, extra_digest, skipped = read_unlabelled(unlabelled, text_field, skip_bad)
    pipeline = language().describe() if features == "pipeline" else None  # one line when it is missing
    started = time.perf_counter()
    tagger = fit_tagger(train, c1, c2, features, extra)
    seconds = time.perf_counter() - started
    linker, linking = fit_dataset_linker(dataset, features == "pipeline", development)
    data_fingerprint = fingerprint(dataset)
    metadata = {
        "kind": KIND,
        "model_version": model_version(
            data_fingerprint,
            tagger.get_params(),
            extra_digest,
            pipeline and pipeline["identity"],
            linker and {"params": linker.get_params(), "relations": linking["relations"]},
        ),
        "schema_hash": schema_hash(dataset),
        "dataset": str(dataset),
        "dataset_fingerprint": data_fingerprint,
        "annotated_in": annotated_in(dataset),
        "code_version": code_version(),
        "model_sha256": None,  # set once the model file is written
        "relations": linking["relations"],  # what draws the relations: "linker" or "rules"
        "linker": linking,
        "linker_sha256": None,  # set once the linker file is written (when a linker was fitted)
        "train_documents": len(train.tokens),
        "unlabelled_documents": len(extra),
        "unlabelled_skipped": [[item.item, item.reason] for item in skipped],
        "clustered_words": len(tagger.clusters_),
        "labels": tagger.labels_,
        "labels_not_learned": sorted({l for labels in train.annotated_labels for l in labels} - set(tagger.labels_)),
        "not_learned_because": not_learned(train),
        "tags": tagger.tags_,
        "params": tagger.get_params(),
        "features": features,
        "pipeline": pipeline,
        "feature_description": feature_module.__doc__.strip(),
        "fit_seconds": round(seconds, 2),
        "versions": {
            "newsgold": __version__,
            "scikit-learn": sklearn.__version__,
            "python-crfsuite": version("python-crfsuite"),
            "python": platform.python_version(),
        },
    }
    # the folder is built beside `out` and swapped in whole: a failure leaves the old model intact
    with output_folder(out, MODEL_FOLDER, inputs=inputs) as tmp:
        sio.dump(tagger, tmp / MODEL_FILE)
        metadata["model_sha256"] = hashlib.sha256((tmp / MODEL_FILE).read_bytes()).hexdigest()
        if linker is not None:
            sio.dump(linker, tmp / LINKER_FILE)
            metadata["linker_sha256"] = hashlib.sha256((tmp / LINKER_FILE).read_bytes()).hexdigest()
        (tmp / METADATA_FILE).write_text(json.dumps(metadata, indent=2))
    return metadata


def fit_dataset_linker(dataset: Path, pipeline: bool, development: list[dict] | None = None):
    """The argument linker fitted on the train split's gold relations and the record of what
    draws relations (`linker.choose`: on the gold spans of `development`, else of the validation
    split, else by cross-validation of train), with its fit time."""
    from newsgold.annotate.dataset import open_dataset
    from newsgold.annotate.schema import load_schema
    from newsgold.train.evaluate import gold_records
    from newsgold.train.linker import choose

    schema = load_schema()
    started = time.perf_counter()
    validation = (
        development
        if development is not None
        else (gold_records(dataset, "validation") if "validation" in open_dataset(dataset) else [])
    )
    linker, linking = choose(
        gold_records(dataset, "train"), validation, schema.relation_ends, list(schema.label_names), pipeline
    )
    linking["file"] = LINKER_FILE if linker is not None else None
    if linker is not None:
        linking.update(
            params=linker.get_params(),
            limits=linker.limits_,
            candidates=linker.candidates_,
            positives=linker.positives_,
        )
    linking["fit_seconds"] = round(time.perf_counter() - started, 2)
    return linker, linking


def model_files(model: str | Path) -> list[Path]:
    """The files a model is read from (what an output may not replace)."""
    return [Path(model) / MODEL_FILE, Path(model) / LINKER_FILE, Path(model) / METADATA_FILE]


def _retrain(model: Path) -> str:
    return f"retrain with `train fit DATASET --out {model}`"


def _unreadable(path: Path, model: Path, what: str, exc: Exception) -> ModelError:
    cause = (str(exc).splitlines() or [""])[0]
    return ModelError(f"{path}: {what} ({type(exc).__name__}: {cause}); {_retrain(model)}")


def _metadata(model: Path) -> dict:
    path = model / METADATA_FILE
    retrain = _retrain(model)
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: missing, so the model cannot be checked or versioned; {retrain}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise _unreadable(path, model, "not readable JSON", exc) from None
    if not isinstance(metadata, dict) or not isinstance(metadata.get("model_version"), str):
        raise ModelError(f"{path}: not the metadata of a newsgold model (no model_version); {retrain}")
    return metadata


def _read_skops(model: Path, metadata: dict, name: str = MODEL_FILE) -> bytes:
    """The bytes of the file `name` (MODEL_FILE, LINKER_FILE), refused unless they are a skops
    archive matching its digest in the metadata."""
    path = model / name
    retrain = _retrain(model)
    key = _DIGESTS[name]
    if not path.is_file():
        raise ModelError(f"{path}: missing, though {METADATA_FILE} records it; {retrain}")
    data = path.read_bytes()
    if not zipfile.is_zipfile(io.BytesIO(data)):
        cause = (
            "truncated or damaged (an incomplete zip archive)"
            if data[:2] == b"PK"
            else (
                "not a skops file (no zip archive: a pickle or a text file?); newsgold loads only models saved by `train fit`"
            )
        )
        raise ModelError(f"{path}: {cause}; {retrain}")
    expected = metadata.get(key)
    if not isinstance(expected, str) or not _SHA256.fullmatch(expected.lower()):
        found = f"no {key}" if expected is None else f"a {key} that is no SHA-256 ({json.dumps(expected)[:40]})"
        raise ModelError(
            f"{model / METADATA_FILE}: has {found}, so {path} cannot be checked against the model "
            f"`train fit` saved (a model is loaded only with its digest); {retrain}"
        )
    if hashlib.sha256(data).hexdigest() != expected.lower():
        raise ModelError(
            f"{path}: its content differs from the SHA-256 recorded in {METADATA_FILE} "
            f"(changed or replaced after training); {retrain}"
        )
    return data


def require_pipeline(model: Path, tagger: SequenceTagger, metadata: dict) -> None:
    """A tagger with pipeline features is refused (one line: the pipeline its metadata records,
    the one installed, the fix) unless the installed pipeline is the one it was trained with."""
    if tagger.features != "pipeline":
        return
    recorded = metadata.get("pipeline") if isinstance(metadata.get("pipeline"), dict) else {}
    identity = recorded.get("identity") or "an unrecorded pipeline"
    name = recorded.get("name")
    fix = f"refit it with `train fit DATASET --out {model}` under the installed pipeline"
    try:
        installed = language()
    except PipelineError as exc:
        fix = f"install {name} {recorded.get('version')}, or {fix}" if name else fix
        raise ModelError(
            f"{model}: trained with the language pipeline {identity}, which cannot be used here ({exc}); {fix}"
        ) from None
    if installed.identity != identity:
        if name:
            choose = f" and set NEWSGOLD_PIPELINE={name}" if name != installed.name else ""
            fix += f", or install {name} {recorded.get('version')}{choose}"
        raise ModelError(
            f"{model}: trained with the language pipeline {identity}, but {installed.identity} is installed; {fix}"
        )


def load_model(model: str | Path, dataset: str | Path | None = None, expected_hash: str | None = None):
    """The tagger and its metadata; refuses a model whose schema differs from the dataset's, one
    with pipeline features whose pipeline is not the one installed (`require_pipeline`), a file
    that is not the skops archive `fit_model` wrote, and any type in it beyond FILE_TYPES
    (the argument linker beside it: `load_linker`)."""
    from newsgold.train.starter import resolve

    model = resolve(model)
    if (kind := model_kind(model)) != KIND:
        raise ModelError(
            f"{model}: a model of kind {json.dumps(kind)[:60]}, not the tagger `train fit` writes; "
            f"`train` reads tagger folders only: pre-annotate with `annotate preannotate --model {model}`"
        )
    if not (model / MODEL_FILE).is_file():
        raise ModelError(f"{model}: no {MODEL_FILE}; train one with `train fit DATASET --out {model}`")
    metadata = _metadata(model)
    expected = expected_hash or (schema_hash(Path(dataset)) if dataset else None)
    if expected and metadata.get("schema_hash") and expected != metadata["schema_hash"]:
        raise ModelError(
            f"{model}: trained with schema hash {metadata['schema_hash']}, but "
            f"{dataset or 'the schema'} has {expected}; retrain the model on data of this schema"
        )
    tagger = _load_file(model, metadata, MODEL_FILE, SequenceTagger, "tagger")
    require_pipeline(model, tagger, metadata)
    return tagger, metadata


def _load_file(model: Path, metadata: dict, name: str, cls: type, what: str):
    """The object in the skops file `name`, checked against its digest, holding no type beyond
    FILE_TYPES[name], and an instance of `cls`."""
    import skops.io as sio

    data = _read_skops(model, metadata, name)
    path = model / name
    trusted = FILE_TYPES[name]
    try:
        refused = sorted(set(sio.get_untrusted_types(data=data)) - set(trusted))
    except Exception as exc:  # a zip that is not a skops archive: any parsing error
        raise _unreadable(path, model, "not a readable skops file", exc) from None
    if refused:
        raise ModelError(
            f"{path}: holds types a newsgold {what} never contains ({', '.join(refused)}); "
            "refusing to load it: it may run code. Use a model you trained with `train fit`"
        )
    try:
        found = sio.loads(data, trusted=list(trusted))
    except Exception as exc:  # damaged content of a well-formed archive
        raise _unreadable(path, model, "cannot be loaded", exc) from None
    if not isinstance(found, cls):
        raise ModelError(f"{path}: holds a {type(found).__name__}, not a newsgold {what}; {_retrain(model)}")
    return found


def load_linker(model: str | Path, metadata: dict):
    """The argument linker of a model folder when its metadata says it draws the relations
    (`relations: "linker"`), else None; refused as the tagger is (digest, types, class)."""
    from newsgold.train.linker import ArgumentLinker
    from newsgold.train.starter import resolve

    if metadata.get("relations") != "linker":
        return None
    return _load_file(resolve(model), metadata, LINKER_FILE, ArgumentLinker, "argument linker")
