#!/bin/bash
# Issue 35 on adult, whole commands: commit with the protected attribute
# sex_Male (left out of the features), prove training with balanced class
# weights against that commitment, prove the evaluation by groups, audit the
# chain against commitment.json. Each command's wall clock and peak memory
# (/usr/bin/time -v) and the machine's load are written beside its log.
# Usage: experiments/fairness_adult.sh [WORKDIR] (default: a new temp dir).
# Read the figures into experiments/results/fairness_adult.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${FOLDTRAIN_BIN:-$ROOT/target/release/foldtrain}
D=$ROOT/datasets/adult.csv
W=${1:-$(mktemp -d)}
cd "$W"
step() { # name, command...
  local name=$1; shift
  echo "== $name: $*"; uptime
  /usr/bin/time -v "$@" > "$name.log" 2> "$name.time" || echo "$name exit $?"
  grep -E "Elapsed|Maximum resident" "$name.time"
}
step commit "$B" commit --data "$D" --group sex_Male --out c
step prove "$B" --quiet prove --data "$D" --commitment c --class-weight balanced --out m
step eval "$B" --quiet prove-eval --model m/model.json --commitment c --data "$D" --group sex_Male --out m
step audit "$B" audit --train m/proof.bundle --eval m/eval-test.bundle --commitment c/commitment.json \
  --model m/model.json --report m/report.html
uptime
echo "outputs in $W"
