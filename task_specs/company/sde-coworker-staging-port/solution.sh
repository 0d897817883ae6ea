#!/usr/bin/env bash
# The oracle knows the port; it asks Zhang Wei all the same, as the task says.
set -euxo pipefail
curl -fsS -u "$CHAT_USER:$CHAT_PASSWORD" -H 'Content-Type: application/json' \
     -d '{"kind": "message", "type": "chat", "to": "zhang_wei@the-agent-company.com", "body": "Hi Zhang, which port does the staging API listen on?"}' \
     "$CHAT_URL"
cd /tmp && git clone -q "$GIT_URL" deploy && cd deploy
sed -i 's/^API_PORT=$/API_PORT=8443/' config/staging.env
git -c user.name=agent -c user.email=agent@the-agent-company.com commit -qam "Staging API port: 8443, as Zhang Wei says"
git push -q origin main
