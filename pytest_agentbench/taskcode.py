"""A task's own Python code (graders, preparers), imported by path from the task folder on the host:
never from the agent's files, and never left in sys.modules to clash with another task's `grade.py`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any, Callable


def load_function(folder: Path, ref: str) -> Callable[..., Any]:
    """The function `ref` ("file.py:name") of a task folder, imported by path under a private name."""
    file, _, name = ref.partition(":")
    path = (Path(folder) / file).resolve()
    module_name = f"_agentbench_{Path(folder).name}_{path.stem}".replace("-", "_").replace(".", "_")
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look the module up while it runs
    try:
        spec.loader.exec_module(module)
    except ModuleNotFoundError as e:
        # The bundled tasks' data sources and metrics are an extra, not the plugin's own dependencies.
        raise ModuleNotFoundError(
            f"{path} needs the Python module {e.name!r}, which is not installed: the bundled tasks' packages come "
            f"with `pip install 'pytest-agentbench[bundled]'`; for another task, install the package that provides "
            f"{e.name!r}", name=e.name) from e
    finally:
        sys.modules.pop(module_name, None)
    function = getattr(module, name, None)
    if not callable(function):
        raise ImportError(f"{path} defines no function {name!r}")
    return function
