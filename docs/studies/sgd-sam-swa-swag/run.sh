#!/usr/bin/env bash
# The protocol of protocol.md as commands: SGD, SAM and SWA/SWAG on VGG-11-BN x1/8, Fashion-MNIST
# (12,000 training images), 15 epochs, seeds 0-2, then their evaluation and curvature.
# Usage: docs/studies/sgd-sam-swa-swag/run.sh OUT [DESCENT]   (DESCENT: the binary; default
# target/debug/descent; ARMS="sgd sam" runs those arms only). A stopped run resumes: each training run continues from its last
# checkpoint, each finished measurement is kept.
set -euo pipefail
out=${1:?usage: run.sh OUT [DESCENT]}
descent=${2:-target/debug/descent}
mkdir -p "$out"
common=(--model vgg11 --width 0.125 --dataset fashion-mnist --train-samples 12000
        --epochs 15 --batch-size 128 --optimizer momentum --momentum 0.9 --weight-decay 5e-4
        --lr 0.05 --schedule cosine --min-lr 0.0005)
declare -A arm
arm[sgd]=""
arm[sam]="--sam 0.05"
arm[swa]="--swa-start 8 --swa-lr 0.01 --swa-anneal-epochs 1 --swa-anneal cos --swa-every-steps 20 --swag --swag-rank 20"

train() { # train ARM SEED
    local run=$out/$1/seed$2
    if [ -f "$run/model.bpk" ] && [ -f "$run/metrics.csv" ] && grep -q '^15,' "$run/metrics.csv"; then
        return
    fi
    # shellcheck disable=SC2086
    if [ -f "$run/config.json" ]; then
        "$descent" train --out "$run" --resume
    else
        "$descent" train "${common[@]}" ${arm[$1]} --seed "$2" --out "$run"
    fi
}

measure() { # measure ARM SEED: evaluation and curvature of the arm's solution
    local run=$out/$1/seed$2 solution=$out/$1/seed$2
    if [ "$1" = swa ]; then solution=$run/swa; fi
    [ -f "$run/eval.json" ] || {
        if [ "$1" = swa ]; then
            "$descent" eval "$run" --swag --swag-samples 30 --json > "$run/eval.json.tmp"
        else
            "$descent" eval "$run" --json > "$run/eval.json.tmp"
        fi
        mv "$run/eval.json.tmp" "$run/eval.json"
    }
    # --subset-seed SEED: the 2000 images are the first of the run's own seeded draw of its
    # 12,000 training images (the landscape commands draw from the whole training split; see
    # protocol.md, amendment). The trace is not part of the table: 2 draws instead of up to 200.
    [ -f "$run/curvature.npz" ] || "$descent" landscape curvature "$solution" --top-k 1 \
        --sharpness keskar,filter-normalized --sharpness-eps 1e-3 --samples 2000 --split train \
        --subset-seed "$2" --trace-min-draws 2 --trace-max-draws 2 --out "$run/curvature.npz"
}

# ARMS (default "sgd sam swa") runs a part of the protocol, e.g. before a binary has SWAG.
arms=${ARMS:-sgd sam swa}
for seed in 0 1 2; do
    for a in $arms; do
        train "$a" "$seed"
    done
done
for seed in 0 1 2; do
    for a in $arms; do
        measure "$a" "$seed"
    done
done
