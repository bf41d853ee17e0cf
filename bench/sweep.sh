#!/usr/bin/env bash
# Measures every architecture with facenet bench (inference and a training step), PyTorch and ONNX Runtime
# at one batch size, alternating per architecture, then draws docs/images/throughput.png from the reports.
#
# Usage: bench/sweep.sh [BATCH]   (default 16)
# Environment: WARMUP (1), RUNS (3), ARCHS (all seven), OUT (results folder), CHART (PNG path),
#   FACENET_BIN and BENCH_BIN to run copies of Release builds (default: the Release build outputs).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
batch="${1:-16}"
warmup="${WARMUP:-1}"
runs="${RUNS:-3}"
archs="${ARCHS:-nns2 nn4-small2 nn4 nns1 nn3 nn2 nn1}"
out="${OUT:-$(mktemp -d)}"
chart="${CHART:-$root/docs/images/throughput.png}"
facenet="${FACENET_BIN:-$root/src/FaceNet.Cli/bin/Release/net10.0/facenet}"
bench="${BENCH_BIN:-$root/src/FaceNet.Bench/bin/Release/net10.0/FaceNet.Bench}"
mkdir -p "$out" "$(dirname "$chart")"

for arch in $archs; do
    echo "$arch: ours (load $(cut -d' ' -f1 /proc/loadavg))" >&2
    "$facenet" bench --arch "$arch" --batch "$batch" --warmup "$warmup" --runs "$runs" --format json \
        >"$out/ours.$arch.json"
    peak="$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["peak"]["gflops"])' \
        "$out/ours.$arch.json")"
    echo "$arch: pytorch (load $(cut -d' ' -f1 /proc/loadavg))" >&2
    /usr/bin/python3 "$root/bench/peers/torch_models.py" --arch "$arch" --batch "$batch" --warmup "$warmup" \
        --runs "$runs" --peak-gflops "$peak" >"$out/torch.$arch.json"
    echo "$arch: onnxruntime (load $(cut -d' ' -f1 /proc/loadavg))" >&2
    "$bench" ort --arch "$arch" --batch "$batch" --warmup "$warmup" --runs "$runs" >"$out/ort.$arch.json"
done
"$bench" chart "$chart" "$out"/*.json
