"""The model gateway's cost: added latency per non-streaming call (target: median <= 5 ms over calling
the endpoint directly), 100 concurrent streaming calls with nothing lost, start-up per item (<= 0.3 s).

    .venv/bin/python bench/bench_gateway.py [--calls 50]

The endpoint is the tests' local one (tests/fake_llm.py). "direct" is an HTTP call from the host to
it; "gateway" is the same call from a client in a container on an internal network, through the
relay and litellm on the host.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fake_llm import FakeLLM  # noqa: E402
from pytest_agentbench.gateway.container import start_gateway  # noqa: E402
from pytest_agentbench.gateway.forwarder import Forwarder  # noqa: E402
from pytest_agentbench.gateway.meter import Meter  # noqa: E402
from pytest_agentbench.gateway.recorder import CallRecorder  # noqa: E402
from pytest_agentbench.sandbox.base import SandboxSpec  # noqa: E402
from pytest_agentbench.sandbox.docker import DockerEngine  # noqa: E402
from pytest_agentbench.sandbox.images import ensure_base_image  # noqa: E402

CLIENT = r'''
import json, os, sys, time, threading, urllib.request
base, key = os.environ["OPENAI_BASE_URL"], os.environ["OPENAI_API_KEY"]
def call(stream):
    body = {"model": "openai/gpt-4o", "stream": stream, "messages": [{"role": "user", "content": "hello"}]}
    req = urllib.request.Request(base + "/chat/completions", data=json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.read().decode()
times = []
for _ in range(int(sys.argv[1])):
    t = time.perf_counter(); call(False); times.append(time.perf_counter() - t)
done = []
def streamer():
    if call(True).rstrip().endswith("data: [DONE]"):
        done.append(1)
threads = [threading.Thread(target=streamer) for _ in range(100)]
[t.start() for t in threads]; [t.join() for t in threads]
print(json.dumps({"times": times, "streams_complete": len(done)}))
'''


def direct(url: str, calls: int) -> list[float]:
    body = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]}).encode()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        req = urllib.request.Request(url + "/chat/completions", data=body, headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req).read()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    engine = DockerEngine(f"bench-gateway-{uuid.uuid4().hex[:8]}")
    image = ensure_base_image(engine, os.environ.get("AGENTBENCH_BASE_IMAGE"))
    try:
        with FakeLLM(default="hi there") as llm, tempfile.TemporaryDirectory() as tmp:
            direct_times = direct(llm.url, args.calls)
            net = engine.create_network(f"bench-gw-{uuid.uuid4().hex[:8]}", internal=True)
            fwd = Forwarder("bench", Meter(), CallRecorder(Path(tmp)),
                            litellm_args={"api_base": llm.url, "api_key": "sk-bench"})
            fwd.handle({"method": "POST", "path": "/v1/chat/completions",  # litellm's first-call import cost
                        "body": {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "warm"}]}})
            start = time.perf_counter()
            gateway = start_gateway(engine, image, net, f"bench-gw-{uuid.uuid4().hex[:8]}", fwd)
            startup = time.perf_counter() - start
            agent = engine.start(SandboxSpec(image=image, name=f"bench-agent-{uuid.uuid4().hex[:8]}", network=net,
                                             user="nobody", env=gateway.agent_env))
            result = agent.exec(["python3", "-c", CLIENT, str(args.calls)], timeout=600, record=False)
            out = json.loads(result.output.strip().splitlines()[-1])
        d, g = statistics.median(direct_times) * 1000, statistics.median(out["times"]) * 1000
        print(f"non-streaming, median of {args.calls}: direct {d:.2f} ms, through the gateway {g:.2f} ms, "
              f"added {g - d:.2f} ms (target <= 5)")
        print(f"100 concurrent streaming calls: {out['streams_complete']} complete (target 100)")
        print(f"gateway start-up per item: {startup:.3f} s (target <= 0.3)")
    finally:
        engine.sweep(engine.run_id)


if __name__ == "__main__":
    main()
