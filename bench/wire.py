"""Counting on the wire, and CPU time by process: what a server asks of PostgreSQL per call.

``counting_proxy`` relays PostgreSQL's protocol between a server and the database and counts
the statements the server sends: each ``Query`` (simple protocol: BEGIN, COMMIT, ...) and each
``Execute`` (extended protocol: asyncpg's statements). Nothing in the server is changed or
instrumented, so the gateway and the baseline are counted alike.
"""

import asyncio
import os
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

__all__ = ["Statements", "counting_proxy", "cpu_seconds", "postgres_pids"]

_SSL_REQUEST = 80877103
_GSS_REQUEST = 80877104
_COUNTED = frozenset(b"QE")


class Statements:
    """Statements seen so far; ``reset`` starts a new count."""

    def __init__(self) -> None:
        self.count = 0

    def reset(self) -> None:
        self.count = 0


async def _relay_server_to_client(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    while data := await reader.read(1 << 16):
        writer.write(data)
        await writer.drain()
    writer.close()


async def _relay_client_to_server(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, statements: Statements
) -> None:
    # Untyped messages first: SSL/GSS requests (answered "N" by the server), then the startup.
    while True:
        head = await reader.readexactly(8)
        length, code = struct.unpack("!ii", head)
        writer.write(head + await reader.readexactly(length - 8))
        if code not in (_SSL_REQUEST, _GSS_REQUEST):
            break
    while True:
        kind = await reader.readexactly(1)
        (length,) = struct.unpack("!i", await reader.readexactly(4))
        body = await reader.readexactly(length - 4)
        if kind[0] in _COUNTED:
            statements.count += 1
        writer.write(kind + struct.pack("!i", length) + body)
        await writer.drain()


def _target(database_url: str) -> tuple[str | None, str | int, str]:
    """(unix socket folder or None, host or port, database name) of a PostgreSQL URL."""
    parts = urlsplit(database_url)
    socket_folder = parse_qs(parts.query).get("host", [None])[0]
    if socket_folder:
        return socket_folder, parts.port or 5432, parts.path.lstrip("/")
    return None, f"{parts.hostname}:{parts.port or 5432}", parts.path.lstrip("/")


@contextmanager
def counting_proxy(database_url: str) -> Iterator[tuple[str, Statements]]:
    """A URL that reaches ``database_url`` through a counting relay, and its count."""
    socket_folder, where, _ = _target(database_url)
    statements = Statements()
    loop = asyncio.new_event_loop()

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if socket_folder is not None:
            return await asyncio.open_unix_connection(f"{socket_folder}/.s.PGSQL.{where}")
        host, port = str(where).rsplit(":", 1)
        return await asyncio.open_connection(host, int(port))

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await connect()
        try:
            await asyncio.gather(
                _relay_client_to_server(reader, upstream_writer, statements),
                _relay_server_to_client(upstream_reader, writer),
            )
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            upstream_writer.close()

    async def listen() -> asyncio.Server:
        return await asyncio.start_server(relay, "127.0.0.1", 0)

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    listener = asyncio.run_coroutine_threadsafe(listen(), loop).result(10)
    port = listener.sockets[0].getsockname()[1]
    parts = urlsplit(database_url)
    user = parts.username or "postgres"
    url = urlunsplit(("postgresql", f"{user}@127.0.0.1:{port}", parts.path, "", ""))
    try:
        yield url, statements
    finally:
        loop.call_soon_threadsafe(listener.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_pids(data_folder: Path) -> list[int]:
    """The processes of the PostgreSQL server whose data is in ``data_folder``: the
    postmaster and its children (backends, writers)."""
    postmaster = int((data_folder / "postmaster.pid").read_text().split()[0])
    pids = [postmaster]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError):
                continue
            if parent == postmaster:
                pids.append(int(entry.name))
    return pids
