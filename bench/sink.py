"""An SMTP sink for the benchmarks: aiosmtpd on 127.0.0.1 that only counts what it receives.

Run as its own process (so that it does not share the client's interpreter):
    python bench/sink.py PORT [DELAY_SECONDS]
It prints "ready" when it listens, and the count of messages on SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

from aiosmtpd.controller import Controller


class Counter:
    def __init__(self, delay: float) -> None:
        self.count = 0
        self.delay = delay

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.count += 1
        return "250 2.0.0 Ok"


def main() -> None:
    port = int(sys.argv[1])
    delay = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    counter = Counter(delay)
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    stop = False

    def on_term(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    while not stop:
        signal.pause()
    controller.stop()
    print(counter.count, flush=True)


if __name__ == "__main__":
    main()
