"""A local OpenAI-compatible chat endpoint for tests: no provider is reachable from here.

    llm = FakeLLM(rules=[(r"oracle-reference-solution", "yes")], default="no").start()
    os.environ.update(LITELLM_BASE_URL=llm.url, LITELLM_API_KEY="test", LITELLM_MODEL="gpt-4o")
    ...
    llm.requests   # every request body, in order
    llm.stop()

To grade by hand against it as the tests do (it says yes to the oracle's documents only):

    .venv/bin/python tests/fake_llm.py --port 8765 &
    LITELLM_BASE_URL=http://127.0.0.1:8765/v1 LITELLM_API_KEY=test LITELLM_MODEL=gpt-4o \\
        .venv/bin/pytest --agent=oracle -n 2 task_specs/company

``POST /v1/chat/completions`` (and ``/chat/completions``) answers with the reply of the first rule
that matches the last user message (the last message, when none is the user's), else ``default``, in OpenAI's
response shape with ``usage`` counted as whitespace-separated words (plus ``cached_tokens`` of them
reported as cached, when set). With ``"stream": true`` the reply comes as server-sent chunks, one
per word, and a last usage chunk when ``stream_options.include_usage`` asks for it.
``POST /v1/responses`` answers the Responses API's way (``input``: a string or messages; a reply's
tool calls become ``function_call`` items), streamed as its events when asked. A rule's reply may be a dict: the assistant message itself (tool calls).
``usages`` lists the usage of every answer, in order; ``fail_status`` set makes every call fail
with that HTTP status. The server binds 0.0.0.0 on a
free port, as an endpoint on a developer's machine often does (the tests check that no container
reaches it); ``url`` is the loopback one, where the harness asks it.

A rule is ``(regex, reply)`` (re.search, DOTALL) or a function of the message's text that returns
the reply, or None to leave it to the next rule: a test writes the judge's reasoning as code.
``judged(text)`` splits an ``evaluate_with_llm`` prompt into its question and the fenced content:

    def polite(text):
        question, content = judged(text)
        return "Yes." if "thank" in content.lower() else "No."
    FakeLLM(rules=[polite])
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable, Union

# The oracle solutions of the bundled llm_judge tasks put this marker in every document the
# judge reads; ORACLE_RULES makes the fake judge say yes to exactly those documents.
ORACLE_MARKER = "oracle-reference-solution"
ORACLE_RULES = [(re.escape(ORACLE_MARKER), "Yes.")]

CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")
RESPONSES_PATHS = ("/v1/responses", "/responses")

Rule = Union[tuple[str, str], Callable[[str], Union[str, None]]]


def judged(text: str) -> tuple[str, str]:
    """An evaluate_with_llm prompt's question (before ``<content>``) and content (inside it)."""
    match = re.search(r"^(.*?)<content>\n?(.*?)\n?</content>", text, re.DOTALL)
    return (match.group(1), match.group(2)) if match else (text, "")


