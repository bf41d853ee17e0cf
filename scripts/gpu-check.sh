#!/usr/bin/env bash
# Checks the CUDA engine on a GPU machine in two stages, because the GPU machine has no .NET SDK.
#
#   scripts/gpu-check.sh build OUTDIR   (here, with the .NET SDK and nvcc)
#       Publishes a self-contained single-file `facenet` for linux-x64 into OUTDIR, with the PTX for sm_80
#       and sm_90 embedded in the binary. The stage fails when nvcc is not on PATH, because the build would
#       then embed no PTX.
#   scripts/gpu-check.sh run OUTDIR [--device cuda|emulated] [--bench-batch N] [--bench-runs N]
#       On the GPU machine: runs `facenet selftest` with the benchmark and writes OUTDIR/gpu-check-report.txt
#       and OUTDIR/gpu-check-report.json. Exit code 1 when a parity row fails or the device cannot be opened.
#       `--device emulated` is a dry run on a machine without a GPU (slow: use --bench-batch 4 --bench-runs 1).
set -euo pipefail

usage() {
  echo "usage: $0 build OUTDIR | run OUTDIR [--device cuda|emulated] [--bench-batch N] [--bench-runs N]" >&2
  exit 2
}

# Largest size of the published binary; it is copied to GPU machines with small transfer limits.
max_bytes=$((60 * 1024 * 1024))

build() {
  local out="$1"
  local repo
  repo="$(cd "$(dirname "$0")/.." && pwd)"
  if ! command -v nvcc > /dev/null; then
    echo "error: nvcc is not on PATH, so the build would embed no PTX; install CUDA 11.8 first." >&2
    exit 1
  fi
  mkdir -p "$out"
  # Single-file with compression instead of trimming, because System.CommandLine and System.Text.Json
  # use reflection that trimming would need annotations for.
  dotnet publish "$repo/src/FaceNet.Cli" -c Release -r linux-x64 --self-contained \
    -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true -p:PublishTrimmed=false \
    -p:IncludeNativeLibrariesForSelfExtract=false -o "$out" -nologo -v q
  cp "$0" "$out/gpu-check.sh"

  local bytes
  bytes=$(stat -c %s "$out/facenet")
  echo "facenet: $((bytes / 1024 / 1024)) MiB ($bytes bytes), limit $((max_bytes / 1024 / 1024)) MiB"
  if (( bytes > max_bytes )); then
    echo "error: $out/facenet is larger than $((max_bytes / 1024 / 1024)) MiB." >&2
    exit 1
  fi
  echo "folder $out: $(du -sh "$out" | cut -f1) (facenet, the native libraries it loads, and debug symbols)"
  echo "Copy $out to the GPU machine and run: ./gpu-check.sh run ."
}

run() {
  local out="$1"
  shift
  local device=cuda batch=64 runs=10
  while (( $# > 0 )); do
    case "$1" in
      --device) device="$2"; shift 2 ;;
      --bench-batch) batch="$2"; shift 2 ;;
      --bench-runs) runs="$2"; shift 2 ;;
      *) usage ;;
    esac
  done
  local facenet="$out/facenet"
  if [[ ! -x "$facenet" ]]; then
    echo "error: $facenet not found; run '$0 build $out' on a machine with the .NET SDK first." >&2
    exit 1
  fi

  local report="$out/gpu-check-report.txt"
  local status=0
  {
    echo "# gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
    if command -v nvidia-smi > /dev/null; then
      nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv
    else
      echo "nvidia-smi: not found"
    fi
    echo
  } > "$report"
  "$facenet" selftest --device "$device" --bench --bench-batch "$batch" --bench-runs "$runs" >> "$report" 2>&1 \
    || status=$?
  "$facenet" selftest --device "$device" --format json --bench --bench-batch "$batch" --bench-runs "$runs" \
    > "$out/gpu-check-report.json" 2>> "$report" || status=$?
  cat "$report"
  echo "Report: $report and $out/gpu-check-report.json (exit code $status)"
  exit "$status"
}

(( $# >= 2 )) || usage
case "$1" in
  build) build "$2" ;;
  run) stage_out="$2"; shift 2; run "$stage_out" "$@" ;;
  *) usage ;;
esac
