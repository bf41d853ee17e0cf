#!/usr/bin/env bash
# Times FaceNet.NET (facenet bench), PyTorch (torch_models.py) and ONNX Runtime (FaceNet.Bench ort) on the
# same architectures. The three alternate in every round, so a change in machine load hits all of them
# alike. Prints throughput and the ratio ours/theirs per row, as the median over rounds.
#
# Usage: bench/peers/compare.sh [ARCH:BATCH:TRAIN_BATCH ...]
#   default rows: nn4-small2:64:64 nn2:16:16
# Environment: ROUNDS (2), WARMUP (1), RUNS (3), THREADS (nproc), OUT (results folder, default a temp dir),
#   NO_BUILD=1 to skip the Release builds, FACENET_BIN and BENCH_BIN to run copies of the binaries,
#   BASE_BIN to also time an earlier build of facenet in every round (a "before" column and ours/before).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
rounds="${ROUNDS:-2}"
warmup="${WARMUP:-1}"
runs="${RUNS:-3}"
threads="${THREADS:-$(nproc)}"
out="${OUT:-$(mktemp -d)}"
rows=("$@")
if [ ${#rows[@]} -eq 0 ]; then
    rows=("nn4-small2:64:64" "nn2:16:16")
fi

if [ "${NO_BUILD:-0}" != "1" ]; then
    dotnet build -c Release "$root/src/FaceNet.Cli" -v q -nologo >/dev/null
    dotnet build -c Release "$root/src/FaceNet.Bench" -v q -nologo >/dev/null
fi
facenet="${FACENET_BIN:-$root/src/FaceNet.Cli/bin/Release/net10.0/facenet}"
bench="${BENCH_BIN:-$root/src/FaceNet.Bench/bin/Release/net10.0/FaceNet.Bench}"
mkdir -p "$out"
echo "results in $out" >&2

for ((round = 1; round <= rounds; round++)); do
    for row in "${rows[@]}"; do
        IFS=: read -r arch batch train_batch <<<"$row"
        tag="$arch.$round"
        echo "round $round $arch: ours (load $(cut -d' ' -f1 /proc/loadavg))" >&2
        "$facenet" bench --arch "$arch" --batch "$batch" --train-batch "$train_batch" --warmup "$warmup" \
            --runs "$runs" --format json >"$out/ours.$tag.json"
        peak="$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["peak"]["gflops"])' \
            "$out/ours.$tag.json")"
        if [ -n "${BASE_BIN:-}" ]; then
            echo "round $round $arch: before (load $(cut -d' ' -f1 /proc/loadavg))" >&2
            "$BASE_BIN" bench --arch "$arch" --batch "$batch" --train-batch "$train_batch" --warmup "$warmup" \
                --runs "$runs" --format json >"$out/base.$tag.json"
        fi
        echo "round $round $arch: pytorch (load $(cut -d' ' -f1 /proc/loadavg))" >&2
        /usr/bin/python3 "$root/bench/peers/torch_models.py" --arch "$arch" --batch "$batch" \
            --train-batch "$train_batch" --warmup "$warmup" --runs "$runs" --threads "$threads" \
            --peak-gflops "$peak" >"$out/torch.$tag.json"
        echo "round $round $arch: onnxruntime (load $(cut -d' ' -f1 /proc/loadavg))" >&2
        "$bench" ort --arch "$arch" --batch "$batch" --warmup "$warmup" --runs "$runs" >"$out/ort.$tag.json"
    done
done

/usr/bin/python3 - "$out" "$rounds" "${rows[@]}" <<'PY'
import json
import os
import statistics
import sys

out, rounds, rows = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
has_base = os.path.exists(f"{out}/base.{rows[0].split(':')[0]}.1.json")


def load(kind, arch, r):
    with open(f"{out}/{kind}.{arch}.{r}.json") as f:
        return json.load(f)


base_head, base_rule = (" Before img/s | Ours/before |", "---:|---:|") if has_base else ("", "")
print("| Arch | Mode | Batch | Ours img/s | PyTorch img/s | ONNX Runtime img/s | Ours/PyTorch | Ours/ORT "
      f"| Ours GFLOP/s | Ours of peak | CPU use ours/PyTorch/ORT | Load |{base_head}")
print(f"|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|{base_rule}")


def use(rows):
    values = [x.get("cpuUtilization") for x in rows]
    return f"{statistics.median(values):.0%}" if rows and None not in values else "-"


for row in rows:
    arch = row.split(":")[0]
    for mode in ("inference", "training"):
        ours, torch, ort = [], [], []
        for r in range(1, rounds + 1):
            ours.append(load("ours", arch, r)[mode])
            torch.append(load("torch", arch, r)[mode])
            if mode == "inference":
                ort.append(load("ort", arch, r)[mode])
        o = statistics.median(x["imagesPerSecond"] for x in ours)
        t = statistics.median(x["imagesPerSecond"] for x in torch)
        vs_torch = statistics.median(a["imagesPerSecond"] / b["imagesPerSecond"] for a, b in zip(ours, torch))
        if ort:
            n = statistics.median(x["imagesPerSecond"] for x in ort)
            vs_ort = statistics.median(a["imagesPerSecond"] / b["imagesPerSecond"] for a, b in zip(ours, ort))
            ort_text, ratio_text = f"{n:.1f}", f"{vs_ort:.2f}"
        else:
            ort_text, ratio_text = "-", "-"
        gflops = statistics.median(x["gflops"] for x in ours)
        peak = statistics.median(x["peakFraction"] for x in ours)
        load_avg = statistics.median(x["loadAverage"] for x in ours + torch)
        base_text = ""
        if has_base:
            base = [load("base", arch, r)[mode] for r in range(1, rounds + 1)]
            b = statistics.median(x["imagesPerSecond"] for x in base)
            vs_base = statistics.median(a["imagesPerSecond"] / c["imagesPerSecond"] for a, c in zip(ours, base))
            base_text = f" {b:.1f} | {vs_base:.2f} |"
        print(f"| {arch} | {mode} | {ours[0]['batch']} | {o:.1f} | {t:.1f} | {ort_text} | {vs_torch:.2f} | "
              f"{ratio_text} | {gflops:.1f} | {peak:.1%} | {use(ours)}/{use(torch)}/{use(ort)} | {load_avg:.1f} |"
              f"{base_text}")
PY
