#!/bin/bash
# A portsim sweep as a Slurm job array: one array task per shard, each
# writing its part into a directory every node sees. Submit with as many
# tasks as shards, the sweep's flags after the script:
#
#   sbatch --array=0-4 deploy/slurm/sweep.sh --preset load-tester --vary rate=200:1000:200 ...
#
# portsim takes the task's index from SLURM_ARRAY_TASK_ID (counted from
# SLURM_ARRAY_TASK_MIN) and checks that SLURM_ARRAY_TASK_COUNT is --shards.
# PORTSIM_PARTS is the parts directory (default: parts/ where sbatch ran);
# give each sweep its own. Then join the parts:
#
#   portsim merge parts/ --out sweep/
#
#SBATCH --job-name=portsim-sweep
#SBATCH --cpus-per-task=4
#SBATCH --output=portsim-sweep-%A_%a.log
set -euo pipefail

parts=${PORTSIM_PARTS:-${SLURM_SUBMIT_DIR:-$PWD}/parts}
exec portsim sweep "$@" --shards "$SLURM_ARRAY_TASK_COUNT" --jobs "${SLURM_CPUS_PER_TASK:-0}" --out "$parts"
