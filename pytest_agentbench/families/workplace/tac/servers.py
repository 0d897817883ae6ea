"""TheAgentCompany's service helpers: RocketChat, GitLab, ownCloud (WebDAV) and Plane, as its ``common`` has them.

Same names, signatures and results as TAC's: a helper that cannot get what it asked for logs why
and returns TAC's "nothing" (``None``, ``[]``, ``False``), so evaluators written for TAC read our
answers unchanged. Two things differ, both on purpose:

* A server is only asked when ``SERVER_HOSTNAME`` is set (config.py). Otherwise a helper raises
  ``ServiceNotConfigured``, naming the service and the settings, where TAC would wait on
  the-agent-company.com and return "nothing", a zero that looks like the agent's. Inside a
  checkpoint function (``common.grader``) that fails the checkpoint with the message as its reason.
* ``create_rocketchat_client`` logs in on the client's first use, not at creation: 79 of TAC's
  evaluators create it when their module is imported, and an import must not need the server.

ownCloud links are fetched with requests, never handed to a shell (TAC's curl command line would run
what an agent writes into a link).

Needs requests (and rocketchat_API for RocketChat), which the grader image has; importing this
module needs neither.
"""

from __future__ import annotations

import logging
import os
import re
import urllib.parse
from typing import Any
from xml.etree import ElementTree

try:  # imported as pytest_agentbench.families.workplace.tac.servers on the host ...
    from . import config
except ImportError:  # ... and as the top-level module `servers` in the grader container
    import config

logger = logging.getLogger("tac")

TIMEOUT = 60  # seconds for one request: a hung server costs a checkpoint, not the grading time limit
PORT_SETTINGS = {"RocketChat": "ROCKETCHAT_PORT", "GitLab": "GITLAB_PORT", "ownCloud": "OWNCLOUD_PORT",
                 "Plane": "PLANE_PORT"}


class ServiceNotConfigured(RuntimeError):
    """A helper needs one of TAC's servers, and the environment does not say where they are."""

    def __init__(self, service: str):
        self.service = service
        super().__init__(
            f"{service} is not configured: SERVER_HOSTNAME is not set. Set SERVER_HOSTNAME to the host of "
            f"TheAgentCompany's servers (and {PORT_SETTINGS[service]} if {service} is not on TAC's default port) "
            f"for evaluators that ask {service}.")


def require(service: str) -> None:
    """Raise ServiceNotConfigured unless the servers' host is set."""
    if not config.SERVER_HOSTNAME_SET:
        raise ServiceNotConfigured(service)


def server_environment(environ: dict[str, str]) -> dict[str, str]:
    """The settings of ``environ`` that say where TAC's servers are (config.SERVER_SETTINGS), for an
    evaluator's environment; with SERVER_HOSTNAME, REDIS_OM_URL defaults to TAC's Redis on that host,
    as TAC's base image sets it for sotopia."""
    env = {name: environ[name] for name in config.SERVER_SETTINGS if environ.get(name)}
    if "SERVER_HOSTNAME" in env and "REDIS_OM_URL" not in env:
        env["REDIS_OM_URL"] = f"redis://default:theagentcompany@{env['SERVER_HOSTNAME']}:6379"
    return env


def _requests():
    import requests  # late: only helpers that ask a server need it

    return requests


# --- RocketChat ----------------------------------------------------------------------------------

class RocketChatClient:
    """A rocketchat_API ``RocketChat`` client that logs in on first use; every method of that class
    works on it (``users_list()``, ``channels_history(room_id=...)``...)."""

    def __init__(self, username: str, password: str):
        self._username, self._password = username, password
        self._client = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._client is None:
            require("RocketChat")
            from rocketchat_API.rocketchat import RocketChat

            try:
                self._client = RocketChat(self._username, self._password, server_url=config.ROCKETCHAT_URL)
            except Exception as exc:
                raise ConnectionError(f"could not log in to RocketChat at {config.ROCKETCHAT_URL} as "
                                      f"{self._username}: {type(exc).__name__}: {exc}") from exc
        return getattr(self._client, name)


def create_rocketchat_client(username: str = "theagentcompany", password: str = "theagentcompany") -> RocketChatClient:
    """A RocketChat client for ``username`` (TAC's admin account by default)."""
    return RocketChatClient(username, password)


