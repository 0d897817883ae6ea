#!/bin/bash
# AIDE on one task, as MLE-bench's aide/start.sh runs it: the task's instructions, the agent's notes
# (hardware, time limit in words, steps: HARDWARE, TIME_LIMIT, STEP_LIMIT), then the description,
# into one file that AIDE reads; its logs go to $LOGS_DIR and the submission its code writes
# (./working/submission.csv) lands in $SUBMISSION_DIR as it is written.
set -euo pipefail
cd "${AGENT_DIR:-/home/agent}"

# GPUs by name when there are any, as the seed's script tells them; else what the harness says.
if command -v nvidia-smi >/dev/null && names=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null); then
  HARDWARE=$(echo "$names" | sort | uniq -c | sed 's/^ *\([0-9]*\) *\(.*\)$/\1 \2/' | paste -sd ', ' -)
fi
export HARDWARE=${HARDWARE:-a CPU} TIME_LIMIT=${TIME_LIMIT:-${TIME_LIMIT_SECS:-?} seconds} STEP_LIMIT=${STEP_LIMIT:-?}

if [ -f /home/instructions.txt ]; then  # a competition, or a task with a description
  cp /home/instructions.txt full_instructions.txt
  data_dir=/home/data
elif [ -f /instruction/task.md ]; then  # a workplace task: its files are the data
  cp /instruction/task.md full_instructions.txt
  data_dir=/workspace
else
  echo "aide/start.sh: no task found (/home/instructions.txt or /instruction/task.md)" >&2
  exit 2
fi
echo "" >> full_instructions.txt
python3 -c 'import os, string, sys; print(string.Template(sys.stdin.read()).safe_substitute(os.environ))' \
  < additional_notes.txt >> full_instructions.txt
if [ -f /home/data/description.md ]; then
  printf "\nCOMPETITION INSTRUCTIONS\n------\n\n" >> full_instructions.txt
  cat /home/data/description.md >> full_instructions.txt
fi

# AIDE names its run "<index>-<exp_name>"; in a fresh workspace the index is 0. The code it writes
# saves ./working/submission.csv: that path is made a link to the submission folder beforehand.
workspace=${AGENT_DIR:-/home/agent}/workspaces
mkdir -p "$workspace/0-exp/working"
ln -sfn "${SUBMISSION_DIR:-/home/submission}/submission.csv" "$workspace/0-exp/working/submission.csv"

python3 aide_gateway.py data_dir="$data_dir" desc_file="$PWD/full_instructions.txt" exp_name=exp \
  log_dir="${LOGS_DIR:-/home/logs}" workspace_dir="$workspace" "$@"
cp "${LOGS_DIR:-/home/logs}/0-exp/best_solution.py" "${CODE_DIR:-/home/code}/" 2>/dev/null || true
