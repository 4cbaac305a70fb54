"""The command line: ``serve``, ``db upgrade``, ``user add|list|disable|remove`` and the
commands of ``gateway.commands`` (``attribute``)."""

import argparse
import asyncio
import contextlib
import ctypes
import os
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
from aiohttp import web

from gateway.auth import users
from gateway.auth.acl import ALL
from gateway.auth.passwords import SecretHasher, is_importable_hash
from gateway.commands import attributes
from gateway.database import database_url, directly_connected, upgrade
from gateway.logs import configure_logging
from gateway.resources import acl_paths
from gateway.settings import Settings

__all__ = ["main"]

T = TypeVar("T")

FIRST_USER = "admin"
# Whoever takes this lock first creates the first user; the others then see it exists.
_FIRST_USER_LOCK = 0x6669_7273_7475_73


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the gateway")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, help="processes sharing the port")

    db = commands.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])

    user = commands.add_parser("user", help="manage API users")
    actions = user.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="create an API user")
    add.add_argument("name")
    key = add.add_mutually_exclusive_group(required=True)
    key.add_argument("--api-key", help="the key, or - to read it from standard input")
    key.add_argument("--api-key-hash", help="a key hash imported from Magento")
    add.add_argument(
        "--allow", action="append", default=[], metavar="RESOURCE", help="an ACL path, or all"
    )
    actions.add_parser("list", help="list API users")
    for action in ("disable", "remove"):
        actions.add_parser(action, help=f"{action} an API user").add_argument("name")
    attributes.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides = {k: v for k in ("host", "port", "workers") if (v := getattr(args, k, None))}
    settings = Settings(**overrides)
    configure_logging(settings.log_level)
    settings = settings.model_copy(update={"database_url": database_url(settings)})
    if args.command == "serve":
        _stop_cleanly_until_serving()
        asyncio.run(_with_connection(settings, _prepare))
        return _serve(settings)
    if args.command == "attribute":
        return asyncio.run(_with_connection(settings, lambda c: _upgraded(c, attributes.run, args)))
    if args.command == "db":
        applied = asyncio.run(_with_connection(settings, upgrade))
        print(f"applied: {', '.join(applied)}" if applied else "schema is up to date")
        return 0
    return asyncio.run(_with_connection(settings, lambda c: _user_command(c, settings, args)))


async def _with_connection(
    settings: Settings, work: Callable[[asyncpg.Connection], Awaitable[T]]
) -> T:
    assert settings.database_url
    # Migrations take a session-level lock: PostgreSQL's own URL when behind a pooler.
    url = settings.direct_database_url or settings.database_url
    async with directly_connected(settings, url) as connection:
        return await work(connection)


async def _upgraded(
    connection: asyncpg.Connection,
    command: Callable[[asyncpg.Connection, argparse.Namespace], Awaitable[int]],
    args: argparse.Namespace,
) -> int:
    """A command on a database with the schema applied."""
    await upgrade(connection)
    return await command(connection, args)


async def _prepare(connection: asyncpg.Connection) -> None:
    """Apply the schema; on a database with no API user, create ``admin`` and show its key once."""
    await upgrade(connection)
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", _FIRST_USER_LOCK)
        if await users.any_user_exists(connection):
            return
        api_key = secrets.token_urlsafe(24)
        key_hash = await SecretHasher(1).hash(api_key)
        await users.add_user(connection, FIRST_USER, key_hash, [ALL])
    print(
        f"Created the first API user '{FIRST_USER}' (allowed: all).\n"
        f"Its API key, shown only this once: {api_key}",
        flush=True,
    )


