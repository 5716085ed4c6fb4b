#!/usr/bin/env bash
# The chain from raw rows to raw decisions on each dataset given, as a user
# runs it: commit, prove-preprocessing, prove --commitment, prove-eval,
# prove-predict --raw on the first 8 rows, the chain audit with every link,
# and verify of the preprocessing bundle. Every figure is one whole command
# from an empty parameter cache (as on a fresh machine), with the command and
# the load before it. Writes experiments/results/preprocessing.md.
#
#   experiments/preprocessing.sh [DATA.csv ...]
#
# Default: german_credit and breast_cancer (adult takes about 40 minutes alone,
# projected: give it explicitly). The binary is copied first, so that a
# rebuild during the run cannot change it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then
  set -- datasets/german_credit.csv datasets/breast_cancer.csv
fi
work=$(mktemp -d)
cp "${FOLDTRAIN_BIN:-target/release/foldtrain}" "$work/foldtrain"
bin=$work/foldtrain
results=experiments/results/preprocessing.md
commit=$(git rev-parse --short HEAD)
rows=()
run() {
  # run NAME ARGS...: one whole command, timed; its JSON report kept.
  local name=$1
  shift
  local load
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  echo "[$name] foldtrain $* (load $load)" >&2
  /usr/bin/time -f "%e %M" -o "$work/$name.time" "$bin" --quiet --json "$@" > "$work/$name.json" || true
  rows+=("$(python3 - "$work" "$name" "$load" "$*" <<'PY'
import json, sys
work, name, load, cmd = sys.argv[1:]
wall, kb = open(f"{work}/{name}.time").read().split()[-2:]
try:
    r = json.load(open(f"{work}/{name}.json"))
except Exception:
    r = {}
extra = ""
t = r.get("timings") or {}
if "constraints_per_step" in t:
    extra = f"{r['statement']['steps'] if 'statement' in r else r.get('steps')} steps of {t['constraints_per_step']:,} constraints; setup {t['setup_s']:.1f} s, folding {t['fold_s']:.1f} s, compression {t['compress_s']:.1f} s"
if "passed" in r:
    extra = "passed" if r["passed"] else "FAILED"
if "accepted" in r:
    extra = ("accepted" if r["accepted"] else "REJECTED") + (f", check {r['verify_s']:.2f} s" if r.get("verify_s") else "")
print(f"| {name} | {float(wall):.1f} s | {int(kb)/1024:.0f} MiB | {extra} | {load} | `foldtrain {cmd.replace(work + '/', '')}` |")
PY
)")
}
for data in "$@"; do
  name=$(basename "$data" .csv)
  export FOLDTRAIN_CACHE_DIR=$work/cache-$name
  c=$work/$name/c
  out=$work/$name/run
  (head -n 9 "$data") > "$work/$name-applicants.csv"
  run "$name commit" commit --data "$data" --out "$c"
  run "$name prove-preprocessing" prove-preprocessing --commitment "$c" --data "$data"
  run "$name prove" prove --data "$data" --commitment "$c" --out "$out"
  run "$name prove-eval" prove-eval --model "$out/model.json" --commitment "$c" --data "$data"
  run "$name prove-predict --raw" prove-predict --model "$out/model.json" --inputs "$work/$name-applicants.csv" --raw
  run "$name audit" audit --train "$out/proof.bundle" --eval "$out/eval-test.bundle" \
    --predict "$out/predict.bundle" --preprocessing "$c/preprocessing.bundle" \
    --commitment "$c" --model "$out/model.json" --report "$work/$name-audit.html"
  run "$name verify preprocessing" verify "$c/preprocessing.bundle"
done
{
  echo "# The chain from raw rows to raw decisions"
  echo
  echo "\`experiments/preprocessing.sh $*\` at commit $commit, $(nproc) cores."
  echo "Whole commands, each dataset from an empty parameter cache; load: the"
  echo "1-, 5- and 15-minute load average before the command."
  echo
  echo "| command | wall clock | peak memory | what it reports | load | command line |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} > "$results"
cat "$results"
