#!/bin/bash
# mini-swe-agent on one task: the task's own text and what the harness tells every agent (its time
# limit and hardware: TIME_LIMIT, HARDWARE), then `mini` without confirmations. Its trajectory goes
# to $LOGS_DIR/mini-swe-agent.traj.json.
set -euo pipefail

model=gpt-4o-2024-08-06 step_limit=250 cost_limit=3 command_timeout=600
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model=$2 ;;
    --step-limit) step_limit=$2 ;;
    --cost-limit) cost_limit=$2 ;;
    --command-timeout) command_timeout=$2 ;;
    *) echo "mini-swe-agent/start.sh: unknown argument $1 (expected --model, --step-limit, --cost-limit," \
            "--command-timeout)" >&2; exit 2 ;;
  esac
  shift 2
done

if [ -f /home/instructions.txt ]; then  # a competition, or a task with a description
  task=$(cat /home/instructions.txt)
  if [ -f /home/data/description.md ]; then
    task+=$'\n\nCOMPETITION INSTRUCTIONS\n------\n\n'$(cat /home/data/description.md)
  fi
  cwd=${CODE_DIR:-/home/code}
elif [ -f /instruction/task.md ]; then  # a workplace task
  task=$(cat /instruction/task.md)
  cwd=/workspace
else
  echo "mini-swe-agent/start.sh: no task found (/home/instructions.txt or /instruction/task.md)" >&2
  exit 2
fi
task+="

ADDITIONAL NOTES
------

- **Compute**: You have access to ${HARDWARE:-a CPU}.
- **Total Runtime**: You have a maximum of ${TIME_LIMIT:-an unknown time} to attempt this task; the programs you run count towards it.
- **Total Steps**: You have a maximum of ${step_limit} steps."

mkdir -p "$MSWEA_GLOBAL_CONFIG_DIR"
exec mini --yolo --exit-immediately --model "$model" --task "$task" \
  -c mini.yaml -c "agent.step_limit=$step_limit" -c "agent.cost_limit=$cost_limit" \
  -c "environment.timeout=$command_timeout" -c "environment.cwd=$cwd" \
  --output "${LOGS_DIR:-/home/logs}/mini-swe-agent.traj.json"
