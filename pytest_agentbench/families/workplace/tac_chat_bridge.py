"""TheAgentCompany's coworkers (its NPCs) on its RocketChat: the coworkers' side of the chat, for the
harness (services/coworkers.py), in the chat-bridge lines of task_specs/company/_services/chat/chat-bridge.

Runs in the item's tunnel container (tac_tunnel.py), so RocketChat is 127.0.0.1:3000 here; standard
library only. It holds no model, key or instruction: it logs each coworker in with TAC's NPC
credentials (the accounts TAC's servers hold, password "theagentcompany"; the fresh passwords the
harness offers are not used, as the accounts exist already), tells the harness every direct message
someone else sends a coworker, and sends the harness's answers in the coworker's name.

    python3 -I tac_chat_bridge.py
"""

import json
import sys
import threading
import time
import urllib.error
import urllib.request

API = "http://127.0.0.1:3000/api/v1"
PASSWORD = "theagentcompany"  # TAC's NPC credentials (its base image's npc_credential.json)
DOMAIN = "the-agent-company.com"
POLL_SECONDS = 0.5
MAX_BODY = 4000
out_lock = threading.Lock()
direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def say(frame):
    with out_lock:
        sys.stdout.write(json.dumps(frame, ensure_ascii=False) + "\n")
        sys.stdout.flush()


def call(path, headers=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(API + path, data=data, method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with direct.open(request, timeout=30) as answer:
        return json.loads(answer.read())


def login(user):
    data = call("/login", body={"user": user, "password": PASSWORD})["data"]
    return {"X-Auth-Token": data["authToken"], "X-User-Id": data["userId"]}


def new_messages(user, headers, seen):
    """Direct messages to `user` from others not told yet, oldest first."""
    found = []
    for room in call("/im.list", headers).get("ims", []):
        history = call(f"/im.history?roomId={room['_id']}&count=100", headers).get("messages", [])
        for message in reversed(history):
            sender = (message.get("u") or {}).get("username")
            if message.get("_id") in seen or sender == user:
                continue
            seen.add(message.get("_id"))
            found.append({"from": f"{sender}@{DOMAIN}", "to": f"{user}@{DOMAIN}",
                          "body": str(message.get("msg", ""))[:MAX_BODY], "when": time.time()})
    return found


def main():
    first = json.loads(sys.stdin.readline())
    users = sorted(first["users"])
    try:
        sessions = {user: login(user) for user in users}
        seen = {user: set() for user in users}
        for user in users:  # what was there before the agent is nobody's question
            new_messages(user, sessions[user], seen[user])
    except (OSError, ValueError, KeyError) as e:
        print(f"could not log the coworkers in to RocketChat ({', '.join(users)}): {type(e).__name__}: {e}",
              file=sys.stderr)
        return 1
    say({"ready": True})
    poll_lock = threading.Lock()

    def poll():
        with poll_lock:
            for user in users:
                try:
                    for message in new_messages(user, sessions[user], seen[user]):
                        say({"message": message})
                except (OSError, ValueError) as e:
                    print(f"reading {user}'s messages: {e}", file=sys.stderr)

    def poll_forever():
        while True:
            poll()
            time.sleep(POLL_SECONDS)

    threading.Thread(target=poll_forever, daemon=True).start()
    for line in sys.stdin:
        frame = json.loads(line)
        if frame.get("stop"):
            break
        if frame.get("flush"):
            poll()
            say({"flushed": True})
        elif isinstance(frame.get("send"), dict):
            send = frame["send"]
            sender, to = send.get("from"), str(send.get("to") or "").split("@")[0]
            if sender not in sessions:
                say({"failed": send, "error": f"{sender!r} is not a coworker of this bridge"})
                continue
            try:
                call("/chat.postMessage", sessions[sender], {"channel": f"@{to}", "text": str(send.get("body", ""))})
                say({"sent": send})
            except (OSError, ValueError) as e:
                say({"failed": send, "error": f"{type(e).__name__}: {e}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
