"""How a TAC folder's Dockerfile is read and rewritten (families/workplace/task_image.py): its pip installs
found as TAC writes them, TAC's base's ONBUILD steps after its FROM, the wheelhouse in place for the pip
steps and gone at the end."""

from __future__ import annotations

import pytest

from pytest_agentbench.families.workplace.task_image import (WHEELS_IN_BUILD, is_tac_dockerfile, pip_installs,
                                                             tac_dockerfile)
from pytest_agentbench.sandbox.base import BuildError


def test_tac_dockerfiles_are_those_from_tac_s_task_base_image(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    for line, tac in [("FROM ghcr.io/theagentcompany/task-base-image:1.0.0", True),
                      ("FROM ghcr.io/li-boxuan/task-base-image:1.0.0", True),
                      ("# comment\nFROM --platform=linux/amd64 registry.local/task-base-image", True),
                      ("FROM agentbench-base", False), ("FROM python:3.12", False)]:
        dockerfile.write_text(line + "\nRUN true\n")
        assert is_tac_dockerfile(dockerfile) is tac, line


def test_pip_installs_are_read_as_tac_writes_them(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM ghcr.io/theagentcompany/task-base-image:1.0.0\n"
                          "RUN pip install pandas==2.2.3\n"
                          "RUN apt-get update && \\\n    pip3 install --no-cache-dir openpyxl==3.1.5 'numpy<3' && true\n"
                          "RUN python3 -m pip install -q --index-url https://example.org/simple six\n"
                          "RUN echo pip install nothing && pip --version\n"
                          "RUN pip install poetry")  # no newline at the end, as many of TAC's
    assert pip_installs(dockerfile) == [["pandas==2.2.3"], ["openpyxl==3.1.5", "numpy<3"], ["six"], ["poetry"]]

    dockerfile.write_text("FROM x/task-base-image:1\nRUN pip install -r /tmp/requirements.txt\n")
    with pytest.raises(BuildError, match=r"Dockerfile: `pip install -r /tmp/requirements.txt`: -r cannot be served"):
        pip_installs(dockerfile)


def test_the_onbuild_steps_follow_the_from_and_the_wheelhouse_leaves_with_the_build(tmp_path):
    folder = tmp_path / "task"
    folder.mkdir()
    for name in ("task.md", "evaluator.py", "helper.py", "dependencies.yml", "scenarios.json"):
        (folder / name).write_text("x\n")
    (folder / "Dockerfile").write_text("ARG VERSION=1\nFROM ghcr.io/theagentcompany/task-base-image:1.0.0\n"
                                       "COPY scenarios.json /npc\nRUN pip install pandas==2.2.3")
    text = tac_dockerfile(folder / "Dockerfile", folder, served=True).splitlines()
    assert text[:4] == ["ARG AGENTBENCH_TASK_BASE", "ARG VERSION=1", "FROM ${AGENTBENCH_TASK_BASE}",
                        "# TheAgentCompany's task base image's ONBUILD steps"]
    assert text[4:7] == ["COPY *.py /utils/", "COPY dependencies.yml /utils/", "COPY task.md /instruction/"]
    assert text[7] == f"COPY wheelhouse {WHEELS_IN_BUILD}" and "no-index" in text[8]
    assert text[9:] == ["COPY scenarios.json /npc", "RUN pip install pandas==2.2.3",
                        f"RUN rm -rf {WHEELS_IN_BUILD} /etc/pip.conf"]

    # A folder without a module beside task.md or a dependencies.yml still builds (ONBUILD's COPY would fail).
    (folder / "helper.py").unlink()
    (folder / "evaluator.py").unlink()
    (folder / "dependencies.yml").unlink()
    text = tac_dockerfile(folder / "Dockerfile", folder, served=False)
    assert "COPY *.py" not in text and "dependencies.yml" not in text and "wheelhouse" not in text
    assert "COPY task.md /instruction/" in text
