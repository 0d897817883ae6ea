#!/usr/bin/env bash
set -euxo pipefail
curl -fsS -u "$CHAT_USER:$CHAT_PASSWORD" -H 'Content-Type: application/json' -H 'Accept: application/json' \
     -d '{"kind": "iq", "type": "set", "archive": {}}' "$CHAT_URL"
id=$(psql "$DATABASE_URL" -qAt -v ON_ERROR_STOP=1 \
     -c "INSERT INTO employees (name, title, team, start_date) VALUES ('Priya Raman', 'Data Analyst', 'Insights', '2025-03-03') RETURNING id")
python3 -c 'import json, sys; print(json.dumps({"kind": "message", "type": "chat", "to": "maria@the-agent-company.com", "body": f"Done: Priya Raman is employee {sys.argv[1]}."}))' "$id" \
  | curl -fsS -u "$CHAT_USER:$CHAT_PASSWORD" -H 'Content-Type: application/json' --data-binary @- "$CHAT_URL"
