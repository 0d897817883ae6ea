"""What an item's services held after the agent stopped, for evaluators: `from services import ...`.

The harness runs each service's x-agentbench `collect` commands once the agent has stopped (on the
item's network, before the stack goes), and saves their output in the item's folder, `services/
<service>/<file>`; grading (and --regrade) finds it here. The bundled service images print JSON:
`git-export REPO`, `pg-export DB SQL`, `chat-export`; a file share's file is collected as it is.
Coworkers' conversations (services/coworkers.json) are read with coworker_messages().
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent / "services"  # /grader/services


def service_file(service: str, name: str) -> bytes | None:
    """What the collect command `name` of `service` printed; None if it did not run or failed."""
    path = ROOT / service / name
    err = ROOT / service / f"{name}.err"
    if not path.is_file():
        return None
    if err.is_file() and err.stat().st_size and not path.stat().st_size:
        return None
    return path.read_bytes()


def service_json(service: str, name: str) -> Any:
    data = service_file(service, name)
    return None if data is None else service_json_at(ROOT / service / name)


def git_commits(service: str = "git", name: str = "repo.json") -> list[dict]:
    """Every commit of the repository (git-export): sha, author, email, subject, parents; newest first."""
    return (service_json(service, name) or {}).get("commits", [])


def git_file(path: str, service: str = "git", name: str = "repo.json") -> str | None:
    """A text file of the repository's main branch as pushed."""
    return (service_json(service, name) or {}).get("files", {}).get(path)


def shared_file(name: str, service: str = "files") -> str | None:
    """A file of the share (collected as it is), as text."""
    data = service_file(service, name)
    return None if data is None else data.decode("utf-8", "replace")


def rows(name: str, service: str = "db") -> list[dict]:
    """The rows a pg-export query returned."""
    return service_json(service, name) or []


def chat_messages(service: str = "chat", name: str = "messages.json", sender: str | None = None,
                  to: str | None = None) -> list[dict]:
    """Chat messages (chat-export: from, to, body, when), those from `sender` / to `to` (local part or
    address) only when given."""
    def who(address: str) -> str:
        return address.split("@")[0]

    return [m for m in service_json(service, name) or []
            if (sender is None or who(m["from"]) == who(sender)) and (to is None or who(m["to"]) == who(to))]



def _conversations(coworker: str, file: str = "coworkers.json") -> list[dict]:
    data = service_json_at(ROOT / file) or {}
    return [c for c in data.get("conversations", []) if coworker in (c.get("name"), c.get("coworker"))]


def coworker_messages(coworker: str) -> list[dict]:
    """Every message between the agent and one coworker (by full name, "Li Ming", or chat login,
    li_ming), oldest first: {from, to, body, when}. The harness saves the coworkers' conversations when
    the agent stops (services/coworkers.json); empty when they never talked."""
    return [m for c in _conversations(coworker) for m in c.get("messages", [])]


def messages_to_coworker(coworker: str) -> list[dict]:
    """What the agent wrote to that coworker (what the coworker answered left out)."""
    return [m for c in _conversations(coworker) for m in c.get("messages", []) if m.get("from") == c.get("with")]


def service_json_at(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
