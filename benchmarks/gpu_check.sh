#!/usr/bin/env bash
# Every GPU path in one call: run on the device machine from the project root, once the
# wheels are installed (benchmarks/gpu_wheels.sh says how), with $OUT the folder that
# comes back. Writes $OUT/gpu_check.json (benchmarks/gpu_check.py documents the steps).
#
#   bash benchmarks/gpu_check.sh              # on the GPU machine: about 6 of its 8 minutes
#   bash benchmarks/gpu_check.sh --dry-run    # here, on the CPU: every step, smaller
#
# The wheels go to /tmp/site (see gpu_wheels.sh); bench-out/ and the caches live under
# /tmp on the device machine so that nothing large is sent back.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/bench-out/gpu-check}"
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}:/tmp/site"
export SUMMARIZE_CACHE_DIR="${SUMMARIZE_CACHE_DIR:-/tmp/summarize-gpu-check-cache}"
export PYTHONUNBUFFERED=1
budget=450
if [ "${1:-}" = "--dry-run" ]; then
    budget=3000  # two busy cores instead of sixteen
fi
echo "[gpu_check] $(date -u +%FT%TZ) $(nproc) cores; $(command -v nvidia-smi >/dev/null && nvidia-smi -L | head -1)"
python3 -c "import av, torch, summarize" || { echo "[gpu_check] the wheels are not installed (benchmarks/gpu_wheels.sh)"; exit 1; }
timeout $((budget + 30)) python3 benchmarks/gpu_check.py --out "$OUT" --budget "$budget" "$@"
rc=$?
python3 - "$OUT/gpu_check.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
keys = ("gpu", "seconds", "mbit_s", "x_realtime", "total_s", "decode_s", "features_s", "decode_wait_s", "writing_s",
        "decoder", "tests", "failures", "skipped", "problem", "encode_fps", "device", "steps_per_s", "videos_per_s",
        "clips_per_s")
for name, step in report["steps"].items():
    shown = {k: step[k] for k in keys if k in step}
    for run in step.get("runs", []):  # nvdec: each NVDEC run against the CPU's samples
        shown[f"nvdec workers={run['workers']}"] = {k: run[k] for k in ("equal", "max_abs_diff", "note")}
    print(f"  {name:18} {step['status']:28} {step.get('step_s', '')!s:>6} s  {shown}")
PY
exit $rc
