"""Items start on the first free worker: no worker idles while an item waits.

xdist's load scheduler sends each worker two items or more, and an xdist worker runs an item only once
it holds the next (pytest's runtest protocol takes `nextitem`, to know what to keep set up): an item
queued behind an agent that runs for hours waits for it while other workers sit idle. With an agent
given and xdist's default `--dist load`, the controller gives a worker one item at a time, when it has
none (FirstFreeSlotScheduling), and the worker runs each item as soon as it holds it
(`run_items_as_they_come`). Other `--dist` modes keep xdist's own scheduling.

In a run over several engines (engines.py) a worker takes only items its engine can run (one that
needs a GPU goes to an engine labelled gpu, while the run has one answering), and a worker whose
engine has stopped answering takes none: the others run the rest.

The price: a collector's fixtures (module- or class-scoped, in a user's conftest.py) that the next item
does not share are torn down when that item arrives, not at the end of the one before, and an error
there is reported on the worker's output, not as the earlier item's teardown error.
"""

from __future__ import annotations

import sys
import time

import pytest
from xdist.scheduler import LoadScheduling

from . import engines, private_api
from .run import RUN_KEY


WORKERINPUT_KEY = "agentbench_first_free_slot"  # the controller tells its workers (theirs say --dist no)


def first_free_slot(config: pytest.Config) -> bool:
    """Whether this run (the controller's options) schedules items one at a time: a benchmark run (an
    agent) under `--dist load`, xdist's default with -n."""
    return (config.getoption("dist", "no") == "load" and config.stash[RUN_KEY].agent is not None
            and not config.getoption("looponfail", False))


class FirstFreeSlotScheduling(LoadScheduling):
    """Each worker holds only the item it runs; the next item goes to whichever worker frees first."""

    def schedule(self) -> None:
        assert self.collection_is_completed
        if self.collection is None:
            if not self._check_nodes_have_same_collection():
                self.log("**Different tests collected, aborting run**")
                return
            self.collection = next(iter(self.node2collection.values()))
            self.pending[:] = range(len(self.collection))
            self.gpu_items = engines.gpu_items(self.config.stash[RUN_KEY].run_id)
        for node in self.nodes:
            self.check_schedule(node)

    def check_schedule(self, node, duration: float = 0) -> None:
        # The others too: a worker left idle (no item its engine may run) gets one once it may.
        for each in [node, *(n for n in self.nodes if n is not node)]:
            self._feed(each)

    def _feed(self, node) -> None:
        if node.shutting_down:
            return
        if not self.pending or _engine_of(node).get("address") in self.config.stash.get(engines.GONE_KEY, ()):
            node.shutdown()  # it ends once its item (if any) is done
        elif not self.node2pending[node]:
            runnable = [i for i in self.pending if self._may_run(node, i)]
            if runnable:
                self.pending.remove(runnable[0])
                self.node2pending[node].append(runnable[0])
                node.send_runtest_some([runnable[0]])

    def _may_run(self, node, index: int) -> bool:
        """A GPU item only on a GPU engine, while one answers (else anywhere: it fails saying why)."""
        if self.collection[index] not in getattr(self, "gpu_items", ()) or _engine_of(node).get("labels", {}).get("gpu"):
            return True
        gone = self.config.stash.get(engines.GONE_KEY, ())
        return not any(_engine_of(n).get("labels", {}).get("gpu") and _engine_of(n).get("address") not in gone
                       and not n.shutting_down for n in self.nodes)


def _engine_of(node) -> dict:
    return (node.workerinput.get(engines.ENGINE_KEY) or {}).get("engine") or {}


class AsTheyCome:
    """Registered on xdist workers of such runs: the worker's run loop, without holding the next item."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        worker = private_api.xdist_worker_queue(session.config)
        shutdown = private_api.shutdown_marker(worker)
        previous = None
        index = worker.torun.get()
        while index is not shutdown:
            item = session.items[index]
            if previous is not None:
                try:
                    private_api.teardown_towards(session, item)
                except Exception as e:  # noqa: BLE001 - a user fixture's teardown: said, not fatal
                    print(f"agentbench: tearing down after {previous.nodeid}: {type(e).__name__}: {e}",
                          file=sys.stderr)
            worker.item_index = index  # the worker's reports of this item carry it
            start = time.perf_counter()
            session.config.hook.pytest_runtest_protocol(item=item, nextitem=private_api.KeepAncestors(item))
            worker.sendevent("runtest_protocol_complete", item_index=index, duration=time.perf_counter() - start)
            if session.shouldfail or session.shouldstop:
                break
            previous, index = item, worker.torun.get()
        return True