def _rocketchat_user_id(rocket_client: Any, username: str) -> str | None:
    wanted = username.lower()
    for user in rocket_client.users_list().json().get("users") or []:
        if wanted in ((user.get("nameInsensitive") or "").lower(), (user.get("username") or "").lower()):
            return user["_id"]
    return None


def get_rocketchat_personal_chat_history(rocket_client: Any, username: str, content_only: bool = True) -> list:
    """The direct messages between ``username`` (a login or a full name, any case) and the client's
    account, oldest first: their texts, or whole message objects when ``content_only`` is False.
    Empty when there are none or the user is unknown."""
    user_id = _rocketchat_user_id(rocket_client, username)
    if user_id is None:
        logger.error("Cannot fetch chat history for %s: no such RocketChat user", username)
        return []
    messages = rocket_client.im_history(room_id=user_id).json().get("messages") or []
    history = [m["msg"] for m in messages] if content_only else list(messages)
    history.reverse()  # RocketChat answers newest first
    logger.info("Chat history with %s is: %s", username, history)
    return history


def num_rocketchat_users_contacted(rocket_client: Any, users: list[str]) -> int:
    """How many of ``users`` (logins) have at least one direct message with the client's account."""
    contacted = 0
    for user in rocket_client.users_list().json().get("users") or []:
        if user.get("username") in users:
            if rocket_client.im_history(room_id=user["_id"]).json().get("messages"):
                contacted += 1
    return contacted


def get_rocketchat_channel_room_id(rocket_client: Any, channel_name: str) -> str | None:
    """The room id of the public channel ``channel_name``, or None."""
    info = rocket_client.channels_info(channel=channel_name).json()
    return info["channel"]["_id"] if info.get("success") else None


def get_rocketchat_channel_history(rocket_client: Any, channel: str) -> list[dict]:
    """The messages of the public channel ``channel`` (RocketChat's message objects, newest first);
    empty when there are none or the channel cannot be read."""
    room_id = get_rocketchat_channel_room_id(rocket_client, channel)
    if room_id is None:
        logger.warning("Failed to retrieve %s channel info.", channel)
        return []
    history = rocket_client.channels_history(room_id=room_id).json()
    if not history.get("success"):
        logger.warning("Failed to retrieve the message history of %s.", channel)
        return []
    messages = history.get("messages") or []
    if not messages:
        logger.warning("No messages found in %s.", channel)
    return messages


def check_rocketchat_message_posted(rocket_client: Any, channel_name: str, keywords: list[str]) -> bool:
    """Whether one of the channel's 10 latest messages contains every keyword (any case)."""
    room_id = get_rocketchat_channel_room_id(rocket_client, channel_name)
    if not room_id:
        return False
    messages = rocket_client.channels_history(room_id=room_id, count=10).json().get("messages") or []
    for message in messages:
        text = (message.get("msg") or "").lower()
        if all(k.lower() in text for k in keywords):
            return True
    logger.info("no recent message in %s contains all of %s", channel_name, keywords)
    return False


# --- GitLab --------------------------------------------------------------------------------------

def make_gitlab_request(project_identifier: str | None = None, additional_path: str | None = None,
                        method: str = "GET", params: dict | None = None):
    """A request to GitLab's REST API v4 as TAC's root user: ``/projects/<id or url-encoded path>/<additional_path>``;
    the ``requests`` response, or None when the server could not be reached."""
    require("GitLab")
    url = f"{config.GITLAB_BASEURL}/api/v4"
    if project_identifier:
        url += "/projects/" + urllib.parse.quote(str(project_identifier), safe="")
    if additional_path:
        url += f"/{additional_path}"
    requests = _requests()
    try:
        return requests.request(method, url, headers=config.GITLAB_HEADERS, params=params, timeout=TIMEOUT)
    except requests.RequestException as exc:
        logger.error("GitLab API request failed: %s", exc)
        return None