class FakeLLM:
    def __init__(self, rules: Iterable[Rule] = (), default: str = "no", host: str = "0.0.0.0",
                 port: int = 0):
        self.set_rules(rules, default)
        self.requests: list[dict[str, Any]] = []
        self.usages: list[dict[str, Any]] = []
        self._connections: set = set()  # open keep-alive connections: stop() ends them too
        self.cached_tokens = 0
        self.fail_status: int | None = None
        self._host, self._port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def set_rules(self, rules: Iterable[Rule], default: str | None = None) -> None:
        """Replace the answer rules: ``(regex on the last user message, reply)`` or a function of its
        text returning the reply (None: no opinion); the first rule that answers wins."""
        self.rules = [rule if callable(rule) else _regex_rule(*rule) for rule in rules]
        if default is not None:
            self.default = default

    def reply_for(self, messages: list[dict[str, Any]]) -> str | dict[str, Any]:
        # The last user message; a prompt given as a system message alone (AIDE's) is its own text.
        last_user = next((m for m in reversed(messages) if m.get("role") == "user"), messages[-1] if messages else {})
        text = _content_text(last_user.get("content"))
        return next((reply for reply in (rule(text) for rule in self.rules) if reply is not None), self.default)

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeLLM is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The base URL for litellm / OpenAI clients on this machine: http://127.0.0.1:PORT/v1."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "FakeLLM":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as providers: clients reuse their connections
            disable_nagle_algorithm = True  # headers and body go as two writes: no delayed-ACK stall between

            def setup(self) -> None:
                super().setup()
                fake._connections.add(self.connection)

            def finish(self) -> None:
                fake._connections.discard(self.connection)
                super().finish()

            def do_POST(self) -> None:
                path = self.path.rstrip("/")
                if path not in CHAT_PATHS + RESPONSES_PATHS:
                    self.close_connection = True
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    return self._send(400, {"error": {"message": "body is not JSON"}})
                fake.requests.append(body)
                if fake.fail_status:
                    return self._send(fake.fail_status, {"error": {"message": "the fake provider fails on purpose",
                                                                   "type": "server_error"}})
                if path in CHAT_PATHS:
                    answer = fake._completion(body)
                    events = fake._chunks(answer, body) if body.get("stream") else None
                else:
                    answer = fake._response(body)
                    events = fake._response_events(answer) if body.get("stream") else None
                if events is None:
                    return self._send(200, answer)
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for event in events:
                    data = event.encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer((self._host, self._port), Handler)
        self._server.daemon_threads = True
        # A short poll interval makes stop() quick: shutdown() waits for the loop to look.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-llm", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and end every open connection: a stopped provider answers nothing."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            for connection in list(self._connections):
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def __enter__(self) -> "FakeLLM":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _usage(self, prompt_text: str, reply_text: str) -> dict[str, Any]:
        prompt_tokens, completion_tokens = len(prompt_text.split()), len(reply_text.split())
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                 "total_tokens": prompt_tokens + completion_tokens}
        if self.cached_tokens:
            usage["prompt_tokens_details"] = {"cached_tokens": min(self.cached_tokens, prompt_tokens)}
        self.usages.append(usage)
        return usage

    def _completion(self, body: dict[str, Any]) -> dict[str, Any]:
        messages = body.get("messages") or []
        reply = self.reply_for(messages)
        message = reply if isinstance(reply, dict) else {"role": "assistant", "content": reply}
        usage = self._usage(" ".join(_content_text(m.get("content")) for m in messages),
                            _content_text(message.get("content")))
        return {
            "id": f"chatcmpl-fake-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                         "message": message}],
            "usage": usage,
        }

    def _chunks(self, answer: dict[str, Any], body: dict[str, Any]) -> list[str]:
        """The answer as chat.completion.chunk events: the role, one per word, the tool calls, the end."""
        message, finish = answer["choices"][0]["message"], answer["choices"][0]["finish_reason"]
        base = {"id": answer["id"], "object": "chat.completion.chunk", "created": answer["created"],
                "model": answer["model"]}
        deltas = [{"role": "assistant", "content": ""}]
        deltas += [{"content": w} for w in re.findall(r"\S+\s*", _content_text(message.get("content")))]
        if message.get("tool_calls"):
            deltas.append({"tool_calls": [dict(call, index=i) for i, call in enumerate(message["tool_calls"])]})
        chunks = [dict(base, choices=[{"index": 0, "delta": d, "finish_reason": None}]) for d in deltas]
        chunks.append(dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": finish}]))
        if (body.get("stream_options") or {}).get("include_usage"):
            chunks.append(dict(base, choices=[], usage=answer["usage"]))
        return [f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"]

    def _response(self, body: dict[str, Any]) -> dict[str, Any]:
        given = body.get("input")
        messages = [{"role": "user", "content": given}] if isinstance(given, str) else list(given or [])
        reply = self.reply_for(messages)
        text = _content_text(reply.get("content")) if isinstance(reply, dict) else reply
        usage = self._usage(" ".join(_content_text(m.get("content")) for m in messages), text)
        n = len(self.requests)
        output = [{"type": "message", "id": f"msg_fake{n}", "status": "completed", "role": "assistant",
                   "content": [{"type": "output_text", "text": text, "annotations": []}]}]
        # A reply's tool calls (chat completions' shape) become the Responses API's function calls.
        output += [{"type": "function_call", "id": f"fc_fake{n}_{i}", "call_id": call.get("id", f"call_{n}_{i}"),
                    "name": call["function"]["name"], "arguments": call["function"]["arguments"],
                    "status": "completed"}
                   for i, call in enumerate(reply.get("tool_calls") or [] if isinstance(reply, dict) else [])]
        return {
            "id": f"resp_fake{n}", "object": "response", "created_at": int(time.time()),
            "status": "completed", "model": body.get("model", "fake"),
            "output": output,
            "usage": {"input_tokens": usage["prompt_tokens"], "output_tokens": usage["completion_tokens"],
                      "total_tokens": usage["total_tokens"],
                      "input_tokens_details": {"cached_tokens": (usage.get("prompt_tokens_details") or {})
                                               .get("cached_tokens", 0)},
                      "output_tokens_details": {"reasoning_tokens": 0}},
        }

    def _response_events(self, response: dict[str, Any]) -> list[str]:
        text = response["output"][0]["content"][0]["text"]
        started = dict(response, status="in_progress", output=[], usage=None)
        events = [{"type": "response.created", "response": started}]
        events += [{"type": "response.output_text.delta", "item_id": response["output"][0]["id"], "output_index": 0,
                    "content_index": 0, "delta": w} for w in re.findall(r"\S+\s*", text)]
        events.append({"type": "response.completed", "response": response})
        return [f"event: {e['type']}\ndata: {json.dumps(dict(e, sequence_number=i))}\n\n"
                for i, e in enumerate(events)]


def _regex_rule(pattern: str, reply: str) -> Callable[[str], str | None]:
    compiled = re.compile(pattern, re.DOTALL)
    return lambda text: reply if compiled.search(text) else None


def _content_text(content: Any) -> str:
    # OpenAI content is a string or a list of parts like {"type": "text", "text": ...}.
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content or "")


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the tests' fake environment LLM until interrupted.")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    args = parser.parse_args()
    llm = FakeLLM(ORACLE_RULES, port=args.port).start()
    print(f"LITELLM_BASE_URL={llm.url} LITELLM_API_KEY=test LITELLM_MODEL=gpt-4o", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        llm.stop()


if __name__ == "__main__":
    main()
