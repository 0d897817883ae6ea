#!/bin/bash
# MLAgentBench's research agent on one task, as MLE-bench's mlagentbench/start.sh runs it: the task
# becomes a benchmark of MLAgentBench's own layout (benchmarks/<task>/env: the files the agent starts
# with; scripts/research_problem.txt: what it is asked), then `python -m MLAgentBench.runner` runs it
# (through mlab_launch.py: see there) with the config's kwargs. Its workspace is $CODE_DIR/agentbench,
# where data/ and submission/ link to the task's data and the submission folder; its logs go to
# $LOGS_DIR (agent_log/main_log: its reasoning and actions; env_log/: the environment's trace).
set -euo pipefail
agent_dir=${AGENT_DIR:-/home/agent}
source_dir=$agent_dir/MLAgentBench
task=agentbench  # MLAgentBench's name for the benchmark folder it copies the workspace from
benchmark=$source_dir/MLAgentBench/benchmarks/$task

# GPUs by name when there are any, as the seed's script tells them; else what the harness says.
if command -v nvidia-smi >/dev/null && names=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null); then
  HARDWARE=$(echo "$names" | sort | uniq -c | sed 's/^ *\([0-9]*\) *\(.*\)$/\1 \2/' | paste -sd ', ' -)
fi
export HARDWARE=${HARDWARE:-a CPU} TIME_LIMIT=${TIME_LIMIT:-${TIME_LIMIT_SECS:-?} seconds} STEP_LIMIT=${STEP_LIMIT:-?}

rm -rf "$benchmark" && mkdir -p "$benchmark/env" "$benchmark/scripts"
# Its file actions stay inside its workspace: the task's absolute paths become the workspace's
# folders, linked to the real ones (as MLE-bench's script makes /home/data `data`).
ln -s "${SUBMISSION_DIR:-/home/submission}" "$benchmark/env/submission"
if [ -f /home/instructions.txt ]; then  # a competition, or a task with a description
  ln -s /home/data "$benchmark/env/data"
  sed 's|/home/||g' /home/instructions.txt > "$benchmark/env/instructions.txt"
elif [ -f /instruction/task.md ]; then  # a workplace task: its files are in /workspace
  ln -s /workspace "$benchmark/env/workspace"
  sed 's|/workspace|workspace|g' /instruction/task.md > "$benchmark/env/instructions.txt"
else
  echo "mlagentbench/start.sh: no task found (/home/instructions.txt or /instruction/task.md)" >&2
  exit 2
fi
cp "$agent_dir/train.py" "$benchmark/env/"
{
  cat "$benchmark/env/instructions.txt"
  echo ""
  python3 -c 'import os, string, sys; print(string.Template(sys.stdin.read()).safe_substitute(os.environ))' \
    < "$agent_dir/additional_notes.txt"
  if [ -f /home/data/description.md ]; then
    printf "\nCOMPETITION INSTRUCTIONS\n------\n\n"
    cat /home/data/description.md
  fi
} > "$benchmark/scripts/research_problem.txt"

# Its model calls go to the gateway: OpenAI's pre-1.0 client reads OPENAI_API_BASE, Anthropic's
# ANTHROPIC_BASE_URL; the keys (the item's gateway token) are read from the files MLAgentBench's
# README names, in the folder it runs from ("organization:key" for OpenAI).
export OPENAI_API_BASE=${OPENAI_BASE_URL:-}
cd "$source_dir"
(umask 077 && printf ':%s' "${OPENAI_API_KEY:-}" > openai_api_key.txt && printf '%s' "${ANTHROPIC_API_KEY:-}" > claude_api_key.txt)

# Its own time limit (--max-time) is the task's when that is shorter, less a minute to stop in.
args=("$@")
max_time=86400
for ((i = 0; i < ${#args[@]}; i++)); do
  [ "${args[i]}" = "--max-time" ] && max_time=${args[i + 1]}
done
if [ -n "${TIME_LIMIT_SECS:-}" ] && [ "$((TIME_LIMIT_SECS - 60))" -lt "$max_time" ]; then
  args+=(--max-time "$((TIME_LIMIT_SECS > 120 ? TIME_LIMIT_SECS - 60 : TIME_LIMIT_SECS / 2))")
fi

exec python3 -u "$agent_dir/mlab_launch.py" --python "$(command -v python3)" --task "$task" --device 0 \
  --log-dir "${LOGS_DIR:-/home/logs}" --work-dir "${CODE_DIR:-/home/code}" "${args[@]}"