def get_gitlab_project_id(project_name: str) -> str | None:
    """The id (as a string) of the first project named ``project_name`` in GitLab's project list."""
    response = make_gitlab_request(None, "projects")
    if not response:
        logger.warning("No gitlab projects found")
        return None
    ids = [p["id"] for p in response.json() if p.get("name") == project_name]
    if not ids:
        logger.warning("No gitlab projects found for project name %s", project_name)
        return None
    return str(ids[0])


def get_gitlab_merge_request_by_title(project_id: str, merge_request_title: str) -> dict | None:
    """The project's merge request with that title (surrounding spaces and case ignored), or None."""
    response = make_gitlab_request(project_id, "merge_requests")
    if not response:
        logger.warning("No gitlab merge requests found")
        return None
    wanted = merge_request_title.strip().lower()
    for mr in response.json():
        if (mr.get("title") or "").strip().lower() == wanted:
            return mr
    logger.warning("No gitlab merge requests found for title %s", merge_request_title)
    return None


def get_gitlab_file_in_mr(mr: dict, file_path: str) -> str | None:
    """A file's text at the merge request's head commit, or None."""
    path = f"repository/files/{urllib.parse.quote(file_path, safe='')}/raw?ref={mr['sha']}"
    response = make_gitlab_request(str(mr["project_id"]), path)
    return response.text if response else None


# A file each of TAC's repositories has at its top: how check_repo_exists tells a clone.
PROJECT_FILES = {
    "openhands": ".openhands_instructions",
    "janusgraph": ".backportrc.json",
    "colly": "xmlelement_test.go",
    "streamlit": ".ruff.toml",
    "risingwave": "risedev.yml",
    "bustub": "CMakeLists.txt",
}


def check_repo_exists(project_name: str) -> bool:
    """Whether TAC's repository ``project_name`` is cloned at /workspace/<project_name>."""
    if project_name not in PROJECT_FILES:
        logger.warning("Unknown project: %s", project_name)
        return False
    path = os.path.join("/workspace", project_name, PROJECT_FILES[project_name])
    found = os.path.isfile(path)
    if not found:
        logger.info("%s is not cloned: %s does not exist", project_name, path)
    return found


# --- ownCloud ------------------------------------------------------------------------------------

def _owncloud_auth() -> tuple[str, str]:
    return config.OWNCLOUD_USERNAME, config.OWNCLOUD_PASSWORD


def _webdav_hrefs(directory_url: str) -> list[str] | None:
    """The hrefs a WebDAV PROPFIND (Depth 1) lists for a folder; None when it did not answer 207."""
    requests = _requests()
    response = requests.request("PROPFIND", directory_url, headers={"Depth": "1"}, auth=_owncloud_auth(),
                                timeout=TIMEOUT)
    if response.status_code != 207:
        logger.error("Error listing %s: HTTP %s, %s", directory_url, response.status_code, response.text[:200])
        return None
    root = ElementTree.fromstring(response.content)
    return [el.text or "" for el in root.iter("{DAV:}href")]


def check_file_in_owncloud_directory(file_name: str, dir_name: str) -> bool | None:
    """Whether ownCloud's folder ``dir_name`` lists a file whose path contains ``file_name``;
    None when the folder could not be listed (as TAC's)."""
    require("ownCloud")
    try:
        hrefs = _webdav_hrefs(f"{config.OWNCLOUD_URL}/remote.php/webdav/{dir_name}")
    except _requests().RequestException as exc:
        logger.warning("Failed to check file in owncloud directory: %s", exc)
        return False
    if hrefs is None:
        return None
    if any(file_name in h for h in hrefs):
        logger.info("File '%s' found.", file_name)
        return True
    logger.warning("File '%s' not found in %s.", file_name, dir_name)
    return False


def get_binary_file_content_owncloud(file_name: str, dir_name: str) -> bytes | None:
    """The bytes of ``dir_name/file_name`` on ownCloud, or None."""
    require("ownCloud")
    requests = _requests()
    try:
        response = requests.get(f"{config.OWNCLOUD_URL}/remote.php/webdav/{dir_name}/{file_name}",
                                auth=_owncloud_auth(), timeout=TIMEOUT)
    except requests.RequestException as exc:
        logger.warning("Failed to get binary file content from owncloud: %s", exc)
        return None
    return response.content if response.status_code == 200 else None


