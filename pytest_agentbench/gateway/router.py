"""Which item a request belongs to: the token its agent was given, from the item's own network.

One relay (one gateway container per worker) serves every item the worker runs; the router hands
each request to its item, and answers 401 to any other key, without passing it anywhere.
"""

from __future__ import annotations

import hashlib

from .channel import Reply
from .errors import GatewayError
from .item import ItemGateway

UNKNOWN_KEY = GatewayError(401, "invalid API key: this gateway answers only the key the harness gave this item "
                                "(its OPENAI_API_KEY)", "invalid_api_key")


def _digest(token: str) -> bytes:
    # Looked up by a hash, so the lookup's timing says nothing about how much of a guess was right.
    return hashlib.sha256(token.encode()).digest()


class Router:
    def __init__(self):
        self._items: dict[bytes, ItemGateway] = {}

    def add(self, item: ItemGateway) -> None:
        self._items[_digest(item.token)] = item

    def remove(self, item: ItemGateway) -> None:
        self._items.pop(_digest(item.token), None)

    async def handle(self, request: dict, reply: Reply) -> None:
        auth = request.get("auth") or ""
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        item = self._items.get(_digest(token)) if token else None
        if item is None or not item.accepts(request.get("peer")):
            return reply.error(UNKNOWN_KEY)
        await item.handle(request, reply)
