#!/usr/bin/env bash
# The main job on a fresh machine, end to end: install newsgold with the Label Studio server,
# start the embedded local Label Studio, train and evaluate a tagger on an annotated corpus (re3d,
# shipped in seeds/corpora), push the seed articles pre-annotated by the rules and the starter
# model (the tagger fit on newsgold's starter gold, built on first use) together, and export the
# project's human corrections. Re-running it reuses the
# server and creates no duplicate task and no second round.
# Usage: scripts/demo.sh [PORT]  (or NEWSGOLD_PORT=PORT; default 8080): the port of the server on
# 127.0.0.1. NEWSGOLD_LS_DIR moves its data folder (default .labelstudio/).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 1 ] || { [ $# -eq 1 ] && ! [[ "$1" =~ ^[0-9]+$ ]]; }; then
    echo "usage: scripts/demo.sh [PORT]  (a TCP port for the local Label Studio, default 8080)" >&2
    exit 2
fi
if [ $# -eq 1 ]; then export NEWSGOLD_PORT="$1"; fi
scripts/setup.sh server
source .venv/bin/activate
PROJECT="${NEWSGOLD_DEMO_PROJECT:-newsgold demo}"
OUT="${NEWSGOLD_DEMO_EXPORTS:-exports}"
LS_DIR="${NEWSGOLD_LS_DIR:-.labelstudio}"

echo "== 1. the schema, validated by Label Studio's own parser ==" >&2
annotate schema --format labelstudio > /dev/null

echo "== 2. the embedded Label Studio on 127.0.0.1 (first start: ~1 minute of migrations) ==" >&2
annotate server ${NEWSGOLD_PORT:+--port "$NEWSGOLD_PORT"}

echo "== 3. an annotated corpus to train on: re3d (ACTOR, LOCATION, COUNT) -> $OUT/re3d ==" >&2
annotate re3d seeds/corpora/re3d -o "$OUT/re3d.jsonl"
annotate export --from "$OUT/re3d.jsonl" --out "$OUT/re3d" --force
annotate check "$OUT/re3d"

echo "== 4. a tagger on that corpus: fit on the train split, evaluate on the test split ==" >&2
train fit "$OUT/re3d" --out "$OUT/re3d-model" --unlabelled seeds/
train evaluate "$OUT/re3d-model" "$OUT/re3d" --split test

echo "== 5. the seed articles, pre-annotated by the rules and the starter model, pushed to project '$PROJECT' ==" >&2
annotate push seeds/ --project "$PROJECT" --model starter
annotate status --project "$PROJECT"

echo "== 6. the annotators' corrections so far -> Hugging Face dataset $OUT/demo ==" >&2
annotate export --project "$PROJECT" --out "$OUT/demo" --force

cat >&2 <<NEXT

== next ==
Open the project URL printed in step 5 and log in with the user and password in
$LS_DIR/newsgold-credentials.json. Each seed article carries the pre-annotations of the
rules and the starter model merged (one model_version); correct them. Then:

  source .venv/bin/activate
  annotate status --project "$PROJECT"                        # progress, acceptance per model_version
  annotate export --project "$PROJECT" --out $OUT/demo --force # your corrections -> HF dataset
  annotate check $OUT/demo                                     # before training
  train fit $OUT/demo --out $OUT/demo-model --unlabelled seeds/  # once there is enough to train on
  annotate push seeds/ --project "$PROJECT" --model $OUT/demo-model  # the next round, your own tagger
  annotate server --stop                                       # when you are done (the server's data: $LS_DIR)

The evaluation report and plots of step 4 are in $OUT/re3d-model/eval-test/.
NEXT
