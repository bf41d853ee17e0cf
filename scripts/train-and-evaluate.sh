#!/usr/bin/env bash
# The main job: train nn4-small2 with the triplet loss on faces whose people are not in LFW folds 6-10
# (LFW people of folds 1-5, LFW people absent from pairs.txt, Extended Yale B), then measure it on
# LFW folds 6-10 next to the untrained network and the pixel baseline, measured the same way.
#
#   STEPS=1644 OUT=runs/nn4-small2 bash scripts/train-and-evaluate.sh
#
# Rerunning with a larger STEPS continues the same run from its last checkpoint.
set -euo pipefail
cd "$(dirname "$0")/.."

steps=${STEPS:-1644}
out=${OUT:-runs/nn4-small2}
arch=${ARCH:-nn4-small2}
bin=artifacts/facenet

dotnet build src/FaceNet.Cli -c Release -o "$bin" -v quiet -nologo
facenet="$bin/facenet"

resume=()
[ -f "$out/checkpoint.fnet" ] && resume=(--resume)
"$facenet" train --arch "$arch" --include-lfw --include-yale-b --exclude-lfw-folds 6-10 \
  --center-crop 0.6 --optimizer adam --lr 0.001 --steps "$steps" --checkpoint-every 25 --seed 1 \
  --out "$out" "${resume[@]}"

"$facenet" lfw --folds 6-10 --model "$out/checkpoint.fnet" --roc "$out/lfw-roc.png" --format json \
  > "$out/lfw-trained.json"
"$facenet" lfw --folds 6-10 --arch "$arch" --seed 1 --roc "$out/lfw-roc-untrained.png" --format json \
  > "$out/lfw-untrained.json"
"$facenet" lfw --folds 6-10 --baseline pixels --roc "$out/lfw-roc-pixels.png" --format json \
  > "$out/lfw-pixels.json"

for name in trained untrained pixels; do
  printf '%-10s ' "$name"
  grep -E '"(accuracy|valAtFar1e3|auc)"' "$out/lfw-$name.json" | tr -d ' \n'
  echo
done
