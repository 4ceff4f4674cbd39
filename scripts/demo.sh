#!/usr/bin/env bash
# The main job on a fresh machine, end to end: install newsgold with the Label Studio server,
# start the embedded local Label Studio, push the seed articles with rule pre-annotations, export
# the project's human corrections, train and evaluate the baseline tagger on an annotated corpus
# (re3d, shipped in seeds/corpora), and push the tagger's predictions back to the project as the
# next round of pre-annotations. Re-running it reuses the server and creates no duplicate.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh server
source .venv/bin/activate
PROJECT="${NEWSGOLD_DEMO_PROJECT:-newsgold demo}"
OUT="${NEWSGOLD_DEMO_EXPORTS:-exports}"

echo "== 1. the schema, validated by Label Studio's own parser ==" >&2
annotate schema --format labelstudio > /dev/null

echo "== 2. the embedded Label Studio on 127.0.0.1 (first start: ~1 minute of migrations) ==" >&2
annotate server

echo "== 3. the seed articles, pre-annotated by the rules, pushed to project '$PROJECT' ==" >&2
annotate push seeds/ --project "$PROJECT"
annotate status --project "$PROJECT"

echo "== 4. the annotators' corrections so far -> Hugging Face dataset $OUT/demo ==" >&2
annotate export --project "$PROJECT" --out "$OUT/demo" --force

echo "== 5. an annotated corpus to train on: re3d (ACTOR, LOCATION, COUNT) -> $OUT/re3d ==" >&2
annotate re3d seeds/corpora/re3d -o "$OUT/re3d.jsonl"
annotate export --from "$OUT/re3d.jsonl" --out "$OUT/re3d" --force
annotate check "$OUT/re3d"

echo "== 6. the baseline tagger: fit on the train split, evaluate on the test split ==" >&2
train fit "$OUT/re3d" --out "$OUT/re3d-model"
train evaluate "$OUT/re3d-model" "$OUT/re3d" --split test

echo "== 7. the tagger's predictions on the seeds -> project '$PROJECT', the next round ==" >&2
train predict "$OUT/re3d-model" seeds/ -o "$OUT/re3d-model/seed-predictions.jsonl"
annotate push --predictions "$OUT/re3d-model/seed-predictions.jsonl" --project "$PROJECT"

cat >&2 <<NEXT

== next ==
Open the project URL printed in step 3 and log in with the user and password in
.labelstudio/newsgold-credentials.json. Each seed article carries two rounds of pre-annotations
(the rules, and the tagger); correct them. Then:

  source .venv/bin/activate
  annotate status --project "$PROJECT"                        # progress, acceptance per model_version
  annotate export --project "$PROJECT" --out $OUT/demo --force # your corrections -> HF dataset
  annotate check $OUT/demo                                     # before training
  train fit $OUT/demo --out $OUT/demo-model                    # once there is enough to train on
  annotate server --stop                                       # when you are done

The evaluation report and plots of step 6 are in $OUT/re3d-model/eval-test/.
NEXT