async def _user_command(
    connection: asyncpg.Connection, settings: Settings, args: argparse.Namespace
) -> int:
    await upgrade(connection)
    if args.action == "list":
        for user in await users.list_users(connection):
            state = "active" if user.is_active else "disabled"
            print(f"{user.username}\t{state}\t{','.join(user.resources) or '-'}")
        return 0
    if args.action in ("disable", "remove"):
        change = users.disable_user if args.action == "disable" else users.remove_user
        if not await change(connection, args.name):
            print(f"no API user named {args.name!r}", file=sys.stderr)
            return 1
        return 0
    unknown = sorted(set(args.allow) - acl_paths())
    if unknown:
        print(f"unknown ACL paths: {', '.join(unknown)}", file=sys.stderr)
        return 2
    if args.api_key_hash is not None:
        if not is_importable_hash(args.api_key_hash):
            print("not an Argon2id, bcrypt, md5 or sha256 key hash", file=sys.stderr)
            return 2
        key_hash = args.api_key_hash
    else:
        api_key = sys.stdin.readline().rstrip("\n") if args.api_key == "-" else args.api_key
        if not api_key:
            print("an API key may not be empty", file=sys.stderr)
            return 2
        key_hash = await SecretHasher(1).hash(api_key)
    try:
        await users.add_user(connection, args.name, key_hash, args.allow)
    except asyncpg.UniqueViolationError:
        print(f"an API user named {args.name!r} exists already", file=sys.stderr)
        return 1
    return 0


def _run_worker(settings: Settings, reuse_port: bool) -> None:
    from gateway.app import create_app  # the server's imports are not needed by other commands

    app = create_app(settings)
    # A stop that comes from here on is held until the server has set its own handlers (the
    # first thing it does, before starting the application): one that came in between would
    # otherwise reach a handler that is no longer there, and be lost.
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    app.on_startup.insert(0, _take_stops)
    loop: asyncio.AbstractEventLoop
    try:
        import uvloop

        loop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        reuse_port=reuse_port or None,
        # A connection idle (or still sending its request's headers) this long is closed.
        keepalive_timeout=settings.keepalive_timeout,
        # After a refused body (408, 413), the rest of it is read and ignored this long, so
        # that a client still sending can read the refusal; then the connection is dropped.
        lingering_time=2.0,
        access_log=None,
        loop=loop,
        print=lambda text: print(text, flush=True),
    )


_STOPS = {signal.SIGINT, signal.SIGTERM}


async def _take_stops(_: web.Application) -> None:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)


class _StopRequested(SystemExit):
    """A stop signal that came before the server took over signal handling."""


def _stop_before_serving(signum: int, _: Any) -> None:
    raise _StopRequested(0)


def _stop_cleanly_until_serving() -> None:
    """Until the server installs its own handlers, a stop (SIGTERM or Ctrl-C) ends this process
    cleanly, exit handlers included, instead of killing it mid-start."""
    signal.signal(signal.SIGINT, _stop_before_serving)
    signal.signal(signal.SIGTERM, _stop_before_serving)


def _worker_process(settings: Settings) -> int:
    """Runs one forked worker; its exit status. The parent's exit handlers are skipped by the
    caller (they would stop the embedded database)."""
    try:
        _run_worker(settings, reuse_port=True)
    except _StopRequested:
        return 0
    except BaseException:
        return 1
    return 0


# Linux's prctl option: the signal a process gets when its parent dies.
_PR_SET_PDEATHSIG = 1


def _end_with(master: int) -> None:
    """A worker stops (SIGTERM, as from the master) when the master dies, however it dies, so
    that no worker outlives it on the shared port. Outside Linux, it does not."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != master:  # the master died before the request took hold
        os.kill(os.getpid(), signal.SIGTERM)


def _serve(settings: Settings) -> int:
    if settings.workers == 1:
        _run_worker(settings, reuse_port=False)
        return 0
    # N processes on one port (SO_REUSEPORT): the kernel spreads connections between them.
    children: list[int] = []

    def forward(signum: int, _: Any) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signum)

    # Set before the first fork, so that a stop asked for while the workers start is not lost.
    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    master = os.getpid()
    for _ in range(settings.workers):
        # Held back across the fork, so that each stop reaches every child already forked;
        # a child holds them until its server takes them (_run_worker).
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
        pid = os.fork()
        if pid == 0:
            _stop_cleanly_until_serving()
            _end_with(master)
            os._exit(_worker_process(settings))
        children.append(pid)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)
    status = 0
    for child in children:
        _, code = os.waitpid(child, 0)
        status = status or os.waitstatus_to_exitcode(code)
    return status
