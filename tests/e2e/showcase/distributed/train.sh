#!/usr/bin/env bash
# Fine-tuning run on one 8-GPU node (gpu-d01).
set -euo pipefail

export NCCL_DEBUG=WARN
export OMP_NUM_THREADS=8

mkdir -p logs
torchrun --standalone --nproc-per-node=8 train.py \
  --batch-size 32 \
  --num-workers 16 \
  --prefetch-factor 8 \
  --pin-memory \
  2>&1 | tee logs/torchrun.log