def check_and_download_file(file_name: str, dir_name: str, output_file_path: str) -> bool:
    """Find ``file_name`` in ownCloud's folder ``dir_name`` and save it to ``output_file_path``."""
    require("ownCloud")
    folder_url = f"{config.OWNCLOUD_URL}/remote.php/webdav/{dir_name.strip('/')}/"
    requests = _requests()
    try:
        hrefs = _webdav_hrefs(folder_url)
        if hrefs is None:
            return False
        if not any(file_name in h for h in hrefs):
            logger.warning("File '%s' not found in directory '%s'.", file_name, dir_name)
            return False
        response = requests.get(folder_url + file_name, auth=_owncloud_auth(), stream=True, timeout=TIMEOUT)
        if response.status_code != 200:
            logger.error("Failed to download file '%s'. HTTP Status: %s", file_name, response.status_code)
            return False
        with open(output_file_path, "wb") as f:
            for chunk in response.iter_content(chunk_size=8192):
                f.write(chunk)
    except requests.RequestException as exc:
        logger.warning("Failed to check or download file in ownCloud directory: %s", exc)
        return False
    logger.info("File '%s' downloaded to '%s'.", file_name, output_file_path)
    return True


def get_owncloud_url_in_file(filename: str) -> str | bool:
    """The file's text when it mentions ownCloud's URL (a share link the agent wrote down), else False."""
    try:
        with open(filename, encoding="utf-8", errors="replace") as f:
            content = f.read()
    except OSError as exc:
        logger.error("Could not read %s: %s", filename, exc)
        return False
    if config.OWNCLOUD_URL in content:
        return content
    logger.info("%s does not mention %s", filename, config.OWNCLOUD_URL)
    return False


# A direct download link in a share page: a URL with "download" in it, ending at a quote.
_DOWNLOAD_LINK = re.compile(r'https?://[^\s"]*\bdownload\b[^\s"]*(?=")')


def download_owncloud_content(link: str, output_file_path: str) -> bool:
    """Save what an ownCloud share ``link`` shares to ``output_file_path``: the link itself when it is
    a download link, else the first download link on the page it opens."""
    if not link:
        return False
    require("ownCloud")
    requests = _requests()
    link = link.strip()
    try:
        if "download" in link:
            download = link
        else:
            page = requests.get(link, timeout=TIMEOUT).text
            match = _DOWNLOAD_LINK.search(page)
            if match is None:
                logger.warning("Did not find a download link on %s", link)
                return False
            download = match.group()
        response = requests.get(download, timeout=TIMEOUT)
        if response.status_code != 200:
            logger.warning("Download from %s answered HTTP %s", download, response.status_code)
            return False
        with open(output_file_path, "wb") as f:
            f.write(response.content)
    except (requests.RequestException, OSError) as exc:
        logger.warning("Unable to download from link %s: %s", link, exc)
        return False
    logger.info("Downloaded %s to %s", download, output_file_path)
    return True


# --- Plane ---------------------------------------------------------------------------------------

def _plane(path: str) -> str:
    require("Plane")
    return f"{config.PLANE_BASEURL}/api/v1/workspaces/{config.PLANE_WORKSPACE_SLUG}/{path}"


def _plane_get(path: str) -> Any:
    """The JSON of a GET on Plane's API; raises requests' errors (the callers decide what failure returns)."""
    url = _plane(path)
    response = _requests().get(url, headers=config.PLANE_HEADERS, timeout=TIMEOUT)
    response.raise_for_status()
    return response.json()


def _plane_post(path: str, body: dict) -> Any:
    url = _plane(path)
    response = _requests().post(url, headers=config.PLANE_HEADERS, json=body, timeout=TIMEOUT)
    response.raise_for_status()
    return response.json()


def _named(items: list[dict], name: str, what: str) -> dict | None:
    for item in items:
        if item.get("name") == name:
            return item
    logger.info("%s with name '%s' not found.", what, name)
    return None


def get_all_plane_projects() -> list[dict]:
    """Every project of the workspace."""
    try:
        return _plane_get("projects/").get("results", [])
    except _requests().RequestException as exc:
        logger.warning("Get all projects failed: %s", exc)
        return []


