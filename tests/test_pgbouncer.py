"""Through PgBouncer in transaction mode (Debian's pgbouncer, started here): a representative
part of the suite runs again with every gateway's pool going through it
(``GATEWAY_DB_TRANSACTION_POOLER``: no prepared-statement cache, no startup settings), and
PostgreSQL reached directly only for LISTEN and migrations (``GATEWAY_DIRECT_DATABASE_URL``)."""

import os
import pwd
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.processes import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
# The JSON-RPC surface: calls, batches and multiCalls, customers, addresses, lists and streams,
# sessions and their cache, idempotency keys, stores and the directory.
REPRESENTATIVE = [
    "tests/test_jsonrpc_spec.py",
    "tests/test_calls.py",
    "tests/test_customer_writes.py",
    "tests/test_customer_list.py",
    "tests/test_customer_address.py",
    "tests/test_sessions.py",
    "tests/test_session_cache.py",
    "tests/test_idempotency.py",
    "tests/test_multicall_bounds.py",
    "tests/test_store_directory.py",
]


def pgbouncer_config(folder: Path, port: int, server_url: str, database_user: str) -> Path:
    parts = urlsplit(server_url)
    socket_folder = parse_qs(parts.query).get("host", [None])[0]
    host = socket_folder or parts.hostname or "127.0.0.1"
    (folder / "users.txt").write_text(f'"{database_user}" ""\n')
    config = folder / "pgbouncer.ini"
    config.write_text(
        "[databases]\n"
        f"* = host={host} port={parts.port or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\n"
        f"unix_socket_dir = {folder}\n"
        "auth_type = trust\n"
        f"auth_file = {folder / 'users.txt'}\n"
        "pool_mode = transaction\n"
        "default_pool_size = 20\nmax_client_conn = 500\n"
        f"logfile = {folder / 'pgbouncer.log'}\npidfile = {folder / 'pgbouncer.pid'}\n"
    )
    return config


@pytest.fixture(scope="module")
def pgbouncer(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PgBouncer in transaction mode in front of the test server: its URL."""
    executable = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    folder = tmp_path_factory.mktemp("pgbouncer")
    port = free_port()
    user = urlsplit(server_url).username or "postgres"
    config = pgbouncer_config(folder, port, server_url, user)
    command = [executable, str(config)]
    if os.geteuid() == 0:
        # PgBouncer refuses to run as root: as the user that runs the embedded PostgreSQL.
        owner = Path(parse_qs(urlsplit(server_url).query).get("host", ["/tmp"])[0]).owner()
        account = pwd.getpwnam(owner if owner != "root" else "nobody")
        for path in (folder, *folder.iterdir()):
            os.chown(path, account.pw_uid, account.pw_gid)
        command = ["runuser", "-u", account.pw_name, "--", *command]
    # Its log goes to its logfile; unread, a pipe would fill and stop it.
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not (folder / "pgbouncer.pid").exists():
            assert process.poll() is None and time.monotonic() < deadline, "pgbouncer"
            time.sleep(0.05)
        yield f"postgresql://{user}@127.0.0.1:{port}/postgres"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_json_rpc_surface_works_through_pgbouncer_in_transaction_mode(
    pgbouncer: str, server_url: str
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": server_url,
        "GATEWAY_TEST_POOLER": pgbouncer,
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow",
         *REPRESENTATIVE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    summary = done.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary, summary
    print(f"\npgbouncer (transaction mode): {summary}")
