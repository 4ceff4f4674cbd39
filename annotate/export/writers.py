"""The export's output formats, one class each behind one interface (`Writer`).

Every writer receives each split's rows in order, as Arrow tables of exactly `BATCH` rows (the
last one of a split shorter) together with the same rows as JSONL lines, so that the files do not
depend on how the rows were produced (how many worker processes converted them). A new format is
one more class (here or in a module of its own), listed in `annotate.export.targets.WRITERS`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from newsgold.annotate.dataset import SPLITS


class Writer:
    """One output format of the export, written into the dataset folder being built.

    `name` is its value in `annotate export --to`; `paths` the names it writes at the top of the
    dataset folder (the export's "replace only what newsgold wrote" rule is derived from them);
    `summary` what it holds, for `--to`'s help; `notes()`, after `close()`, says what the format
    could not hold."""

    name: str = ""
    paths: tuple[str, ...] = ()
    summary: str = ""

    def __init__(self, folder: Path, schema, features, gold=None) -> None:
        """`schema`: the Arrow schema (with the features' metadata); `features`: the HF Features;
        `gold`: the labeling schema (`annotate.schema.Schema`) the rows follow."""

    def write(self, split: str, table, lines: list[bytes]) -> None:
        """The next rows of `split`, as an Arrow table and as JSONL lines."""

    def close(self) -> None:
        """Every row is written: complete the files (called also for splits without rows)."""

    def notes(self) -> list[str]:
        """What this format could not hold of the rows written (one line each)."""
        return []


class _FilePerSplit(Writer):
    """A writer holding one open file (anything with `close`) per split in `self.files`."""

    files: dict

    def _open(self, opener) -> None:
        """`self.files` of `opener(split)` for every split; those opened are closed again if one
        fails (a full disk), so none is left to fail again when collected."""
        self.files = {}
        try:
            for name in SPLITS:
                self.files[name] = opener(name)
        except BaseException:
            try:
                self.close()
            except BaseException:
                pass
            raise

    def close(self) -> None:
        """Close every file, also when one fails (a full disk): the first error is raised after."""
        failed = None
        for handle in self.files.values():
            try:
                handle.close()
            except BaseException as exc:
                failed = failed or exc
                if getattr(handle, "is_open", False):  # pyarrow's ParquetWriter would close again in __del__
                    handle.is_open = False
        if failed is not None:
            raise failed


class JsonlWriter(_FilePerSplit):
    """`jsonl/<split>.jsonl`: one JSON object per row."""

    name, paths = "jsonl", ("jsonl",)
    summary = "jsonl/<split>.jsonl, every column"

    def __init__(self, folder: Path, schema, features, gold=None) -> None:
        (folder / "jsonl").mkdir()
        self._open(lambda name: open(folder / "jsonl" / f"{name}.jsonl", "wb"))

    def write(self, split: str, table, lines: list[bytes]) -> None:
        self.files[split].writelines(lines)


class ParquetWriter(_FilePerSplit):
    """`parquet/<split>.parquet`, zstd (a third smaller than the default snappy here), one row
    group per batch; dictionaries and min/max statistics only for the short columns (on texts and
    tokens they cost a fifth of the time, for nothing)."""

    name, paths = "parquet", ("parquet",)
    summary = "parquet/<split>.parquet, every column"
    SHORT = ["id", "story_id", "source", "annotated_labels", "annotators"]

    def __init__(self, folder: Path, schema, features, gold=None) -> None:
        import pyarrow.parquet as pq

        (folder / "parquet").mkdir()
        dictionary = self.SHORT + ["ner_tags.list.element", "spans.list.element.label", "relations.list.element.label"]
        self._open(
            lambda name: pq.ParquetWriter(
                str(folder / "parquet" / f"{name}.parquet"),
                schema,
                compression="zstd",
                use_dictionary=dictionary,
                write_statistics=self.SHORT,
            )
        )

    def write(self, split: str, table, lines: list[bytes]) -> None:
        self.files[split].write_table(table)


class DatasetWriter(Writer):
    """The `DatasetDict.save_to_disk` layout, which `datasets.load_from_disk` reads: per split an
    Arrow IPC stream, `dataset_info.json` and `state.json`, and `dataset_dict.json`. Streaming the
    Arrow files ourselves, instead of letting `save_to_disk` copy them through a memory map, keeps
    the export's memory flat."""

    name, paths = "hf", ("dataset_dict.json", *SPLITS)
    summary = "the Hugging Face DatasetDict, datasets.load_from_disk"
    SHARD = "data-00000-of-00001.arrow"

    def __init__(self, folder: Path, schema, features, gold=None) -> None:
        import pyarrow as pa

        self.folder, self.features = folder, features
        self.streams = {}
        for name in SPLITS:
            (folder / name).mkdir()
            self.streams[name] = pa.ipc.new_stream(str(folder / name / self.SHARD), schema)

    def write(self, split: str, table, lines: list[bytes]) -> None:
        self.streams[split].write_table(table)

    def close(self) -> None:
        from datasets import DatasetInfo

        info = DatasetInfo(features=self.features)
        for name, stream in self.streams.items():
            stream.close()
            split_dir = self.folder / name
            info.write_to_directory(str(split_dir))
            digest = hashlib.sha256()
            with open(split_dir / self.SHARD, "rb") as data:
                for block in iter(lambda: data.read(1 << 20), b""):
                    digest.update(block)
            state = {
                "_data_files": [{"filename": self.SHARD}],
                "_fingerprint": digest.hexdigest()[:16],
                "_format_columns": None,
                "_format_kwargs": {},
                "_format_type": None,
                "_output_all_columns": False,
                "_split": None,
            }
            (split_dir / "state.json").write_text(json.dumps(state, indent=2))
        (self.folder / "dataset_dict.json").write_text(json.dumps({"splits": list(SPLITS)}))


class Rebatcher:
    """Regroups each split's incoming rows into tables of exactly `size` rows for the writers, so
    the files do not depend on how the rows arrived. Memory holds less than one batch per split."""

    def __init__(self, writers: list[Writer], schema, size: int):
        self.writers, self.schema, self.size = writers, schema, size
        self.pending: dict[str, tuple[list, list[bytes], int]] = {name: ([], [], 0) for name in SPLITS}

    def add(self, split: str, lines: list[bytes], batch) -> None:
        """JSONL lines and the same rows as an Arrow RecordBatch."""
        tables, pending_lines, rows = self.pending[split]
        tables.append(batch)
        pending_lines += lines
        rows += batch.num_rows
        self.pending[split] = (tables, pending_lines, rows)
        while self.pending[split][2] >= self.size:
            self._flush(split, self.size)

    def _flush(self, split: str, rows: int | None = None) -> None:
        import pyarrow as pa

        tables, lines, _ = self.pending[split]
        table = pa.Table.from_batches(tables).replace_schema_metadata(self.schema.metadata)
        rows = table.num_rows if rows is None else rows
        head = table.slice(0, rows).combine_chunks()
        for writer in self.writers:
            writer.write(split, head, lines[:rows])
        rest = table.slice(rows)
        self.pending[split] = (rest.to_batches(), lines[rows:], rest.num_rows)

    def notes(self) -> list[str]:
        return [note for writer in self.writers for note in writer.notes()]

    def close(self) -> None:
        """Flush and close every writer, each also when another failed (a full disk); the first
        error is raised after, so no open file is left to fail again when collected."""
        failed = None
        try:
            for split in SPLITS:
                if self.pending[split][2]:
                    self._flush(split)
        except BaseException as exc:
            failed = exc
        for writer in self.writers:
            try:
                writer.close()
            except BaseException as exc:
                failed = failed or exc
        if failed is not None:
            raise failed


def open_writers(folder: Path, features, size: int, kinds, gold=None) -> Rebatcher:
    """The writers `kinds` (classes, see `annotate.export.targets`), opened in `folder`, behind one
    rebatcher; `gold`: the labeling schema of the rows."""
    schema = features.arrow_schema
    opened: list[Writer] = []
    try:
        for kind in kinds:
            opened.append(kind(folder, schema, features, gold))
    except BaseException:
        for writer in opened:
            writer.close()
        raise
    return Rebatcher(opened, schema, size)
