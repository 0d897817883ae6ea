"""The model gateway: every model call of an agent goes through the harness (docs/gateway.md).

relay.py runs in a container on the item's network (stdlib only) and passes each HTTP request, as one
JSON line, over a `docker exec` stream to the host; forwarder.py answers it there with litellm's SDK
(or from a recording, replay.py), meter.py counts and budgets, recorder.py writes llm/calls.jsonl,
container.py starts the relay for an item.
"""
