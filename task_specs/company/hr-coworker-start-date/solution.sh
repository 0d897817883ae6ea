#!/usr/bin/env bash
# The oracle knows the date; it asks Sarah Johnson all the same, as the task says.
set -euxo pipefail
curl -fsS -u "$CHAT_USER:$CHAT_PASSWORD" -H 'Content-Type: application/json' \
     -d '{"kind": "message", "type": "chat", "to": "sarah_johnson@the-agent-company.com", "body": "Hi Sarah, when does Lucía Fernández start?"}' \
     "$CHAT_URL"
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -c "UPDATE employees SET start_date = '2025-04-14' WHERE start_date IS NULL"
