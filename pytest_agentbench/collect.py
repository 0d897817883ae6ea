"""Collection: each `task.yaml` is a file collector yielding one item per task (and per seed).

Items are real `pytest.Function`s whose test function is `item.run_task`, so fixtures, -k, -m and
xdist work as for any test. A broken spec fails the collection of its own file and nothing else.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import Any

import pytest

from . import families
from .item import run_task
from .private_api import fixture_info, let_collection_errors_pass
from .reporting.results import GROUP_MARK
from .run import stop_run
from .spec import SPEC_FILE, NotASpec, SpecError, TaskSpec, load_claimed_spec, load_spec, load_split

SPEC_KEY = pytest.StashKey[TaskSpec]()
SEED_KEY = pytest.StashKey["int | None"]()
SPLIT_KEY = pytest.StashKey[set[str]]()  # the task ids --split keeps
RESULT_KEY = pytest.StashKey[dict[str, Any]]()
_MARKERS_KEY = pytest.StashKey[set[str]]()
_IDS_KEY = pytest.StashKey[dict[str, Path]]()  # task id -> the spec that claimed it first
_ROOTS_KEY = pytest.StashKey[tuple[str, ...]]()
_FAMILY_PATHS_KEY = pytest.StashKey[tuple[str, ...]]()
INVALID_SPEC = "invalid task spec: "
_FIXTUREINFO: "weakref.WeakKeyDictionary[pytest.Session, dict]" = weakref.WeakKeyDictionary()


class TaskFile(pytest.File):
    def collect(self):
        try:
            spec = load_spec(self.path) if self.path.name == SPEC_FILE else load_claimed_spec(self.path)
        except NotASpec:
            return  # another tool's task.yaml (an Ansible task list): not ours to judge
        self._claim_id(spec.id)
        seeds = self.config.getoption("agentbench_seeds") or 1
        self._register_markers(spec.marker_names())
        fixtureinfo_key = self._conftest_dirs()
        shared = _FIXTUREINFO.get(self.session, {})
        for seed in range(seeds) if seeds > 1 else [None]:
            name = spec.id if seed is None else f"{spec.id}[seed{seed}]"
            item = TaskItem.from_parent(self, name=name, callobj=run_task,
                                        fixtureinfo=shared.get(fixtureinfo_key))
            # Every item under the same conftest files resolves the same fixtures: work that out once,
            # not once per task (it was most of the time of collecting thousands of specs).
            shared.setdefault(fixtureinfo_key, fixture_info(item))
            _FIXTUREINFO[self.session] = shared
            item.stash[SPEC_KEY] = spec
            item.stash[SEED_KEY] = seed
            item.stash[RESULT_KEY] = {}
            item.add_marker("agentbench")
            for marker in spec.marker_names():
                item.add_marker(marker)
            yield item

    def _claim_id(self, task_id: str) -> None:
        # The id names the item's folder in the run group: two specs with one id would write their
        # results over each other. The first in collection order (sorted, so every xdist worker
        # agrees) keeps it.
        first = self.session.stash.setdefault(_IDS_KEY, {}).setdefault(task_id, self.path)
        if first != self.path:
            raise SpecError(self.path, f"task id {task_id!r} is also the id of {first.parent}/; "
                                       "ids name the run's folders and must be unique", field="id")

    def _conftest_dirs(self) -> tuple[str, ...]:
        """The folders from this spec's up to the rootdir that hold a conftest.py: what decides which
        fixtures (and overrides) the spec's items see. Plain strings: pathlib is slow at this volume."""
        root, folder, found = str(self.config.rootpath), os.path.dirname(self.path), []
        while folder.startswith(root):
            if os.path.isfile(os.path.join(folder, "conftest.py")):
                found.append(folder)
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
        return tuple(found)

    def repr_failure(self, excinfo, style=None):
        if excinfo.errisinstance(SpecError):
            return f"{INVALID_SPEC}{excinfo.value}"
        return super().repr_failure(excinfo, style)

    def _register_markers(self, names: list[str]) -> None:
        # Markers come from the specs, so --strict-markers must learn them as they are found.
        register_markers(self.config, names)


class TaskItem(pytest.Function):
    """A task run as a test function (so it gets fixtures), reported as the task, not as item.py's code."""

    def reportinfo(self):
        return self.path, 0, self.name  # the spec file; pytest needs a line number for skips

    def repr_failure(self, excinfo):
        from .sandbox.base import BuildError, EngineUnavailable

        if excinfo.errisinstance((BuildError, EngineUnavailable)):  # the cause is in its text, not our code
            return f"{excinfo.typename}: {excinfo.value}"
        # A checkpoint's own message says what went wrong; a traceback into item.py would not.
        if excinfo.errisinstance((AssertionError, pytest.fail.Exception)) and excinfo.traceback[-1].path == _ITEM_BODY:
            return str(excinfo.value).split("\nassert ")[0]
        return super().repr_failure(excinfo)


_ITEM_BODY = Path(run_task.__code__.co_filename)


def is_spec_file(path: Path) -> bool:
    """A task.yaml, or a spec file in a family's own format (a TheAgentCompany folder's task.md...)."""
    return path.name == SPEC_FILE or any(family.claims(path) for family in families.registered().values())


