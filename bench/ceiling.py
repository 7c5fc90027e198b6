"""The ceiling: already-built messages pushed through a pool of four reused aiosmtplib
connections, as a command of its own so that it is timed as the two tools are (start-up
included).

    python bench/ceiling.py PORT COUNT MESSAGE_FILE
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import aiosmtplib

CONNECTIONS = 4


async def push(port: int, messages: list[bytes]) -> None:
    queue: asyncio.Queue[bytes | None] = asyncio.Queue()
    for data in messages:
        queue.put_nowait(data)
    for _ in range(CONNECTIONS):
        queue.put_nowait(None)

    async def worker() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await client.connect()
        while (data := await queue.get()) is not None:
            await client.sendmail("ed@economy.example.org", ["glava@mo.example.org"], data)
        await client.quit()

    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))


def main() -> None:
    port, count, message = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    asyncio.run(push(port, [message.read_bytes()] * count))


if __name__ == "__main__":
    main()
