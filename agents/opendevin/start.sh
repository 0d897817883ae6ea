#!/bin/bash
# OpenHands on one task: run_openhands.py builds OpenHands' CodeAct agent as OpenHands' CLI does and
# runs it headless in this container (OpenHands' local runtime), the model reached through the
# harness's gateway (OPENAI_BASE_URL, OPENAI_API_KEY). Its event log goes to $LOGS_DIR/openhands/.
set -euo pipefail

# GPUs by name when there are any, as the seed's setup.py tells them; else what the harness says.
if command -v nvidia-smi >/dev/null && names=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null); then
  HARDWARE=$(echo "$names" | sort | uniq -c | sed 's/^ *\([0-9]*\) *\(.*\)$/\1 \2/' | paste -sd ', ' -)
fi
export HARDWARE=${HARDWARE:-a CPU} TIME_LIMIT=${TIME_LIMIT:-${TIME_LIMIT_SECS:-?} seconds}
mkdir -p "${LOGS_DIR:-/home/logs}"
exec python3 /home/agent/run_openhands.py "$@"
