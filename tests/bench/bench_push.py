"""Push throughput against a real local Label Studio, with the SDK as the peer, in one run.

    python tests/bench/bench_push.py [--docs 2000] [--single-docs 2000]

Starts a fresh local server, then times on the same machine and server:
  1. one at a time through the SDK: tasks.create + predictions.create per document;
  2. a raw SDK bulk import (projects.import_tasks, batches of 250) of a prepared payload;
  3. `annotate push` as a library call: pre-annotation, dedup against the project, batching;
  4. the same push again (nothing new to send; the ledger of push 3 is checked and used);
  5. the same push again after one task was added outside newsgold (the ledger is not
     trusted: every task is listed from the server, as without a ledger).
Targets: (3) >= 20x faster than (1); (3) <= 1.2x (2); (4) <= 10% of (3) with 0 new tasks.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from newsgold.annotate.documents import group_stories, make_document  # noqa: E402
from newsgold.annotate.preannotate import RuleAnnotator  # noqa: E402
from newsgold.annotate.schema import labelstudio_config, load_schema  # noqa: E402
from newsgold.annotate.studio import server  # noqa: E402
from newsgold.annotate.studio.client import LabelStudio  # noqa: E402
from newsgold.annotate.studio.push import import_documents, task_payload  # noqa: E402
from tests.bench.corpus import news_documents  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument(
        "--single-docs",
        type=int,
        default=2000,
        help="documents for the one-at-a-time peer (its rate is what is compared)",
    )
    args = parser.parse_args()
    schema = load_schema()
    texts = news_documents(args.docs, seed=7)
    documents = group_stories([make_document(t, f"bench-{i}", f"bench-{i}") for i, t in enumerate(texts)])
    annotator = RuleAnnotator().warm_up()
    payload = [task_payload(annotator.annotate(d).to_record()) for d in documents]

    from label_studio_sdk import LabelStudio as Client

    with tempfile.TemporaryDirectory() as folder:
        running = server.start(folder, port=server.free_port())
        try:
            token = server.credentials(Path(folder))["token"]
            sdk = Client(base_url=running.url, api_key=token, timeout=600)
            ours = LabelStudio(running.url, token)
            config = labelstudio_config(schema)

            single = sdk.projects.create(title="one at a time", label_config=config)
            started = time.perf_counter()
            for task in payload[: args.single_docs]:
                created = sdk.tasks.create(project=single.id, data=task["data"])
                prediction = task["predictions"][0]
                sdk.predictions.create(
                    task=created.id,
                    result=prediction["result"],
                    model_version=prediction["model_version"],
                    score=prediction["score"],
                )
            t_single = (time.perf_counter() - started) / args.single_docs * args.docs

            raw = sdk.projects.create(title="raw bulk import", label_config=config)
            started = time.perf_counter()
            for first in range(0, len(payload), 250):
                sdk.projects.import_tasks(id=raw.id, request=payload[first : first + 250])
            t_raw = time.perf_counter() - started

            ledgers = Path(folder) / "push-ledgers"

            def timed_push():
                started = time.perf_counter()
                report = import_documents(
                    ours,
                    "newsgold push",
                    schema,
                    documents,
                    lambda docs: [annotator.annotate(d).to_record() for d in docs],
                    ledger_dir=ledgers,
                )
                return report, time.perf_counter() - started

            report, t_push = timed_push()
            assert report.new_tasks == len(documents), report
            again, t_again = timed_push()
            assert again.dedup == "ledger" and again.new_tasks == 0, again
            project = ours.find_project("newsgold push")
            ours.import_tasks(project, [{"data": {"text": "A task added by someone else."}}])
            listed, t_listed = timed_push()
            assert listed.dedup == "server" and listed.new_tasks == 0, listed
        finally:
            server.stop(folder)

    words = sum(len(t.split()) for t in texts) / len(texts)
    print(f"{len(documents)} documents of {words:.0f} words, with rule pre-annotations, local Label Studio")
    print(
        f"one at a time via SDK:  {t_single:7.1f} s"
        + (f"  (measured on {args.single_docs}, scaled)" if args.single_docs != args.docs else "")
    )
    print(f"raw SDK bulk import:    {t_raw:7.1f} s")
    print(f"annotate push:          {t_push:7.1f} s  ({report.new_tasks} new tasks)")
    print(f"annotate push again:    {t_again:7.1f} s  ({again.new_tasks} new tasks, ledger trusted)")
    print(f"  again, project changed: {t_listed:5.1f} s  ({listed.new_tasks} new tasks, every task listed)")
    print(f"push speed-up over one at a time: {t_single / t_push:5.1f}x  (target >= 20x)")
    print(f"push time / raw bulk import:      {t_push / t_raw:5.2f}x  (target <= 1.2x)")
    print(f"re-push time / first push:        {t_again / t_push:5.1%}  (target <= 10%)")
    print(f"re-push after an outside change:  {t_listed / t_push:5.1%}  (ledger not trusted)")


if __name__ == "__main__":
    main()
