"""Story grouping at scale: time and peak memory, against the all-pairs method it replaced.

    python tests/bench/bench_stories.py [--sizes 5000,10000,20000] [--peer-sizes 5000,10000] [--export 20000]
    python tests/bench/bench_stories.py --closed 20000

The corpus is tests/bench/corpus.news_stories: documents of about 700 words, each reporting one
story (its people, places, organisations, numbers and date, drawn from the gazetteers and made-up
names with Zipf-like frequencies) among sentences of the seeds and re3d; one in ten is followed by
a rewrite of it (another outlet's report: 60% of its sentences kept, the rest replaced, reordered),
so grouping has stories to find. Each
measurement runs in a child process (wall time; peak resident memory above the corpus). Reported:
  - grouping at each size, newsgold, the same with every pair compared, and the old all-pairs method (one sparse product per 2,000
    rows, the thresholded graph kept, connected components) at the peer sizes, with how many of the
    planted rewrites share their original's story, the stories, and the largest story's share;
  - the same with `--story-threshold 0.5`, and with `max_story=50` (the cap);
  - `annotate export --from` of a Label Studio export of --export tasks with and without story ids.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def varied_corpus(count: int, seed: int = 7) -> tuple[list[str], list[tuple[int, int]]]:
    """`count` documents and the (original, rewrite) pairs planted among them (corpus.news_stories)."""
    from tests.bench.corpus import news_stories

    return news_stories(count, seed)


def _exact_labels(texts: list[str], threshold: float):
    """newsgold's grouping with every pair compared (stories._exact_pairs), for the peer figures."""
    from newsgold.annotate import stories

    stories._candidate_pairs = lambda vectors, threshold, threads=1: stories._exact_pairs(vectors, threshold)
    return stories.components(stories.tfidf(texts), threshold)


def _old_labels(texts: list[str], threshold: float):
    """The all-pairs method newsgold used before (documents.story_graph), for the peer figures."""
    import numpy as np
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectors = TfidfVectorizer(stop_words="english", dtype=np.float32).fit_transform(texts)
    blocks = []
    for first in range(0, vectors.shape[0], 2000):
        block = (vectors[first : first + 2000] @ vectors.T).tocsr()
        block.data[block.data < threshold] = 0
        block.eliminate_zeros()
        blocks.append(block)
    return connected_components(sp.vstack(blocks).tocsr(), directed=False)[1]


def _status(field: str) -> int:
    """A line of /proc/self/status in KiB (VmRSS: resident now, VmHWM: its peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak() -> int:
    """Reset the peak resident memory to the current one (Linux: clear_refs 5); the current, KiB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status("VmRSS")


def child(method: str, count: int, threshold: float, max_story: int, out: str) -> None:

    import numpy as np

    from newsgold.annotate.stories import capped_components, tfidf

    texts = json.loads(Path(out).with_suffix(".json").read_text(encoding="utf-8"))  # made by the parent
    before = _reset_peak()  # the peak of reading the texts is not grouping's
    started = time.perf_counter()
    if method == "old":
        labels = _old_labels(texts, threshold)
    elif method == "exact":
        labels = _exact_labels(texts, threshold)
    else:
        labels = capped_components(tfidf(texts), threshold, max_story or None)
    elapsed = time.perf_counter() - started
    np.save(out, labels)
    print(json.dumps({"seconds": elapsed, "peak_above_corpus_mib": (_status("VmHWM") - before) / 1024}))


