"""--resume and --regrade: which specs a run group collected, the agent of a group being regraded, and
items already finished (skipped) or graded again from their saved run. Registered by plugin.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from .agents import Agent, AgentConfig, AgentError, get_agent
from .collect import RESULT_KEY, SEED_KEY, SPEC_KEY
from .reporting import results
from .reporting import run_group as report_files
from .run import RUN_KEY


def tasks_of(group: Path, mode: str) -> list[str]:
    """The spec files a run group collected: without paths, `pytest --resume/--regrade GROUP` runs these,
    not whatever pytest would fall back to (the project's testpaths, the current folder)."""
    specs = sorted({info["spec"] for info in report_files.read_collected(group).values() if info.get("spec")})
    if not specs:
        raise pytest.UsageError(f"--{mode} {group}: the group records no task specs (collected.json); "
                                f"give the task folders too, e.g. pytest task_specs --{mode} GROUP")
    missing = [spec for spec in specs if not Path(spec).is_file()]
    if missing:
        raise pytest.UsageError(f"--{mode} {group}: the group's task specs are not at hand: "
                                f"{', '.join(missing[:5])}; give the task folders on the command line")
    return specs


def regraded_agent(agents_dir: Path, agent_id: str, mode: str, group: Path | None) -> Agent:
    """The agent by id; regrading runs no agent, so a run group can be regraded where its agent's
    definition is not at hand."""
    try:
        return get_agent(agents_dir, agent_id)
    except AgentError:
        if mode != "regrade":
            raise
        return Agent(agent_id, group, AgentConfig())


@pytest.hookimpl(trylast=True)  # after -k, -m and --split have had their say
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """--resume finishes the items the group's run selected (its -k, -m, --split), not every task of
    the spec files it collected. A -k, -m or --split given with --resume selects among those."""
    state = config.stash[RUN_KEY]
    if state.mode != "resume":
        return
    selected = {(info.get("task_id"), info.get("seed")) for info in report_files.read_collected(state.group).values()}
    if not selected:
        return  # cut before collection was recorded: every item of its specs
    keep, drop = [], []
    for item in items:
        spec = item.stash.get(SPEC_KEY, None)
        chosen = spec is None or (spec.id, item.stash.get(SEED_KEY, None)) in selected
        (keep if chosen else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """--resume skips items already finished; --regrade takes each item's saved result to grade again."""
    state = item.config.stash[RUN_KEY]
    spec = item.stash.get(SPEC_KEY, None)
    if spec is not None and item.session.shouldstop:  # xdist workers run one more item before they stop
        pytest.skip(f"not started: the run is stopping ({item.session.shouldstop})")
    if spec is None or state.mode == "run":
        return
    saved_path = results.item_folder(state.group, spec.id, item.stash.get(SEED_KEY, None)) / results.RESULT_FILE
    saved = results.read_result(saved_path)
    if state.mode == "resume":
        if saved and results.is_final(saved):
            item.stash[RESULT_KEY]["resumed"] = True
            pytest.skip(f"finished in an earlier run of {state.group.name}: {saved['outcome']}")
    elif not saved or not saved.get("agent_run"):
        pytest.skip(f"nothing to regrade: no saved agent run at {saved_path}")
    else:
        item.stash[RESULT_KEY].update(agent_run=saved["agent_run"], folder=saved["folder"],
                                      regraded_from=saved.get("grade"), outputs=saved.get("outputs"))
