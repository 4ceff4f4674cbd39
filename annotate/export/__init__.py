"""Human annotations → a Hugging Face `DatasetDict` on disk (the contract of `annotate.dataset`).

    report = export_dataset("exports/demo", project="demo")          # a live Label Studio project
    report = export_dataset("exports/re3d", from_file="re3d.jsonl")  # gold JSONL or an LS export file
    report = export_dataset("exports/x", from_file="export.json", label_map={"PER": "ACTOR"})  # a foreign project

The stages, one module each (the input formats are read by `annotate.formats`): the project's labeling
config and label map (`controls`), building rows from
tasks or gold documents (`rows`, with `annotate.studio.resolve` choosing the human truth), batching and
splitting them (`batches`), converting one file in several processes (`parallel`), the output
formats (`writers`), the dataset card (`card`), and writing the folder atomically (`write`).
"""

from __future__ import annotations

import tempfile
from contextlib import closing
from pathlib import Path
from typing import Iterator

from newsgold.annotate import formats
from newsgold.annotate.documents import STORY_THRESHOLD
from newsgold.annotate.export.batches import Batch, batches_from_gold, conversion
from newsgold.annotate.export.controls import (
    LabelMap,
    RegionCensus,
    as_label_map,
    config_from_census,
    config_from_regions,
    config_from_xml,
)
from newsgold.annotate.export.parallel import batches_from_ls_file, default_workers, no_cycle_collection
from newsgold.annotate.export.report import (
    DEFAULT_RATIOS,
    DEFAULT_SEED,
    ExportError,
    ExportReport,
    RegionsUnreadable,
)
from newsgold.annotate.export.targets import chosen
from newsgold.annotate.export.write import EXPORT_FOLDER, write_dataset
from newsgold.annotate.limits import check, check_ratios
from newsgold.annotate.outputs import check_folder
from newsgold.annotate.progress import Progress, silent
from newsgold.annotate.schema import Schema, as_schema
from newsgold.annotate.studio.lsformat import LabelingConfig
from newsgold.annotate.studio.resolve import POLICIES

__all__ = ["ExportError", "ExportReport", "export_dataset"]


@no_cycle_collection()
def export_dataset(
    out: str | Path,
    *,
    project: str | None = None,
    from_file: str | Path | None = None,
    force: bool = False,
    policy: str = "latest",
    seed: int = DEFAULT_SEED,
    ratios: tuple[float, float, float] = DEFAULT_RATIOS,
    workers: int | None = None,
    story_threshold: float = STORY_THRESHOLD,
    max_story: int | None = None,
    schema: Schema | str | Path | None = None,
    data_dir: str | Path | None = None,
    fmt: str = "auto",
    label_map: LabelMap | str | Path | None = None,
    config: str | Path | None = None,
    to: str | list[str] | None = None,
    progress: Progress = silent,
) -> ExportReport:
    """Export the human annotations of a Label Studio `project`, or of `from_file`, into the
    dataset folder `out`. The file is a Label Studio JSON export or gold from a file
    (`annotate.formats`: newsgold gold JSONL, doccano, spaCy/Prodigy, CoNLL/IOB, BRAT), of format
    `fmt` ("auto": detected from its content).

    Regions are read as the project's labeling config says: a live project's own, the XML file
    `config` for an export file, or else the controls and labels the file's regions use.
    `label_map` (a mapping, or a file of OLD=NEW lines) renames its labels and relation types
    onto the schema's (a gold file's labels too; NEW "O" leaves a label out); a region of another control, or with a label outside the schema, is left
    out and listed in the problems, and each document is gold (`annotated_labels`) only for the
    schema labels the config offers. What was inferred or left out is said in `report.notes`.

    Predictions never become gold; cancelled annotations are ignored; ground truth wins; several
    annotators are resolved by `policy` ("latest" or "majority"). Splits come from `seed` and
    `ratios` by story. A live project's export is streamed to a file beside `out` first (removed
    afterwards; through an export snapshot, see `LabelStudio.export_chunks`), then converted like a
    file, by `workers` processes (default: the CPUs, at most 8;
    one for a file under 8 MB). Where a file cannot be cut into regions, it is converted again in
    one process (said in `report.notes`). `progress("exporting", n, total)` counts the tasks
    converted (of the project's `total` tasks; None for a file). `to` names the output formats
    (`annotate.export.targets`; default hf, parquet, jsonl); what one cannot hold is in `report.notes`. `out` is written atomically; an existing `out` needs
    `force`. Raises ExportError (or LabelStudioError) with a one-line message.
    """
    if (project is None) == (from_file is None):
        raise ExportError("give exactly one source: a Label Studio project (--project) or a file (--from)")
    if policy not in POLICIES:
        raise ExportError(f"policy {policy!r} is not one of {', '.join(POLICIES)}")
    seed, ratios = check("seed", seed, ExportError), check_ratios(ratios, ExportError)
    workers, max_story = check("workers", workers, ExportError), check("max_story", max_story, ExportError)
    story_threshold = check("story_threshold", story_threshold, ExportError)
    chosen(to)  # an unknown output format stops before any work
    schema, out = as_schema(schema), Path(out)
    # every file read; `out` may not be one, nor hold one (checked before any work, and again when written)
    inputs = [from_file, config, schema.path, label_map if isinstance(label_map, (str, Path)) else None]
    check_folder(out, EXPORT_FOLDER, inputs, force)
    label_map = as_label_map(label_map, schema)
    if config is not None and project is not None:
        raise ExportError("--config is for an export file; a live project's labeling config is read from Label Studio")
    kind = "labelstudio" if from_file is None else _file_kind(Path(from_file), fmt)
    spec = formats.get(kind)
    users, download, notes, total, inferring = {}, None, [], None, False
    try:
        if project is not None:
            ls, found = _project(project, data_dir)
            reading, notes = config_from_xml(found.label_config, f"project {project!r}", schema, label_map)
            download, users, total = _download(ls, found, out, progress)
            ls_file: Path | None = download
            source = f"Label Studio project {project!r} at {ls.url}"
        else:
            from_file = Path(from_file)
            ls_file = None if spec.gold else from_file  # not gold: Label Studio tasks
            source = f"{spec.title} {from_file}"
            if ls_file is None:
                if config is not None:
                    raise ExportError(
                        f"{from_file}: --config applies to Label Studio exports, and this is "
                        f"{spec.title}; drop --config"
                    )
                reading = None
            elif config is not None:
                reading, notes = config_from_xml(_read_config(Path(config)), str(config), schema, label_map)
            else:  # inferred from the regions while converting: see _confirmed
                try:
                    reading, notes = config_from_regions(from_file, schema, label_map, _GUESSED_FROM)
                    inferring = True
                except ExportError:  # the whole file names the first region at fault
                    reading, notes = config_from_regions(from_file, schema, label_map)

        def convert(processes: int) -> ExportReport:
            how = conversion(schema, policy, users, seed, ratios, reading, label_map)
            report = ExportReport(
                out,
                source,
                policy,
                seed,
                ratios,
                project,
                annotated_in="label-studio" if ls_file is not None else "gold-file",
            )
            if ls_file is not None and inferring:
                census = RegionCensus()
                batches = _confirmed(
                    batches_from_ls_file(ls_file, how, report, processes, census),
                    census,
                    ls_file,
                    reading,
                    schema,
                    label_map,
                    report,
                )
            elif ls_file is not None:
                report.notes += notes
                batches = batches_from_ls_file(ls_file, how, report, processes)
            else:
                report.notes += notes
                batches = batches_from_gold(from_file, kind, how, report)
            return write_dataset(
                batches,
                schema,
                report,
                force,
                story_threshold,
                lambda n: progress("exporting", n, total),
                how.batch,
                max_story,
                inputs,
                to,
            )

        processes = workers or (default_workers(ls_file) if ls_file is not None else 1)
        try:
            try:
                return convert(processes)
            except RegionsUnreadable as exc:
                report = convert(1)
                report.notes.append(
                    f"the export could not be converted in {processes} parts ({exc}); it was converted in one process"
                )
                return report
        except _GuessedWrong as wrong:  # a later task uses labels or controls the first ones did not
            reading, notes, inferring = wrong.config, wrong.notes, False
            return convert(processes)
    finally:
        if download is not None:
            download.unlink(missing_ok=True)


