"""The workplace grader image: the Python TheAgentCompany's evaluators are written for (3.12 or newer) and
the packages they import (tac/requirements.txt, tac/requirements-no-deps.txt, Debian's python3-odf),
built as a run builds it."""

from __future__ import annotations

import json
import uuid

import pytest

from pytest_agentbench.families.base import CopyIn, suite_base_image
from pytest_agentbench.families.workplace.family import GRADER_SUITE, grader_context, grader_modules
from pytest_agentbench.sandbox.base import SandboxSpec
from pytest_agentbench.sandbox.docker import DockerEngine
from pytest_agentbench.sandbox.images import ImageRecipe, ensure_image

# The modules TAC's 175 evaluators import (scripts/tac_evaluators_load.py counts the evaluators that
# load); torch is left out on purpose (docs/workplace-tasks.md).
MODULES = ["requests", "rocketchat_API.rocketchat", "pandas", "openpyxl", "numpy", "pptx", "docx", "PyPDF2",
           "PIL.Image", "fitz", "pdf2image", "sklearn.linear_model", "bs4", "astor", "yaml", "packaging.version",
           "gremlin_python.driver.driver_remote_connection", "odf.opendocument", "sotopia.database", "litellm"]

# Written for TAC's Python 3.12: a quote of the f-string's own kind inside its braces (PEP 701), as two
# of TAC's evaluators write them; and a RocketChat client made at import, as 79 do.
EVALUATOR = '''
from common import *
from scoring import Checkpoint, Result

rocket = create_rocketchat_client()

def grade_checkpoints(trajectory=""):
    names = ["a", "b"]
    return Result([Checkpoint(1, int(f"{", ".join(names)}" == "a, b"))])
'''


@pytest.fixture(scope="module")
def grader(docker_client, tmp_path_factory):
    run_id = f"test-grader-image-{uuid.uuid4().hex[:8]}"
    engine = DockerEngine(run_id)
    image = ensure_image(engine, ImageRecipe("grader", grader_context(),
                                             {"BASE_IMAGE": suite_base_image(engine, {}, GRADER_SUITE)}))
    evaluator = tmp_path_factory.mktemp("evaluator") / "evaluator.py"
    evaluator.write_text(EVALUATOR)
    box = engine.start(SandboxSpec(image=image, name=run_id),
                       files=[f.as_tuple() for f in [*grader_modules(), CopyIn(evaluator, "/grader/evaluator.py")]])
    yield box
    engine.discard(box)
    engine.sweep(run_id)


def test_the_grader_has_python_3_12_or_newer_and_every_package_tacs_evaluators_import(grader):
    script = ("import importlib, sys\n"
              "assert sys.version_info >= (3, 12), sys.version\n"
              f"for name in {MODULES!r}:\n"
              "    importlib.import_module(name)\n"
              "print('imported', len(sys.modules))\n")
    done = grader.exec(["python3", "-c", script], record=False, timeout=300)
    assert done.exit_code == 0, done.output[-3000:]


def test_an_evaluator_written_for_python_3_12_grades_in_it(grader):
    done = grader.exec(["python3", "/grader/tac/runner.py", "--evaluator", "/grader/evaluator.py",
                        "--result-path", "/tmp/result.json"], record=False, timeout=300)
    assert done.exit_code == 0, done.output[-3000:]
    result = json.loads(grader.exec(["cat", "/tmp/result.json"], record=False).output)
    assert result["final_score"] == {"total": 1, "result": 1}
