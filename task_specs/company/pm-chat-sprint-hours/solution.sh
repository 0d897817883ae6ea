#!/usr/bin/env bash
set -euxo pipefail
curl -fsS -u "$CHAT_USER:$CHAT_PASSWORD" -H 'Content-Type: application/json' -H 'Accept: application/json' \
     -d '{"kind": "iq", "type": "set", "archive": {}}' "$CHAT_URL"
total=$(python3 -c 'import csv; print(sum(float(r["hours"]) for r in csv.DictReader(open("/workspace/hours.csv")) if r["sprint"] == "14"))')
python3 -c 'import json, sys; print(json.dumps({"kind": "message", "type": "chat", "to": "rachel@the-agent-company.com", "body": f"Sprint 14: {sys.argv[1]} hours in all."}))' "$total" \
  | curl -fsS -u "$CHAT_USER:$CHAT_PASSWORD" -H 'Content-Type: application/json' --data-binary @- "$CHAT_URL"
