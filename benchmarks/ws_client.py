"""The client side of ws_echo.py: CONNECTIONS WebSockets, each sending MESSAGES text messages
one at a time and awaiting each echo. Prints the messages echoed and the seconds taken.

    python ws_client.py PORT CONNECTIONS MESSAGES SIZE
"""

import asyncio
import sys
import time

from websockets.asyncio.client import connect


async def one(url: str, messages: int, payload: str) -> int:
    async with connect(url, compression=None, max_size=None) as ws:
        for _ in range(messages):
            await ws.send(payload)
            if await ws.recv() != payload:
                raise SystemExit("the echo differs from the message sent")
    return messages


async def main(port: int, connections: int, messages: int, size: int) -> None:
    url = f"ws://127.0.0.1:{port}/echo"
    started = time.perf_counter()
    done = await asyncio.gather(*(one(url, messages, "x" * size) for _ in range(connections)))
    print(sum(done), time.perf_counter() - started)


if __name__ == "__main__":
    asyncio.run(main(*map(int, sys.argv[1:5])))
