"""The bundled competitions' data sources are the `bundled` extra, not the plugin's dependencies: a task
whose code needs a package that is not installed says which, and how to get the bundled ones."""

import shutil
from pathlib import Path

import pytest

from support import TASK_SPECS
from pytest_agentbench.families.competition.competition import CompetitionError, prepare_competition

EXTRA = "pip install 'pytest-agentbench[bundled]'"


@pytest.fixture
def competition(tmp_path):
    """A private copy of a small bundled competition, to edit freely."""
    return Path(shutil.copytree(TASK_SPECS / "mle" / "iris-species", tmp_path / "comps" / "iris-species"))


def test_a_competition_whose_raw_data_package_is_missing_fails_preparation_naming_it_and_the_extra(competition,
                                                                                                   tmp_path):
    raw = competition / "raw.py"
    raw.write_text("import agentbench_no_such_data_source\n\ndef make_raw(raw):\n    pass\n")
    with pytest.raises(CompetitionError) as failed:
        prepare_competition(competition, tmp_path / "data")
    message = str(failed.value)
    assert message.startswith(f"{raw} (raw raw.py:make_raw) failed: ModuleNotFoundError: ")
    assert "needs the Python module 'agentbench_no_such_data_source', which is not installed" in message
    assert EXTRA in message
    assert not (tmp_path / "data" / "iris-species" / "prepared").exists()  # nothing half-prepared is left
