#!/usr/bin/env bash
# Make sure a Docker engine answers: install Debian's docker.io and start dockerd if needed.
# Idempotent: does nothing when `docker info` already works. Needs root for the install/start path.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi
if [ -n "${DOCKER_HOST:-}" ]; then
  echo "docker-up: DOCKER_HOST=$DOCKER_HOST does not answer; not starting a local engine" >&2
  exit 1
fi

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  echo "docker-up: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  echo "docker-up: starting dockerd" >&2
  mkdir -p /var/log
  # Small address ranges: by default each network takes a /16 and the engine runs out after about 30,
  # which -n 8 with egress and gateway networks (and parallel test suites) reaches. Not when the
  # daemon's own configuration sets them (dockerd refuses a setting given twice).
  pools=(--default-address-pool base=172.16.0.0/12,size=24)
  grep -qs default-address-pools /etc/docker/daemon.json && pools=()
  # setsid: dockerd must outlive this script and the shell that ran it.
  setsid dockerd "${pools[@]}" >/var/log/agentbench-dockerd.log 2>&1 < /dev/null &
fi
for _ in $(seq 1 120); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 0.25
done
echo "docker-up: dockerd did not answer within 30 s; see /var/log/agentbench-dockerd.log" >&2
tail -n 20 /var/log/agentbench-dockerd.log >&2 || true
exit 1
