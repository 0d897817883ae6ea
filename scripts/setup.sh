#!/usr/bin/env bash
# Everything a run needs, idempotent and quick the second time: a Docker engine, the project in .venv,
# and the base image. Run as root on Debian (the engine and debootstrap need it).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/docker-up.sh

# Headless Chromium for the browser tests and bench/bench_report.py; apt-get update only when installing.
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

# The virtual environment, reinstalled only when pyproject.toml changed.
stamp=.venv/.agentbench-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -e '.[test,bundled]'
  echo "$want" > "$stamp"
fi

# The base image: debootstrap + import the first time (about a minute), a no-op after that.
.venv/bin/agentbench images build

# The LLM agents' images (tests/integration/test_llm_agents.py runs them): their packages are
# downloaded on the host into a wheelhouse cache, then built once; a no-op after that.
.venv/bin/agentbench images build --agent mini-swe-agent --agent aide --agent opendevin
# mlagentbench is built from a local checkout of MLAgentBench (not on PyPI): only when one is named.
if [ -n "${MLAGENTBENCH_SOURCE:-}" ]; then
  .venv/bin/agentbench images build --agent mlagentbench
fi
