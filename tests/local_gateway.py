"""The gateway's relay and its host end joined in this process by two pipes, listening on loopback:
the whole request path (HTTP, the relay's frames, the host's router and items) without a container.
The integration tests run the same relay in a real container; the unit tests and the bench use this.

    with LocalGateway() as gw:
        item = gw.add_item(ItemGateway(...))
        httpx.post(f"{gw.url}/chat/completions", headers={"Authorization": f"Bearer {item.token}"}, ...)
"""

from __future__ import annotations

import os
import threading

from pytest_agentbench.gateway import relay
from pytest_agentbench.gateway.channel import Channel
from pytest_agentbench.gateway.item import ItemGateway
from pytest_agentbench.gateway.router import Router


class LocalGateway:
    def __init__(self):
        self.router = Router()
        self.channel = Channel(self.router.handle)
        to_host_r, to_host_w = os.pipe()
        to_relay_r, to_relay_w = os.pipe()
        self._to_host = os.fdopen(to_host_r, "rb")
        self._to_relay = os.fdopen(to_relay_w, "wb")
        relay_out, relay_in = os.fdopen(to_host_w, "wb"), os.fdopen(to_relay_r, "rb")

        def send(data: bytes) -> None:
            self._to_relay.write(data)
            self._to_relay.flush()

        self.channel.connect(send)
        self.port: int | None = None
        self._relay = threading.Thread(target=self._serve, args=(relay_out, relay_in), daemon=True)
        self._reader = threading.Thread(target=self._read, daemon=True)

    def _serve(self, out, inp) -> None:
        try:
            relay.serve(0, out, inp, address="127.0.0.1")
        finally:
            out.close()

    def _read(self) -> None:
        import json

        for line in self._to_host:
            frame = json.loads(line)
            if frame.get("ready"):
                self.port = frame["port"]
            self.channel.on_line(line.rstrip(b"\n"))

    def start(self) -> "LocalGateway":
        self._relay.start()
        self._reader.start()
        if not self.channel.ready.wait(10):
            raise RuntimeError("the relay did not start")
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def add_item(self, item: ItemGateway) -> ItemGateway:
        self.router.add(item)
        return item

    def stop(self) -> None:
        self._to_relay.close()  # the relay sees its input end, as when the host hangs up
        self._relay.join(10)
        self.channel.close()

    def __enter__(self) -> "LocalGateway":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
