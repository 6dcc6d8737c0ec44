"""A minimal-CPU provider stub for ``sync-engine bench --baseline`` (issue #17).

Not a simulator: it checks nothing and answers every request, after the configured
latency, with one canned body chosen by path — so its own CPU does not drown the figures of
the engine and of the bare chain it is compared with. Both sides talk to the same stub.

    python -m sync_engine.devtools.bench_stub --port 8999 --latency-ms 50

``GET /__count`` answers the number of requests served so far (per path and in total), so
the benchmark can give the bare chain exactly as many provider calls as the engine made.

The SinApp create answer is the documented success shape (``success: true`` and a top-level
``invoice_number``, seed 001): the engine's adapter reads it as it would the real one's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter

# Path → body. Anything else gets the generic ``{"success": true}``.
ANSWERS: dict[str, bytes] = {
    "/sinapp/api/v1/invoice_operations.php": b'{"success": true, "invoice_number": "SNP2026000000001"}',
}
GENERIC = b'{"success": true}'


def _response(body: bytes) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
        + str(len(body)).encode() + b"\r\n\r\n" + body
    )


class Stub:
    def __init__(self, latency_s: float) -> None:
        self.latency_s = latency_s
        self.counts: Counter[str] = Counter()
        self.canned = {path: _response(body) for path, body in ANSWERS.items()}
        self.generic = _response(GENERIC)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, _, rest = head.partition(b"\r\n")
                length = 0
                for line in rest.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                parts = request_line.split(b" ")
                path = parts[1].split(b"?", 1)[0].decode() if len(parts) > 1 else "/"
                if path == "/__count":
                    body = json.dumps({"total": sum(self.counts.values()), "paths": self.counts}).encode()
                    writer.write(_response(body))
                    await writer.drain()
                    continue
                self.counts[path] += 1
                if self.latency_s:
                    await asyncio.sleep(self.latency_s)
                writer.write(self.canned.get(path, self.generic))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()


async def serve(port: int, latency_ms: float) -> None:
    stub = Stub(latency_ms / 1000)
    server = await asyncio.start_server(stub.handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.latency_ms))


if __name__ == "__main__":
    main()
