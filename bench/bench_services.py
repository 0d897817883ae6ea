"""Per-item service stacks: how long the four-server stack (git, file share, PostgreSQL, chat) of
task_specs/company/_services/compose.yaml takes from nothing to healthy and initialised, its images
already built (a warm cache), one stack at a time and two at once (as under -n 2).

Then the same stack with `lifetime: worker`: the reset between two items of a worker, which is a
restart of every service from the worker's snapshot of the stack after its init.

Targets (issue 16): under 15 s per stack, a per-worker reset under 3 s. TheAgentCompany's shared
servers need minutes to start and to reset.

    .venv/bin/python bench/bench_services.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from dataclasses import replace
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pytest_agentbench.sandbox.base import ContainerConfig  # noqa: E402
from pytest_agentbench.sandbox.docker import DockerEngine  # noqa: E402
from pytest_agentbench.sandbox.images import ensure_base_image  # noqa: E402
from pytest_agentbench.services.compose import load_stack  # noqa: E402
from pytest_agentbench.services.stack import service_images, start_stack, worker_snapshot  # noqa: E402

COMPOSE = REPO / "task_specs" / "company" / "_services" / "compose.yaml"


def one_stack(engine: DockerEngine, stack, base: str) -> dict[str, float]:
    """Seconds until each service was ready, and `ready` for the whole stack (init done), with the
    item's network made first, as the fixtures do."""
    start = time.perf_counter()
    network = engine.create_network(f"bench-services-{uuid.uuid4().hex[:8]}", internal=True)
    running = start_stack(stack, engine, network=network, prefix=f"bench-svc-{uuid.uuid4().hex[:8]}",
                          base_image=base, limits=ContainerConfig(pids_limit=4096))
    timings = {**running.timings, "total": time.perf_counter() - start}
    running.remove()
    engine.discard_network(network)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    engine = DockerEngine(f"bench-services-{uuid.uuid4().hex[:8]}")
    try:
        base = ensure_base_image(engine)
        stack = load_stack(COMPOSE)
        built = time.perf_counter()
        service_images(stack, engine, base)  # warm the cache: builds only on a first run
        print(f"images ready in {time.perf_counter() - built:.1f} s (0 when cached)")
        alone = [one_stack(engine, stack, base) for _ in range(args.repeats)]
        engine.drain()
        with ThreadPoolExecutor(2) as pool:
            pairs = [list(pool.map(lambda _: one_stack(engine, stack, base), range(2))) for _ in range(args.repeats)]
        engine.drain()
        per_worker = replace(stack, lifetime="worker")
        snapshot = worker_snapshot(per_worker, engine, base, ContainerConfig(pids_limit=4096))
        resets = [one_stack(engine, per_worker, base) for _ in range(args.repeats)]
        engine.drain()
    finally:
        engine.drain()
        engine.sweep(engine.run_id)
    for name, runs in (("one stack", alone), ("two at once", [t for pair in pairs for t in pair])):
        total = [r["total"] for r in runs]
        per_service = {s: statistics.median(r[s] for r in runs) for s in sorted(stack.services)}
        print(f"{name}: healthy and initialised in median {statistics.median(total):.2f} s, "
              f"max {max(total):.2f} s over {len(total)} stacks (target < 15 s); "
              f"each service ready after (median): "
              + ", ".join(f"{s} {t:.2f} s" for s, t in per_service.items()))
    reset = [r["ready"] for r in resets]
    print(f"per-worker reset (every service restarted from the worker's snapshot, healthy): median "
          f"{statistics.median(reset):.2f} s, max {max(reset):.2f} s over {len(reset)} (target < 3 s); "
          f"the snapshot, once per worker: {snapshot.seconds:.2f} s")


if __name__ == "__main__":
    main()
