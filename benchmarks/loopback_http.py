"""A lean HTTP/1.1 client for load on loopback: one connection per request, read to the end.

The load generator shares the server's two cores, so every millisecond it spends is one the
server under test does not get. gunicorn's sync workers close the connection after each
response, so a client gains nothing from connection pools, keep-alive or streaming; this one
writes the request on a plain socket, reads until the server closes, and splits status,
headers and body.
On these machines it costs about half the client CPU per request of aiohttp's client
(0.18-0.23 ms against 0.35-0.41 ms; ``python benchmarks/loopback_http.py`` compares the two
against a local server).
"""
from __future__ import annotations

import asyncio
import json as jsonlib
import socket
from urllib.parse import urlsplit


class HTTPError(RuntimeError):
    """The exchange failed: refused, reset, timed out or a malformed response."""


class LoopbackHTTP:
    """``await client.request("PUT", "/path", headers, body)`` -> ``(status, body bytes)``."""

    def __init__(self, base: str, timeout_s: float = 30.0):
        parts = urlsplit(base)
        self.address = (parts.hostname, parts.port or 80)
        self.host_header = f"Host: {parts.netloc}\r\n".encode()
        self.timeout_s = timeout_s

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                      body: bytes | str | None = None) -> tuple[int, bytes]:
        if isinstance(body, str):
            body = body.encode()
        head = [f"{method} {path} HTTP/1.1\r\n".encode(), self.host_header, b"Connection: close\r\n"]
        head += [f"{k}: {v}\r\n".encode() for k, v in (headers or {}).items()]
        if body is not None:
            head.append(f"Content-Length: {len(body)}\r\n".encode())
        head.append(b"\r\n")
        request = b"".join(head) + (body or b"")
        # The loop's socket calls: cheaper than a transport and protocol per connection.
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        chunks = []
        try:
            async with asyncio.timeout(self.timeout_s):
                await loop.sock_connect(sock, self.address)
                await loop.sock_sendall(sock, request)
                while data := await loop.sock_recv(sock, 65536):
                    chunks.append(data)
        except (OSError, TimeoutError) as exc:
            raise HTTPError(repr(exc)) from exc
        finally:
            sock.close()
        return _parse(b"".join(chunks))

    async def json(self, method: str, path: str, headers: dict[str, str] | None = None,
                   payload=None) -> tuple[int, bytes]:
        body = None if payload is None else jsonlib.dumps(payload)
        headers = {**(headers or {}), "Content-Type": "application/json"} if body is not None else headers
        return await self.request(method, path, headers, body)


def _parse(raw: bytes) -> tuple[int, bytes]:
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep or not head.startswith(b"HTTP/1."):
        raise HTTPError(f"malformed response: {raw[:80]!r}")
    status = int(head[9:12])
    lowered = head.lower()
    if b"transfer-encoding: chunked" in lowered:
        body = _dechunk(body)
    return status, body


def _dechunk(body: bytes) -> bytes:
    out, at = [], 0
    while True:
        line_end = body.index(b"\r\n", at)
        size = int(body[at:line_end].split(b";")[0], 16)
        if size == 0:
            return b"".join(out)
        out.append(body[line_end + 2:line_end + 2 + size])
        at = line_end + 2 + size + 2


async def _compare(n: int) -> None:
    """CPU per request of this client and of aiohttp's, against a tiny server in a thread of
    its own (so only the client's thread is counted)."""
    import threading
    import time

    import aiohttp

    async def serve(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
                     b"Connection: close\r\n\r\n{\"ok\":true}")
        await writer.drain()
        writer.close()

    ready, server_loop = threading.Event(), asyncio.new_event_loop()
    port = []

    def run_server():
        asyncio.set_event_loop(server_loop)
        server = server_loop.run_until_complete(asyncio.start_server(serve, "127.0.0.1", 0))
        port.append(server.sockets[0].getsockname()[1])
        ready.set()
        server_loop.run_forever()

    threading.Thread(target=run_server, daemon=True).start()
    ready.wait()
    base = f"http://127.0.0.1:{port[0]}"
    lean = LoopbackHTTP(base)
    started = time.thread_time()
    for _ in range(n):
        assert (await lean.request("GET", "/"))[0] == 200
    lean_cpu = time.thread_time() - started
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True)) as http:
        started = time.thread_time()
        for _ in range(n):
            async with http.get(base + "/") as resp:
                await resp.read()
        aio_cpu = time.thread_time() - started
    server_loop.call_soon_threadsafe(server_loop.stop)
    print(f"client CPU per request: lean {1000 * lean_cpu / n:.3f} ms, aiohttp {1000 * aio_cpu / n:.3f} ms "
          f"(ratio {lean_cpu / aio_cpu:.2f})")


if __name__ == "__main__":
    asyncio.run(_compare(3000))
