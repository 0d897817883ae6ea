"""The gateway's fixtures: the worker's relay container (started on first use, once per worker), and
each item's place on it (its token on its network, its meter, its recording or replay)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from ..collect import SEED_KEY
from ..reporting.results import item_folder
from .container import WorkerGateway
from .item import ItemGateway
from .meter import Budget, Meter
from .provider import LiteLLMProvider
from .recorder import CALLS_FILE, read_calls
from .replay import Replay
from .steps import model_steps


class ItemLLM:
    """An item's use of the gateway: the agent's environment, and its figures once it ends."""

    def __init__(self, gateway: WorkerGateway, item: ItemGateway, network: str):
        self.gateway, self.item, self.network = gateway, item, network
        self.env = gateway.attach(item, network)
        self._summary: dict[str, Any] | None = None

    @property
    def replay_miss(self) -> str | None:
        return getattr(self.item.answerer, "miss", None)

    def model_steps(self) -> list[dict[str, Any]]:
        """The model's turns so far, as trajectory steps (calls are recorded before their answer ends)."""
        path = self.item.recorder.path
        return model_steps(read_calls(path)) if path.is_file() else []

    def follow(self, turn: Callable[[dict[str, Any]], None]) -> None:
        """Call `turn` with each model turn, as a trajectory step, as its call ends (from the gateway's loop)."""
        self.item.recorder.listen(lambda call: turn(model_steps([call])[0]))

    def finish(self) -> dict[str, Any]:
        """Stop serving the item (its token stops working, its network can go); its figures."""
        if self._summary is None:
            self.gateway.detach(self.item, self.network)
            self._summary = {**self.item.meter.summary(), "calls_file": str(self.item.recorder.path),
                             "replay_miss": self.replay_miss}
        return self._summary


def usage_of(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    """The item's usage as results and reports read it (as usage.py's, marked as the gateway's); None
    when the agent made no call through the gateway (then an agent's own usage.json counts)."""
    if not summary or not (summary["calls"] or summary["failed_calls"]):
        return None
    return {"input_tokens": summary["prompt_tokens"], "output_tokens": summary["completion_tokens"],
            "cached_tokens": summary["cached_tokens"], "cost_usd": summary["cost_usd"], "calls": summary["calls"],
            "source": "gateway"}


@pytest.fixture(scope="session")
def llm_gateway(request: pytest.FixtureRequest, agentbench_run) -> WorkerGateway | None:
    """This worker's gateway, or None with --no-llm-gateway."""
    if not agentbench_run.options["llm"]["enabled"]:
        yield None
        return
    engine = request.getfixturevalue("sandbox_engine")
    gateway = WorkerGateway(engine, request.getfixturevalue("base_image"),
                            request.getfixturevalue("container_limits"))
    yield gateway
    gateway.close()


@pytest.fixture
def task_llm(request: pytest.FixtureRequest, agentbench_run, task_context, task_network: str,
             llm_gateway: WorkerGateway | None) -> ItemLLM | None:
    if llm_gateway is None:
        yield None
        return
    settings = agentbench_run.options["llm"]
    if settings["replay"]:
        recorded = item_folder(Path(settings["replay"]), task_context.spec.id, request.node.stash.get(SEED_KEY, None))
        answerer = Replay(recorded / CALLS_FILE, request.node.nodeid)
    else:
        answerer = LiteLLMProvider()
    item = ItemGateway.for_item(request.node.nodeid, task_context.item_dir, answerer,
                                Meter(Budget(**settings["budget"])), settings["models"])
    llm = ItemLLM(llm_gateway, item, task_network)
    yield llm
    llm.finish()
