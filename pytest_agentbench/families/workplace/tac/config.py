"""TheAgentCompany's ``config`` module: where its servers are, read from the environment as TAC reads it.

Evaluators write ``from config import *`` (directly, or through ``from common import *``) and build
URLs from these names, so each has TAC's name and default. ``SERVER_HOSTNAME`` is the host of the
servers (TAC's default, the-agent-company.com, is a name TAC's own setup puts in /etc/hosts);
``<SERVICE>_PORT`` each server's port. The accounts are TAC's fixed ones.

The service helpers (servers.py) talk to a server only when ``SERVER_HOSTNAME`` is set; without it
they raise ``ServiceNotConfigured``, naming the service and the setting, instead of waiting on a
host name that does not resolve. Importing this module never fails.

Standard library only: this module runs in the grader container as ``config``.
"""

from __future__ import annotations

import os

# TAC's test switch: its mock RocketChat client and canned LLM answers. Read for compatibility; our
# helpers never fake a server or the judge (tests start real ones).
TEST_MODE = os.environ.get("TAC_TEST_MODE", False)

SERVER_HOSTNAME = os.getenv("SERVER_HOSTNAME") or "the-agent-company.com"
# Whether the user said where the servers are (servers.py talks to them only then).
SERVER_HOSTNAME_SET = bool(os.getenv("SERVER_HOSTNAME"))

# The environment LLM. The key stays where the harness is: in the grader these are not set, and the
# judge is asked over the runner's channel (judge.py).
LITELLM_API_KEY = os.environ.get("LITELLM_API_KEY")
LITELLM_BASE_URL = os.environ.get("LITELLM_BASE_URL", "https://api.openai.com/v1")
LITELLM_MODEL = os.environ.get("LITELLM_MODEL", "gpt-4o")

OWNCLOUD_PORT = os.getenv("OWNCLOUD_PORT") or "8092"
OWNCLOUD_URL = f"http://{SERVER_HOSTNAME}:{OWNCLOUD_PORT}"
OWNCLOUD_USERNAME = "theagentcompany"
OWNCLOUD_PASSWORD = "theagentcompany"

ROCKETCHAT_PORT = os.getenv("ROCKETCHAT_PORT") or "3000"
ROCKETCHAT_URL = f"http://{SERVER_HOSTNAME}:{ROCKETCHAT_PORT}"

GITLAB_PORT = os.getenv("GITLAB_PORT") or "8929"
GITLAB_BASEURL = f"http://{SERVER_HOSTNAME}:{GITLAB_PORT}"
GITLAB_ACCESS_TOKEN = "root-token"
GITLAB_HEADERS = {"PRIVATE-TOKEN": GITLAB_ACCESS_TOKEN}
GITLAB_USER = "root"

PLANE_PORT = os.getenv("PLANE_PORT") or "8091"
PLANE_BASEURL = f"http://{SERVER_HOSTNAME}:{PLANE_PORT}"
PLANE_WORKSPACE_SLUG = os.getenv("PLANE_WORKSPACE_SLUG") or "tac"
PLANE_API_KEY = os.environ.get("PLANE_API_KEY") or "plane_api_83f868352c6f490aba59b869ffdae1cf"
PLANE_HEADERS = {"x-api-key": PLANE_API_KEY, "Content-Type": "application/json"}

# The settings above that say where TAC's servers are: what the harness passes on to an evaluator.
# REDIS_OM_URL is sotopia's (its database models live in TAC's Redis), set by TAC's base image.
SERVER_SETTINGS = ("SERVER_HOSTNAME", "OWNCLOUD_PORT", "ROCKETCHAT_PORT", "GITLAB_PORT", "PLANE_PORT",
                   "PLANE_WORKSPACE_SLUG", "PLANE_API_KEY", "REDIS_OM_URL")