def pointed_at(config: pytest.Config, path: Path) -> bool:
    """Whether `path` lies where the user pointed agentbench: the `agentbench_paths` ini setting, the
    paths given on the command line or in `testpaths`, or the invocation folder of a run that names an
    agent. Elsewhere a project's files are left to pytest: installing the plugin must not turn an
    unrelated project's deploy/task.yaml into a collection error."""
    roots = config.stash.get(_ROOTS_KEY, None)
    if roots is None:
        roots = config.stash[_ROOTS_KEY] = tuple(_spec_roots(config))
    where = str(path)
    return any(where == root or where.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def _spec_roots(config: pytest.Config):
    yield from (str(p) for p in config.getini("agentbench_paths"))
    yield from config.stash.get(_FAMILY_PATHS_KEY, ())
    source = config.args_source
    opt = config.getoption
    pointed = source != pytest.Config.ArgsSource.INVOCATION_DIR or any(
        opt(name) for name in ("agentbench_agent", "agentbench_resume", "agentbench_regrade"))
    if pointed:
        for arg in config.args:
            yield str((config.invocation_params.dir / arg.split("::", 1)[0]).resolve())


def task_spec_in(folder: Path) -> Path | None:
    """The spec of a task folder (its task.yaml, else a file a family claims), else None."""
    spec = folder / SPEC_FILE
    if spec.is_file():
        return spec
    for family in families.registered().values():
        found = family.spec_in(folder)
        if found is not None:
            return found
    return None


class TaskFolder(pytest.Directory):
    """A task's folder. It holds data, workspaces and graders, not tests of this suite (a workspace's
    test_*.py belongs to the agent's task), so only its spec is collected; and pytest need not list
    and ask about every file in it, which keeps collecting thousands of tasks fast."""

    def collect(self):
        spec = task_spec_in(self.path)
        if spec is not None:
            yield TaskFile.from_parent(self, path=spec)


def add_family_paths(config: pytest.Config) -> None:
    """Folders the families' options add (MLE-bench's registry for --mlebench-data) join the paths the
    session collects; when the command line named no paths, they are the only ones. Every xdist worker
    configures the same way, so all collect the same items."""
    paths = tuple(str(p) for family in families.registered().values() for p in family.collect_paths(config))
    if not paths:
        return
    config.stash[_FAMILY_PATHS_KEY] = paths
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        config.args.extend(paths)
    else:
        config.args[:] = list(paths)


def register_markers(config: pytest.Config, names: list[str]) -> None:
    known = config.stash.setdefault(_MARKERS_KEY, set())
    for name in names:
        if name not in known:
            known.add(name)
            config.addinivalue_line("markers", f"{name}: task specs' kind, category, difficulty or markers")


def register_spec_markers(config: pytest.Config) -> None:
    """For `pytest --markers`, which collects nothing: the markers of the specs where agentbench is
    pointed (the paths given, agentbench_paths), read from the specs themselves."""
    for root in sorted(set(_spec_roots(config))):
        for folder, dirs, _ in os.walk(root):
            dirs[:] = sorted(d for d in dirs if GROUP_MARK not in d and not d.startswith("."))
            spec_path = task_spec_in(Path(folder))
            if spec_path is None:
                continue
            dirs.clear()  # a task's folder holds its data, not more tasks
            try:
                spec = load_spec(spec_path) if spec_path.name == SPEC_FILE else load_claimed_spec(spec_path)
            except SpecError:
                continue  # collection says what is wrong with it
            register_markers(config, spec.marker_names())


def read_split(config: pytest.Config) -> None:
    """--split's ids, read at configure, on the controller too: a missing file stops the run before
    anything is written."""
    split = config.getoption("agentbench_split")
    if split:
        try:
            config.stash[SPLIT_KEY] = load_split(Path(split))
        except (OSError, UnicodeDecodeError) as e:
            raise pytest.UsageError(f"--split {split}: cannot be read: {e}") from None


# --- hooks (this module is registered as a plugin by plugin.py) ---------------------------------------

def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if is_spec_file(file_path) and pointed_at(parent.config, file_path):
        return TaskFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    # A run group holds what agents wrote (their code, a conftest.py even): collecting it would run
    # the agent's code on the host, so `pytest .` never looks inside one. Everything else is pytest's
    # to decide (--ignore, collect_ignore, norecursedirs), task folders included.
    if GROUP_MARK in collection_path.name and collection_path.is_dir():
        return True
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path: Path, parent: pytest.Collector):
    if pointed_at(parent.config, path) and task_spec_in(path) is not None:
        return TaskFolder.from_parent(parent, path=path)
    return None


class SpecErrorsDoNotStopTheRun:
    """A broken spec fails its own file's collection; unlike a broken test module, it must not stop
    every other task from running. Any other collection error keeps pytest's usual behaviour."""

    def __init__(self) -> None:
        self.spec_errors = 0

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed and str(report.longrepr).startswith(INVALID_SPEC):
            self.spec_errors += 1

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        if session.testsfailed and session.testsfailed == self.spec_errors:
            let_collection_errors_pass(session)


@pytest.hookimpl(tryfirst=True)  # before -k and -m deselect: an id they leave out is not unknown
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = config.stash.get(SPLIT_KEY, None)
    if wanted is None:
        return
    split = config.getoption("agentbench_split")
    unknown = wanted - {spec.id for item in items if (spec := item.stash.get(SPEC_KEY, None))}
    if unknown:  # most likely a typo: running fewer tasks than the split names, silently, is worse
        message = f"--split {split}: no collected task has the id(s) {', '.join(sorted(unknown))}"
        config.hook.pytest_deselected(items=list(items))
        items.clear()  # nothing runs, and no run group is written for it
        if not hasattr(config, "workerinput"):
            raise pytest.UsageError(message)
        # A worker cannot end the run with a usage error (xdist reports an internal error): it asks
        # the controller to stop with the message and the usage error's exit code.
        stop_run(session, message, pytest.ExitCode.USAGE_ERROR)
        return
    keep, drop = [], []
    for item in items:
        spec = item.stash.get(SPEC_KEY, None)
        (keep if spec is None or spec.id in wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