def group(method: str, count: int, threshold: float = 0.4, max_story: int = 0) -> dict:
    import numpy as np

    with tempfile.TemporaryDirectory() as folder:
        out = str(Path(folder) / "labels.npy")
        texts, pairs = varied_corpus(count)
        Path(out).with_suffix(".json").write_text(json.dumps(texts), encoding="utf-8")
        run = subprocess.run(
            [sys.executable, __file__, "--child", method, str(count), str(threshold), str(max_story), out],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(run.stdout)
        labels = np.load(out)
    sizes = np.bincount(labels)
    result.update(
        labels=labels,
        together=sum(labels[a] == labels[b] for a, b in pairs),
        planted=len(pairs),
        stories=int((sizes > 0).sum()),
        largest=int(sizes.max()),
        count=count,
    )
    return result


def show(name: str, r: dict) -> None:
    print(
        f"{name:34} {r['count']:6} docs {r['seconds']:7.1f} s  +{r['peak_above_corpus_mib']:5.0f} MiB  "
        f"rewrites with their original {r['together']}/{r['planted']}  stories {r['stories']:6}  "
        f"largest {r['largest']} ({r['largest'] / r['count']:.0%})"
    )


def same_partition(a, b) -> bool:
    import numpy as np

    pairs = np.unique(np.stack([a, b]), axis=1)
    return len(np.unique(pairs[0])) == len(np.unique(pairs[1])) == pairs.shape[1]


def differing(a, b) -> int:
    """Documents whose story is not the same set of documents under both labelings."""
    import numpy as np

    _, joint = np.unique(a.astype(np.int64) * (len(b) + 1) + b, return_inverse=True)
    both = np.bincount(joint)[joint]
    return int(((both != np.bincount(a)[a]) | (both != np.bincount(b)[b])).sum())


def vocabulary(sizes) -> None:
    """Terms (TF-IDF's, stop words removed) and the share seen in at most 50 documents, by size."""
    import numpy as np

    from newsgold.annotate.stories import tfidf

    for count in sizes:
        vectors = tfidf(varied_corpus(count)[0])
        df = np.bincount(vectors.indices, minlength=vectors.shape[1])
        print(
            f"  {count:6} documents: {vectors.shape[1]:7} terms, {(df <= 50).mean():.0%} in at most 50 documents, "
            f"{(df <= 3).mean():.0%} in at most 3; a document's terms in at most 100 documents: "
            f"{(df[vectors.indices] <= 100).mean():.0%}"
        )


def export_file(path: Path, texts: list[str], with_story: bool) -> None:
    from newsgold.annotate.documents import document_id
    from newsgold.annotate.preannotate import RuleAnnotator
    from newsgold.annotate.studio.lsformat import to_ls_result

    annotator = RuleAnnotator().warm_up()
    with open(path, "w", encoding="utf-8") as out:
        out.write("[")
        for i, text in enumerate(texts):
            spans, relations = annotator.annotate_text(text)
            data = {"text": text, "newsgold_id": document_id(text), "source": f"bench-{i}"}
            if with_story:
                data["story_id"] = f"story-{i}"
            result = to_ls_result(text, spans, relations, scores=False)
            task = {
                "id": i + 1,
                "data": data,
                "predictions": [{"result": result, "model_version": "rules"}],
                "annotations": [
                    {
                        "id": i + 1,
                        "completed_by": 1,
                        "was_cancelled": False,
                        "ground_truth": False,
                        "created_at": "2026-11-22T10:00:00Z",
                        "updated_at": "2026-11-22T10:00:00Z",
                        "result": result,
                    }
                ],
            }
            out.write(("," if i else "") + json.dumps(task, ensure_ascii=False))
        out.write("]")


def export_pair(count: int) -> None:
    from tests.bench.bench_export import run_newsgold

    texts, _ = varied_corpus(count)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        with_ids, without = folder / "with.json", folder / "without.json"
        export_file(with_ids, texts, True)
        export_file(without, texts, False)
        t_with, m_with = run_newsgold(with_ids, folder / "ds-with")
        t_without, m_without = run_newsgold(without, folder / "ds-without")
    print(f"export of {count} tasks with story ids:    {t_with:6.1f} s  peak {m_with:5.0f} MiB")
    print(f"export of {count} tasks without story ids: {t_without:6.1f} s  peak {m_without:5.0f} MiB")
    print(
        f"without / with: time {t_without / t_with:.2f}x (target <= 1.5x), "
        f"peak memory {m_without / m_with:.2f}x (target <= 1.3x)"
    )


def closed_vocabulary(count: int) -> None:
    """Grouping on bench_large_project's corpus (sentences of the seeds and re3d shuffled into
    articles): a closed vocabulary, every term in many documents, so the prefix filter prunes
    little; how many candidate pairs are compared exactly, and what it costs."""
    import numpy as np

    from newsgold.annotate import stories
    from tests.bench.bench_large_project import documents

    vectors = stories.tfidf([record["text"] for record in documents(count)])
    df = np.bincount(vectors.indices, minlength=vectors.shape[1])
    print(
        f"bench_large_project corpus, {count} documents: {vectors.shape[1]} terms, each in at least {df.min()} "
        f"documents (median {int(np.median(df))}); {os.cpu_count()} CPUs"
    )
    compared, cosines = [0], stories._cosines

    def counting(dense, matrix, rows, cols):
        compared[0] += len(rows)
        return cosines(dense, matrix, rows, cols)

    stories._cosines = counting
    started = time.perf_counter()
    labels = stories.components(vectors, 0.4)
    seconds = time.perf_counter() - started
    stories._cosines = cosines
    sizes = np.bincount(labels)
    print(
        f"  newsgold (threshold 0.4): {seconds:.1f} s, {compared[0]} candidate pairs compared exactly, "
        f"{len(np.unique(labels))} stories, largest {sizes.max()}"
    )
    started = time.perf_counter()
    links = sum(len(rows) for rows, _ in stories._exact_pairs(vectors, 0.4))
    print(
        f"  every pair compared: {time.perf_counter() - started:.1f} s, {links} pairs reach the threshold "
        f"(newsgold links {sum(len(rows) for rows, _ in stories._candidate_pairs(vectors, 0.4))} of them)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,10000,20000")
    parser.add_argument("--peer-sizes", default="5000,10000")
    parser.add_argument("--export", type=int, default=20000, help="tasks of the export comparison (0: skip)")
    parser.add_argument(
        "--closed",
        type=int,
        default=0,
        help="only this: grouping on N documents of bench_large_project's closed-vocabulary corpus",
    )
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.closed:
        closed_vocabulary(args.closed)
        return
    if args.child:
        method, count, threshold, max_story, out = args.child
        child(method, int(count), float(threshold), int(max_story), out)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    peers = {int(s) for s in args.peer_sizes.split(",") if s}
    print(f"news_stories corpus: ~700-word documents, one in ten followed by a rewrite; {os.cpu_count()} CPUs")
    vocabulary(sizes)
    runs = {}
    for count in sizes:
        runs[count] = new = group("new", count)
        show("newsgold (threshold 0.4)", new)
        if count in peers:
            for name, method in (("every pair compared", "exact"), ("old all-pairs (threshold 0.4)", "old")):
                old = group(method, count)
                show(name, old)
                print(
                    f"  same stories: {same_partition(new['labels'], old['labels'])}; documents whose story "
                    f"differs: {differing(new['labels'], old['labels'])}; time {old['seconds'] / new['seconds']:.1f}x, "
                    f"memory {old['peak_above_corpus_mib'] / max(new['peak_above_corpus_mib'], 1):.1f}x the new"
                )
        show("newsgold --story-threshold 0.5", group("new", count, 0.5))
        show("newsgold max_story=50", group("new", count, 0.4, 50))
    first, last = sizes[0], sizes[-1]
    print(
        f"growth {first} -> {last} documents ({last / first:.0f}x): time "
        f"{runs[last]['seconds'] / runs[first]['seconds']:.1f}x, memory "
        f"{runs[last]['peak_above_corpus_mib'] / max(runs[first]['peak_above_corpus_mib'], 1):.1f}x"
    )
    if args.export:
        export_pair(args.export)


if __name__ == "__main__":
    main()
