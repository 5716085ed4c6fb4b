#!/usr/bin/env bash
# Proving one training run whole and in 2 and 4 segments on this machine:
# whole commands (`prove`, `prove --segments K`), each from an empty
# parameter cache (as on a fresh machine), then `verify` of its bundle with
# the key it cached. Writes experiments/results/segments_adult.md.
#
#   experiments/segments_adult.sh [DATA.csv] [extra prove flags...]
#
# Default: datasets/adult.csv at the default recipe (10 epochs). The binary
# is copied first, so that a rebuild during the run cannot change it.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-datasets/adult.csv}
shift || true
work=$(mktemp -d)
cp "${FOLDTRAIN_BIN:-target/release/foldtrain}" "$work/foldtrain"
bin=$work/foldtrain
results=experiments/results/segments_adult.md
commit=$(git rev-parse --short HEAD)
rows=()
for k in 1 2 4; do
  export FOLDTRAIN_CACHE_DIR=$work/cache-$k
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  if [ "$k" = 1 ]; then
    cmd=(prove --data "$data" "$@" --out "$work/run-$k")
  else
    cmd=(prove --data "$data" "$@" --segments "$k" --out "$work/run-$k")
  fi
  echo "[$k] foldtrain ${cmd[*]} (load $load)" >&2
  /usr/bin/time -f "%e %M" -o "$work/time-$k" "$bin" --quiet --json "${cmd[@]}" > "$work/report-$k.json"
  /usr/bin/time -f "%e %M" -o "$work/vtime-$k" "$bin" --quiet --json verify "$work/run-$k/proof.bundle" > "$work/verify-$k.json"
  rows+=("$(python3 - "$k" "$load" "$work" "${cmd[*]}" <<'PY'
import json, sys
k, load, work, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
wall, kb = open(f"{work}/time-{k}").read().split()
vwall, _ = open(f"{work}/vtime-{k}").read().split()
r = json.load(open(f"{work}/report-{k}.json"))
v = json.load(open(f"{work}/verify-{k}.json"))
segs = r.get("segments") or []
per = "; ".join(f"{s['steps']} steps: fold {s['fold_s']:.0f} s + compress {s['compress_s']:.0f} s" for s in segs) or f"fold {r['prove_s']:.0f} s + compress {r['compress_s']:.0f} s"
print(f"| {k} | {float(wall):.0f} s | {int(kb)/1024:.0f} MiB | {per} | {r['bundle_bytes']} | {float(vwall):.2f} s ({v['verify_s']:.2f} s check) | {load} | `foldtrain {cmd.replace(work + '/', '')}` |")
PY
)")
done
{
  echo "# One run proven whole and in segments on this machine"
  echo
  echo "\`experiments/segments_adult.sh $data $*\` at commit $commit, $(nproc) cores."
  echo "Whole commands, each from an empty parameter cache; peak memory is"
  echo "the largest single process (a segment's worker, or the whole prover)."
  echo "\`verify\` uses the key the run cached. Load: the 1-, 5- and 15-minute"
  echo "load average before the command."
  echo
  echo "| segments | wall clock | peak memory | each segment (worker time) | bundle bytes | verify | load | command |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} > "$results"
cat "$results"
