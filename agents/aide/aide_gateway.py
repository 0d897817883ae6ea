"""Runs AIDE (the `aide` command of the aideml package, unmodified) with every model call going to
OPENAI_BASE_URL, the harness's gateway.

aideml 0.2.2 sends model names matching gpt-*, o<digit>* and codex-mini-latest to OpenAI's own URL
(`aide.backend.backend_openai.OPENAI_BASE_URL`, a module constant) through the Responses API, whatever
OPENAI_BASE_URL says; other names go to OPENAI_BASE_URL through Chat Completions. Setting that constant
before AIDE starts sends the OpenAI names to the gateway too (which serves the Responses API), so the
seed's model names work unchanged and no call leaves without the gateway.
"""

import os
import sys

from aide.backend import backend_openai

if os.environ.get("OPENAI_BASE_URL"):
    backend_openai.OPENAI_BASE_URL = os.environ["OPENAI_BASE_URL"]

from aide.run import run  # noqa: E402 - after the URL is set

sys.exit(run())
