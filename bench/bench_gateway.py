"""The model gateway's cost: added latency per call, many streams at once, and start-up per item.

    .venv/bin/python bench/bench_gateway.py [--calls 60] [--streams 100]

Against tests/fake_llm.py (the local scripted endpoint) on this machine:
- median latency of a non-streaming chat call, the same stdlib client each time: straight to the
  endpoint from the host; through litellm's SDK alone (no gateway); through the gateway's relay in
  this process (tests/local_gateway.py: HTTP, frames, router, litellm); and from a client in a
  container on an internal item network through the real relay container and `docker exec` stream.
  The gateway's addition is the last minus the first (target: at most 5 ms).
- `--streams` streaming calls at once from one container: how many complete, whole (target: all).
- start-up per item: joining the worker's relay container to the item's network and registering its
  token (`WorkerGateway.attach`), and leaving it (`detach`); the relay container itself starts once
  per worker (target: at most 0.3 s per item).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from fake_llm import FakeLLM  # noqa: E402
from local_gateway import LocalGateway  # noqa: E402
from pytest_agentbench.gateway.container import WorkerGateway  # noqa: E402
from pytest_agentbench.gateway.item import ItemGateway  # noqa: E402
from pytest_agentbench.gateway.meter import Meter  # noqa: E402
from pytest_agentbench.gateway.provider import LiteLLMProvider  # noqa: E402
from pytest_agentbench.sandbox.base import SandboxSpec  # noqa: E402
from pytest_agentbench.sandbox.docker import DockerEngine  # noqa: E402
from pytest_agentbench.sandbox.images import ensure_base_image  # noqa: E402

# The same client everywhere: sequential calls, one latency (ms) each, as JSON; or N streams at once.
CLIENT = r'''
import json, sys, threading, time, urllib.request
base, key, mode, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def call(text, stream=False):
    body = {"model": "openai/fake-model", "messages": [{"role": "user", "content": text}], "stream": stream}
    request = urllib.request.Request(base + "/chat/completions", json.dumps(body).encode(),
                                     {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        return answer.read().decode()
if mode == "latency":
    for _ in range(5):
        call("warm up")
    times = []
    for i in range(count):
        start = time.perf_counter()
        call(f"question {i}")
        times.append((time.perf_counter() - start) * 1000)
    print(json.dumps(times))
else:
    got = {}
    def one(i):
        try:
            text = call(f"stream {i}", stream=True)
            got[i] = "".join(json.loads(l[6:])["choices"][0]["delta"].get("content") or ""
                             for l in text.splitlines() if l.startswith("data: {"))
        except Exception as e:
            got[i] = f"ERROR {e}"
    start = time.perf_counter()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads: t.start()
    for t in threads: t.join()
    whole = sum(got.get(i) == f"answer to stream {i} " * 3 for i in range(count))
    print(json.dumps({"whole": whole, "seconds": time.perf_counter() - start,
                      "errors": sorted({v for v in got.values() if v.startswith("ERROR")})[:3]}))
'''


def median_ms(times: list[float]) -> float:
    return round(statistics.median(times), 2)


def host_client(base: str, key: str, count: int) -> list[float]:
    done = subprocess.run([sys.executable, "-I", "-c", CLIENT, base, key, "latency", str(count)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def litellm_alone(url: str, count: int) -> list[float]:
    import litellm

    async def run() -> list[float]:
        times = []
        for i in range(count + 5):
            start = time.perf_counter()
            await litellm.acompletion(model="openai/fake-model", api_base=url, api_key="k",
                                      messages=[{"role": "user", "content": f"question {i}"}])
            times.append((time.perf_counter() - start) * 1000)
        return times[5:]

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--items", type=int, default=10, help="items attached and detached for the start-up figure")
    args = parser.parse_args()

    llm = FakeLLM(rules=[lambda text: f"answer to {text} " * 3 if text.startswith("stream") else "a short answer"])
    llm.start()
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        direct = host_client(llm.url, "k", args.calls)
        figures["direct_ms"] = median_ms(direct)
        figures["litellm_sdk_alone_ms"] = median_ms(litellm_alone(llm.url, args.calls))

        with LocalGateway() as local:
            item = local.add_item(ItemGateway.for_item("bench", Path(tmp) / "local",
                                                       LiteLLMProvider({"api_base": llm.url, "api_key": "k"}), Meter()))
            figures["relay_in_process_ms"] = median_ms(host_client(local.url, item.token, args.calls))

        engine = DockerEngine(f"bench-gateway-{uuid.uuid4().hex[:8]}")
        try:
            image = ensure_base_image(engine, os.environ.get("AGENTBENCH_BASE_IMAGE") or None)
            start = time.perf_counter()
            gateway = WorkerGateway(engine, image)
            figures["relay_container_start_once_per_worker_s"] = round(time.perf_counter() - start, 3)
            attach, detach = [], []
            for i in range(args.items):
                network = engine.create_network(f"bench-net-{uuid.uuid4().hex[:8]}", internal=True)
                probe = ItemGateway.for_item(f"item{i}", Path(tmp) / f"item{i}", LiteLLMProvider(), Meter())
                start = time.perf_counter()
                gateway.attach(probe, network)
                attach.append(time.perf_counter() - start)
                start = time.perf_counter()
                gateway.detach(probe, network)
                detach.append(time.perf_counter() - start)
                engine.discard_network(network)
            figures["item_attach_median_s"] = round(statistics.median(attach), 3)
            figures["item_detach_median_s"] = round(statistics.median(detach), 3)

            network = engine.create_network(f"bench-net-{uuid.uuid4().hex[:8]}", internal=True)
            item = ItemGateway.for_item("bench", Path(tmp) / "docker",
                                        LiteLLMProvider({"api_base": llm.url, "api_key": "k"}), Meter())
            env = gateway.attach(item, network)
            client = engine.start(SandboxSpec(image=image, name=f"bench-client-{uuid.uuid4().hex[:8]}",
                                              network=network, user="nobody"))
            base, key = env["OPENAI_BASE_URL"], env["OPENAI_API_KEY"]
            run = client.exec(["python3", "-I", "-c", CLIENT, base, key, "latency", str(args.calls)], record=False)
            through = json.loads(run.output.strip().splitlines()[-1])
            figures["through_container_gateway_ms"] = median_ms(through)
            figures["added_by_gateway_ms"] = round(figures["through_container_gateway_ms"] - figures["direct_ms"], 2)
            run = client.exec(["python3", "-I", "-c", CLIENT, base, key, "streams", str(args.streams)], record=False)
            figures["concurrent_streams"] = {"asked": args.streams, **json.loads(run.output.strip().splitlines()[-1])}
            figures["metered_calls"] = item.meter.totals()["calls"]
            gateway.detach(item, network)
            engine.discard(client)
            engine.discard_network(network)
            gateway.close()
        finally:
            engine.drain()
            engine.sweep(engine.run_id)
    llm.stop()
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
