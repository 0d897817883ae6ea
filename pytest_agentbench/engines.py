"""The run's container engines (`--engines`, `--engines-file`): which engines, how many items each runs
at once (slots), what they offer (labels such as gpu), and which engine each xdist worker uses.

Without either option the run has one engine, the one DOCKER_HOST (or the default socket) names, as
before. With them, the controller gives each worker one engine, by slots: an engine with 8 slots gets
8 workers at most, so never more than 8 of its items at once. Images are built on the first engine
(the home engine) and shipped to the others (sandbox/images.py).

engines.yaml:

    engines:
      - address: ssh://gpu1            # a DOCKER_HOST URL (unix://, tcp://, ssh://) or a docker context name
        slots: 4
        labels: {gpu: true}
      - address: unix:///var/run/docker.sock
        slots: 2
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest
import yaml

ENGINE_KEY = "agentbench_engine"  # the worker's engine, in xdist's workerinput
GPU_MARKER = "gpu"  # a task whose spec lists this marker runs only on engines labelled gpu: true


@dataclass(frozen=True)
class EngineEntry:
    address: str  # a DOCKER_HOST-style URL, or a docker context's name
    slots: int | None = None  # None: as many workers as fall to it
    labels: dict = field(default_factory=dict)

    @property
    def gpu(self) -> bool:
        return bool(self.labels.get("gpu"))

    def to_dict(self) -> dict:
        return asdict(self)


def add_options(group) -> None:
    group.addoption("--engines", dest="agentbench_engines", metavar="URL,URL,...",
                    help="run items on these Docker engines: DOCKER_HOST-style URLs (unix://, tcp://, ssh://) "
                         "or docker context names, comma-separated; xdist's workers are shared out among them "
                         "(default: DOCKER_HOST or the local socket)")
    group.addoption("--engines-file", dest="agentbench_engines_file", metavar="FILE",
                    help="YAML listing the run's engines, each with address, slots (items at once) and labels "
                         "(gpu: true for engines that run GPU tasks); see docs/scale-out.md")


def from_options(engines: str | None, engines_file: str | None) -> list[EngineEntry]:
    """The engines the options name ([] when neither is given); a bad entry raises UsageError naming it."""
    if engines and engines_file:
        raise pytest.UsageError("--engines and --engines-file exclude each other")
    if engines:
        addresses = [a.strip() for a in engines.split(",")]
        if not all(addresses):
            raise pytest.UsageError(f"--engines {engines!r}: an empty address between commas")
        return [EngineEntry(a) for a in addresses]
    if engines_file:
        return _read_file(Path(engines_file))
    return []


def _read_file(path: Path) -> list[EngineEntry]:
    where = f"--engines-file {path}"
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise pytest.UsageError(f"{where}: {e}") from None
    entries = data.get("engines") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise pytest.UsageError(f"{where}: expected a mapping with a non-empty list `engines:`")
    out = []
    for i, entry in enumerate(entries):
        at = f"{where}: engines[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("address"), str) or not entry["address"]:
            raise pytest.UsageError(f"{at}: expected a mapping with `address:` (a docker URL or context name)")
        unknown = sorted(set(entry) - {"address", "slots", "labels"})
        if unknown:
            raise pytest.UsageError(f"{at}: unknown key(s) {', '.join(unknown)}; expected address, slots, labels")
        slots = entry.get("slots")
        if slots is not None and (not isinstance(slots, int) or isinstance(slots, bool) or slots < 1):
            raise pytest.UsageError(f"{at}: slots: got {slots!r}; expected a whole number, at least 1")
        labels = entry.get("labels") or {}
        if not isinstance(labels, dict):
            raise pytest.UsageError(f"{at}: labels: got {labels!r}; expected a mapping such as {{gpu: true}}")
        out.append(EngineEntry(entry["address"], slots, labels))
    return out


def assign(entries: list[EngineEntry], workers: int) -> list[EngineEntry]:
    """Each worker's engine (index: the worker's number), dealt round-robin so that every engine gets
    workers early, no engine past its slots. More workers than slots in all is a usage error."""
    total = sum(e.slots for e in entries if e.slots) if all(e.slots for e in entries) else None
    if total is not None and workers > total:
        raise pytest.UsageError(f"-n {workers}: the engines have {total} slot(s) in all "
                                f"({', '.join(f'{e.address}: {e.slots}' for e in entries)}); run at most {total} workers")
    given = [0] * len(entries)
    out: list[EngineEntry] = []
    i = 0
    while len(out) < workers:
        engine = entries[i % len(entries)]
        if engine.slots is None or given[i % len(entries)] < engine.slots:
            given[i % len(entries)] += 1
            out.append(engine)
        i += 1
    return out


def worker_number(worker_id: str) -> int:
    """xdist's worker ids are gw0, gw1, ..."""
    return int(worker_id.removeprefix("gw"))


def gpu_items_file(run_id: str) -> Path:
    return Path(tempfile.gettempdir()) / "agentbench-runs" / run_id / "gpu-items.json"


def gpu_items(run_id: str) -> set[str]:
    try:
        return set(json.loads(gpu_items_file(run_id).read_text()))
    except (OSError, ValueError):
        return set()


def needs_gpu(markers, container_config) -> bool:
    return GPU_MARKER in markers or bool(getattr(container_config, "gpus", None))


GONE_ATTR = "agentbench_engine_gone"  # on a report: the engine that stopped answering during it
GONE_KEY = pytest.StashKey[set]()  # the controller's: engines known gone (their workers take no more items)


class EngineHealth:
    """An item that fails while its engine has stopped answering fails naming the engine; the
    controller then gives that engine's workers no more items (scheduling.py), so the rest of the run
    goes on on the other engines. Registered by plugin.py in runs that name their engines."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        config.stash[GONE_KEY] = set()

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        report = yield
        # A checkpoint's assertion (the call phase) is the agent's doing, not the engine's: no ping for it.
        if report.failed and call.excinfo is not None and not call.excinfo.errisinstance(AssertionError):
            from .run import RUN_KEY
            from .sandbox import process_engine

            state = self.config.stash[RUN_KEY]
            engine = process_engine(state.options, state.run_id)
            if not engine.answers():
                error = call.excinfo.exconly().splitlines()[0][:500]
                report.longrepr = (f"the Docker engine {engine.name} stopped answering during this item "
                                   f"({call.when}); its other items fail too, the run goes on on the other engines. "
                                   f"Error: {error}")
                setattr(report, GONE_ATTR, engine.name)
        return report

    @pytest.hookimpl(tryfirst=True)  # before xdist tells the controller that collection is done
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """A worker notes which items need a GPU, for the controller's scheduler (which collects nothing)."""
        from .collect import SPEC_KEY
        from .run import RUN_KEY

        if not hasattr(self.config, "workerinput"):
            return
        state = self.config.stash[RUN_KEY]
        ids = [item.nodeid for item in session.items
               if SPEC_KEY in item.stash and needs_gpu(item.stash[SPEC_KEY].markers, state.container_config)]
        path = gpu_items_file(state.run_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}")
        partial.write_text(json.dumps(ids))
        partial.replace(path)  # every worker collects the same items: any one's list is the list

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        gone = getattr(report, GONE_ATTR, None)
        if gone and not hasattr(self.config, "workerinput"):
            self.config.stash[GONE_KEY].add(gone)
