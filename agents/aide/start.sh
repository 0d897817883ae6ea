#!/bin/bash
# AIDE on one task, as MLE-bench's aide/start.sh runs it: the task's instructions, the agent's notes
# (hardware, time limit in words, steps: HARDWARE, TIME_LIMIT, STEP_LIMIT), then the description,
# into one file that AIDE reads; its logs go to $LOGS_DIR/<index>-exp/ (best_solution.py also to
# $CODE_DIR) and the submission its code writes (./working/submission.csv) lands in $SUBMISSION_DIR.
set -euo pipefail
cd "${AGENT_DIR:-/home/agent}"

# GPUs by name when there are any, as the seed's script tells them; else what the harness says.
if command -v nvidia-smi >/dev/null && names=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null); then
  HARDWARE=$(echo "$names" | sort | uniq -c | sed 's/^ *\([0-9]*\) *\(.*\)$/\1 \2/' | paste -sd ', ' -)
fi
export HARDWARE=${HARDWARE:-a CPU} TIME_LIMIT=${TIME_LIMIT:-${TIME_LIMIT_SECS:-?} seconds} STEP_LIMIT=${STEP_LIMIT:-?}

if [ -f /home/instructions.txt ]; then  # a competition, or a task with a description
  cat /home/instructions.txt > full_instructions.txt  # not cp: the copy would be read-only as the original
  data_dir=/home/data
elif [ -f /instruction/task.md ]; then  # a workplace task: its files are the data
  cat /instruction/task.md > full_instructions.txt
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

# The code AIDE writes saves ./working/submission.csv in its run's workspace ("<index>-exp", the index
# being AIDE's to choose). A watcher copies it to the submission folder whenever it changes (a link
# would not do: AIDE's data preview reads every CSV of the workspace), so a run cut at the time limit
# keeps its last submission.
workspace=${AGENT_DIR:-/home/agent}/workspaces
submission=${SUBMISSION_DIR:-/home/submission}/submission.csv
copy_submission='
import glob, os, shutil, sys, time
workspace, submission, watch = sys.argv[1], sys.argv[2], sys.argv[3] == "watch"
seen = None
while True:
    for path in glob.glob(os.path.join(workspace, "*-exp", "working", "submission.csv")):
        try:
            stamp = (os.stat(path).st_mtime_ns, os.stat(path).st_size)
            if stamp != seen:
                shutil.copyfile(path, submission + ".part")
                os.replace(submission + ".part", submission)
                seen = stamp
        except OSError:
            pass
    if not watch:
        break
    time.sleep(1)
'
python3 -c "$copy_submission" "$workspace" "$submission" watch &
watcher=$!

status=0
python3 aide_gateway.py data_dir="$data_dir" desc_file="$PWD/full_instructions.txt" exp_name=exp \
  log_dir="${LOGS_DIR:-/home/logs}" workspace_dir="$workspace" "$@" || status=$?
kill "$watcher" 2>/dev/null || true
python3 -c "$copy_submission" "$workspace" "$submission" once
for best in "${LOGS_DIR:-/home/logs}"/*-exp/best_solution.py; do
  [ -f "$best" ] && cp "$best" "${CODE_DIR:-/home/code}/"
done
exit $status
