"""Task specs: load a `task.yaml`, validate it, and say clearly what is wrong and where.

Every spec has the generic fields below; `kind` picks the family (`families/`) whose own fields
are validated next. A broken spec raises `SpecError` naming the file, the field and what was expected, so the
collector can fail that one file and keep every other task.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pydantic
import yaml
from pydantic import BaseModel, ByteSize, Field

from .files import StrictModel

try:  # libyaml's loader is ~10x faster; collection of thousands of specs leans on it.
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
SPEC_FILE = "task.yaml"  # a task's spec; a family may claim other files too (Family.claims)


class SpecError(Exception):
    """A task spec that cannot be used: names the file, the field and what was expected."""

    def __init__(self, path: Path, message: str, field: str | None = None, line: int | None = None):
        self.path, self.field, self.line, self.message = Path(path), field, line, message
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: field '{field}': {message}" if field else f"{where}: {message}")


class NotASpec(SpecError):
    """A file named like a spec that is none (another tool's task.yaml: a YAML list, a scalar, empty):
    left alone, never an error."""


class GenericFields(StrictModel):
    """Fields every task has, whatever its kind."""

    kind: str = "task"
    id: str = Field(pattern=ID_PATTERN)
    name: str | None = None
    category: str | None = None
    difficulty: str | None = None
    markers: list[str] = Field(default_factory=list)
    time_limit: int = Field(default=600, gt=0, description="seconds the agent may run")
    max_output_bytes: ByteSize | None = Field(default=None, gt=0, description="cap on the outputs' bytes")
    max_output_files: int | None = Field(default=None, gt=0, description="cap on the outputs' entries")
    grader_time_limit: int = Field(default=600, gt=0, description="seconds a host-side grader may run")
    agent_user: Literal["root", "nonroot"] | None = Field(
        default=None, description="the user the agent runs as; default: its kind's (root for workplace tasks)")


@dataclass(frozen=True)
class TaskSpec:
    """One validated task: generic fields plus its kind's fields (`details`)."""

    path: Path  # the spec file
    id: str
    kind: str
    name: str
    category: str | None
    difficulty: str | None
    markers: tuple[str, ...]
    time_limit: int
    details: Any  # the kind's pydantic model
    grader_time_limit: int = 600
    max_output_bytes: int | None = None  # None: the run's cap (--max-output-bytes or the default)
    max_output_files: int | None = None
    agent_user: str | None = None  # None: the family's (Family.agent_user)
    services: Any = None  # the compose.yaml beside the spec (services.compose.Stack), whatever the kind

    @property
    def folder(self) -> Path:
        return self.path.parent

    def marker_names(self) -> list[str]:
        """Markers for `-m`: the declared ones, plus kind, category and difficulty, each under the name
        the reports show (`tabular-classification`) and as a Python name (`tabular_classification`)."""
        names = []
        for value in (*self.markers, self.kind, self.category, self.difficulty):
            if value:
                names += [_shown_name(value), _marker_name(value)]
        return list(dict.fromkeys(names))


def _shown_name(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "-", value)  # what -m's grammar takes as one name


def _marker_name(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", value)


DIFFICULTIES = ("easy", "medium", "hard")
# MLE-bench's complexity words, as its competitions' configs give them: one vocabulary across families.
DIFFICULTY_ALIASES = {"low": "easy", "high": "hard"}


def _difficulty(path: Path, value: str | None, text: str) -> str | None:
    if value is None:
        return None
    word = DIFFICULTY_ALIASES.get(value.strip().lower(), value.strip().lower())
    if word not in DIFFICULTIES:
        raise SpecError(path, f"expected one of {list(DIFFICULTIES)} (or MLE-bench's low, high), got {value!r}",
                        field="difficulty", line=_line_of(text, "difficulty"))
    return word


def load_spec(path: Path, text: str | None = None) -> TaskSpec:
    """Read and validate one spec file, or raise SpecError."""
    path = Path(path)
    try:
        if text is None:
            text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as e:
        raise yaml_error(path, e) from None
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError(path, f"cannot be read: {e}") from None
    if not isinstance(data, dict):
        raise NotASpec(path, f"expected a mapping of fields at the top level, got {type(data).__name__}")
    return spec_from_mapping(path, data, text)


def load_claimed_spec(path: Path) -> TaskSpec:
    """A spec file in a family's own format (not a task.yaml), read by the family that claims it."""
    from .families import registered

    path = Path(path)
    for family in registered().values():
        if family.claims(path):
            return spec_from_mapping(path, family.spec_mapping(path))
    raise SpecError(path, f"no task family claims this file; a task's spec is a {SPEC_FILE}")


def yaml_error(path: Path, error: yaml.YAMLError) -> SpecError:
    """A YAML file that does not parse, with the line where the parser gave up."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    return SpecError(path, f"not valid YAML: {problem}", line=mark.line + 1 if mark else None)


def spec_from_mapping(path: Path, data: Any, text: str = "") -> TaskSpec:
    if not isinstance(data, dict):
        raise SpecError(path, f"expected a mapping of fields at the top level, got {type(data).__name__}")
    generic_keys = set(GenericFields.model_fields)
    generic = _validate(path, GenericFields, {k: v for k, v in data.items() if k in generic_keys}, text)
    from .families import registered  # here, not at import: the families import this module

    family = registered().get(generic.kind)
    if family is None:
        raise SpecError(path, f"unknown kind {generic.kind!r}; expected one of {sorted(registered())}", field="kind",
                        line=_line_of(text, "kind"))
    # The family's model gets the keys no generic field takes, and the generic ones it declares too (a
    # competition's config has its id and name): this is the one place a task.yaml is validated.
    own = set(family.fields.model_fields)
    details = _validate(path, family.fields, {k: v for k, v in data.items() if k not in generic_keys or k in own},
                        text)
    family.check_folder(path)
    from .services.compose import COMPOSE_FILE, load_stack  # here: it imports this module

    compose = path.parent / COMPOSE_FILE
    return TaskSpec(path=path, id=generic.id, kind=generic.kind, name=generic.name or generic.id,
                    category=generic.category, difficulty=_difficulty(path, generic.difficulty, text),
                    markers=tuple(generic.markers),
                    time_limit=generic.time_limit, details=details,
                    max_output_bytes=generic.max_output_bytes, max_output_files=generic.max_output_files,
                    grader_time_limit=generic.grader_time_limit, agent_user=generic.agent_user,
                    services=load_stack(compose) if compose.is_file() else None)


def _validate(path: Path, model: type[BaseModel], data: dict, text: str) -> Any:
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            allowed = sorted(set(GenericFields.model_fields) | set(model.model_fields))
            message = f"unknown key; expected one of {allowed}"
        elif err["type"] == "missing":
            message = "missing; this field is required"
        else:
            message = f"{err['msg'][0].lower()}{err['msg'][1:]}"
            if repr(err.get("input")) not in message:  # a validator's own message may already say it
                message += f", got {err.get('input')!r}"
        more = len(e.errors()) - 1
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise SpecError(path, message, field=loc, line=_line_of(text, str(err["loc"][0]) if err["loc"] else "")) from None


def _line_of(text: str, key: str) -> int | None:
    """The line of a top-level key, for error messages (cheap scan, no second parse)."""
    if not key:
        return None
    for i, line in enumerate(text.splitlines(), 1):
        if line.startswith(f"{key}:"):
            return i
    return None


def load_split(path: Path) -> set[str]:
    """Task ids of a competition-set file: one id a line, '#' comments and blank lines ignored."""
    ids = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            ids.add(line)
    return ids