_GUESSED_FROM = 64  # tasks: an export file's labeling config is guessed from its first tasks


class _GuessedWrong(Exception):
    """The labeling config inferred from all the regions of an export file is not the one
    guessed from its first tasks: convert again with it."""

    def __init__(self, config: LabelingConfig, notes: list[str]):
        super().__init__("the labeling config inferred from the regions changed")
        self.config, self.notes = config, notes


def _confirmed(
    batches: Iterator[Batch],
    census: RegionCensus,
    path: Path,
    guessed: LabelingConfig,
    schema: Schema,
    label_map: dict,
    report: ExportReport,
) -> Iterator[Batch]:
    """The batches converted with the labeling config guessed from the first tasks of an export
    file, while `census` counts the regions of all; once all are out, the config the whole file
    gives is checked (refused as `config_from_census` says) and must be the one guessed, else
    _GuessedWrong: the file is read once instead of twice (once for the config, once to convert)."""
    yield from batches
    config, notes = config_from_census(census, path, schema, label_map)
    if config != guessed:
        raise _GuessedWrong(config, notes)
    report.notes[:0] = notes


def _file_kind(path: Path, fmt: str) -> str:
    """The format of the file `path`: `fmt`, or with "auto" the one its content shows."""
    if fmt == "auto":
        return formats.detect(path)
    if formats.get(fmt) is None:
        raise ExportError(f"format {fmt!r} is unknown; use auto, {', '.join(formats.names())}")
    return fmt


def _read_config(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportError(
            f"labeling config {path}: cannot be read ({exc}); give the project's config as an XML file"
        ) from None


def _project(project: str, data_dir):
    """The connection to Label Studio and the project titled `project`."""
    from newsgold.annotate.studio.server import connect

    ls = connect(data_dir)
    return ls, ls.get_project(project)


def _download(ls, found, out: Path, progress: Progress) -> tuple[Path, dict, int]:
    """The project's JSON export streamed to a temporary file beside `out` through an export
    snapshot (`LabelStudio.export_chunks`), its users and its number of tasks. The file is
    removed when anything stops the download, Ctrl-C and SIGTERM too (`clikit.run`)."""
    users = ls.users()
    total = ls.task_fingerprint(found)[0]
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{out.name}.download-", suffix=".json", dir=out.parent)
    try:
        with open(handle, "wb") as sink, closing(ls.export_chunks(found, progress)) as chunks:
            for chunk in chunks:
                sink.write(chunk)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name), users, total
