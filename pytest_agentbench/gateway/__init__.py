"""The model gateway: every model call an agent makes goes through the harness (docs/gateway.md).

    relay.py     in a container on the item's network: HTTP in, one JSON line per request out (stdlib only)
    channel.py   the host's end of the relay's stream: many requests at once, by id
    router.py    which item a request belongs to (its token), 401 for any other key
    item.py      one item's calls: checks, budget, answer (provider or replay), meter, record
    provider.py  litellm's SDK, where the key is; only the API's own fields pass
    meter.py     tokens, cost (litellm's price table), latency, errors; budgets
    recorder.py  <item dir>/llm/calls.jsonl, credentials redacted
    replay.py    --llm-replay: recorded answers, matched by content, in order
    container.py the relay's container per worker, joined to each item's network
"""