def get_plane_project_id(project_name: str) -> str | None:
    """The id of the project named ``project_name``, or None."""
    try:
        project = _named(_plane_get("projects/").get("results", []), project_name, "Project")
    except _requests().RequestException as exc:
        logger.warning("Get project id failed: %s", exc)
        return None
    return project.get("id") if project else None


def get_plane_project_all_issues(project_id: str) -> list[dict]:
    """The project's issues."""
    try:
        return _plane_get(f"projects/{project_id}/issues").get("results", [])
    except _requests().RequestException as exc:
        logger.warning("Get issues failed: %s", exc)
        return []


def get_plane_state_id_dict(project_id: str) -> tuple[dict[str, str], dict[str, str]]:
    """``(state name -> id, state id -> name)`` of the project's states; two empty dicts on failure."""
    try:
        states = _plane_get(f"projects/{project_id}/states/").get("results", [])
    except _requests().RequestException as exc:
        logger.warning("Get project states failed: %s", exc)
        return {}, {}
    return {s["name"]: s["id"] for s in states}, {s["id"]: s["name"] for s in states}


def get_plane_issue_details(project_id: str, issue_name: str) -> dict | None:
    """The project's issue named ``issue_name``, or None."""
    try:
        return _named(_plane_get(f"projects/{project_id}/issues/").get("results", []), issue_name, "Issue")
    except _requests().RequestException as exc:
        logger.warning("Get issue detail failed: %s", exc)
        return None


def get_plane_cycle_details(project_id: str, cycle_name: str) -> dict | None:
    """The project's cycle named ``cycle_name``, or None."""
    try:
        return _named(_plane_get(f"projects/{project_id}/cycles/").get("results", []), cycle_name, "Cycle")
    except _requests().RequestException as exc:
        logger.warning("Get cycle detail failed: %s", exc)
        return None


def get_plane_issues_by_project_cycle(project_id: str, cycle_id: str) -> list[dict]:
    """The issues in one cycle of the project."""
    try:
        return _plane_get(f"projects/{project_id}/cycles/{cycle_id}/cycle-issues/").get("results", [])
    except _requests().RequestException as exc:
        logger.error("Get cycle issues failed: %s", exc)
        return []


def get_plane_state_details(project_id: str, state_id: str) -> dict:
    """One state of the project (id, name, group, ...); an empty dict on failure."""
    try:
        return _plane_get(f"projects/{project_id}/states/{state_id}")
    except _requests().RequestException as exc:
        logger.error("Get state failed: %s", exc)
        return {}


def create_plane_issue(project_id: str, issue_name: str) -> dict | None:
    """Create an issue named ``issue_name`` in the project; the created issue, or None."""
    try:
        return _plane_post(f"projects/{project_id}/issues/", {"name": issue_name})
    except _requests().RequestException as exc:
        logger.warning("Create issue failed: %s", exc)
        return None


def add_plane_issue_to_cycle(project_id: str, cycle_id: str, issue_id: str) -> Any:
    """Add an issue to a cycle; Plane's answer, or None."""
    try:
        return _plane_post(f"projects/{project_id}/cycles/{cycle_id}/cycle-issues/", {"issues": [issue_id]})
    except _requests().RequestException as exc:
        logger.warning("Add issue to cycle failed: %s", exc)
        return None


# --- other files ---------------------------------------------------------------------------------

def download_image_from_url(image_url: str, output_file_path: str) -> str | None:
    """Save the image at ``image_url`` to ``output_file_path``; that path, or None."""
    requests = _requests()
    try:
        response = requests.get(image_url, timeout=TIMEOUT)
    except requests.RequestException as exc:
        logger.error("Failed to download image from %s: %s", image_url, exc)
        return None
    if response.status_code != 200:
        logger.error("Failed to download image from %s: HTTP %s", image_url, response.status_code)
        return None
    with open(output_file_path, "wb") as f:
        f.write(response.content)
    logger.info("Image downloaded from %s to %s", image_url, output_file_path)
    return output_file_path


def get_all_texts_from_slide(slide: Any) -> str:
    """The text of every shape of a python-pptx slide that has a text frame, lowercased, space-joined."""
    if slide is None:
        return ""
    return " ".join(shape.text_frame.text.lower() for shape in slide.shapes if shape.has_text_frame)
