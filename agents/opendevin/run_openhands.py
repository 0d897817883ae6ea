"""OpenHands' agent on one task, headless, in this container (OpenHands' local runtime: no Docker).

The agent is the one OpenHands' own CLI runs (openhands-sdk's Agent with the CodeAct tool set of
`openhands.tools.preset.default.get_default_agent(cli_mode=True)`: terminal, file editor, task
tracker), unmodified. This file only does what the seed's setup.py and start.py did around it: read
the task's instructions, add the notes every agent gets (hardware, time, steps), point the model at
the harness's gateway, and answer the agent as a user who is not there when it stops to ask.
"""

from __future__ import annotations

import argparse
import os
import string
import sys
import time
from pathlib import Path

# The seed's user who is not there (its start.py's fake_user_response_fn).
CONTINUE = ("Please continue working on the approach you think is most promising. "
            "You should complete the task without any human input.")
HERE = Path(__file__).resolve().parent


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The seed's kwargs (config.yaml): agent, model, max_time_in_hours, max_steps, shm_size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agent", default="CodeActAgent",
                        help="the seed's agent class; OpenHands' SDK agent is CodeActAgent's successor")
    parser.add_argument("--model", default="gpt-4o", help="the model's litellm name, asked of the gateway")
    parser.add_argument("--max_time_in_hours", type=float, default=24.0)
    parser.add_argument("--max_steps", type=int, default=500)
    parser.add_argument("--shm_size", default=None, help="the seed's sandbox container setting; unused here "
                                                          "(the agent runs in this container)")
    args = parser.parse_args(argv)
    if args.agent != "CodeActAgent":
        parser.error(f"--agent {args.agent}: OpenHands' SDK runs CodeActAgent's successor only")
    return args


def task_text(max_steps: int) -> tuple[str, Path]:
    """What the agent is told, as the seed's setup.py wrote it: the task's instructions, the notes
    (hardware, time, steps), and a competition's description; and where it works."""
    if Path("/home/instructions.txt").is_file():  # a competition, or a task with a description
        text, workdir = Path("/home/instructions.txt").read_text(), Path("/home")
        where_code = f"Write all the code you use in {os.environ.get('CODE_DIR', '/home/code')}."
    elif Path("/instruction/task.md").is_file():  # a workplace task
        text, workdir = Path("/instruction/task.md").read_text(), Path("/workspace")
        where_code = "Leave your results where the task says."
    else:
        raise SystemExit("run_openhands: no task found (/home/instructions.txt or /instruction/task.md)")
    notes = string.Template((HERE / "additional_notes.txt").read_text()).safe_substitute(
        os.environ, MAX_STEPS=max_steps, WORKDIR=workdir, WHERE_CODE=where_code)
    text = text.rstrip() + "\n\n" + notes
    description = Path("/home/data/description.md")
    if description.is_file():
        text += "\nCOMPETITION INSTRUCTIONS\n------\n\n" + description.read_text()
    return text, workdir


def steps_taken(conversation) -> int:
    """The agent's turns so far (one per model answer, whatever it held: the seed's max_iterations)."""
    from openhands.sdk.event import ActionEvent, MessageEvent
    return len({e.llm_response_id if isinstance(e, ActionEvent) else e.id for e in conversation.state.events
                if isinstance(e, ActionEvent) or (isinstance(e, MessageEvent) and e.source == "agent")})


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    seconds = args.max_time_in_hours * 3600
    if os.environ.get("TIME_LIMIT_SECS"):  # the harness's limit, if shorter, is the one that holds
        seconds = min(seconds, float(os.environ["TIME_LIMIT_SECS"]))
    deadline = time.monotonic() + seconds
    task, workdir = task_text(args.max_steps)
    logs = Path(os.environ.get("LOGS_DIR", "/home/logs"))
    (logs / "full_instructions.txt").write_text(task)

    # Imported only now: a bad kwarg fails fast, before OpenHands' imports (seconds).
    from openhands.sdk import LLM, Conversation
    from openhands.sdk.conversation.state import ConversationExecutionStatus
    from openhands.sdk.event import ActionEvent, MessageEvent
    from openhands.tools.preset.default import get_default_agent

    llm = LLM(model=args.model, base_url=os.environ.get("OPENAI_BASE_URL"), api_key=os.environ.get("OPENAI_API_KEY"),
              usage_id="agent")
    agent = get_default_agent(llm=llm, cli_mode=True)
    conversation = Conversation(agent=agent, workspace=str(workdir), persistence_dir=str(logs / "openhands"),
                                max_iteration_per_run=args.max_steps)
    conversation.send_message(task)
    runs = 0
    while True:
        runs += 1
        conversation.max_iteration_per_run = max(1, args.max_steps - steps_taken(conversation))
        conversation.run()
        state = conversation.state
        status = state.execution_status
        steps = steps_taken(conversation)
        finished = any(isinstance(e, ActionEvent) and e.tool_name == "finish" for e in state.events)
        print(f"run_openhands: run {runs} ended: {status.value}, {steps} steps", flush=True)
        if finished or status != ConversationExecutionStatus.FINISHED:
            break
        if steps >= args.max_steps or time.monotonic() >= deadline:
            break
        last = state.events[-1] if state.events else None
        if not (isinstance(last, MessageEvent) and last.source == "agent"):
            break
        conversation.send_message(CONTINUE)
    return 0 if finished or status == ConversationExecutionStatus.FINISHED else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
