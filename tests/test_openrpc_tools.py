"""The served OpenRPC document through the OpenRPC project's own npm tools, as a new user
would point them at the gateway: the validator (formats checked) and the TypeScript client
generator. Both are installed by `make test` from tests/npm/package-lock.json."""

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Api

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
NPM = ROOT / ".venv" / "npm" / "node_modules"


def node(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "NODE_PATH": str(NPM)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def served(api: Api) -> dict[str, Any]:
    response = await api.client.get("/api/openrpc.json")
    assert response.status == 200
    document: dict[str, Any] = await response.json()
    return document


def validate(document: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "openrpc.json"
    path.write_text(json.dumps(document))
    return node(
        "node", str(ROOT / "tests" / "npm" / "validate_openrpc.cjs"), str(path), cwd=tmp_path
    )


async def test_the_openrpc_validator_accepts_the_served_document(api: Api, tmp_path: Path) -> None:
    document = await served(api)
    checked = validate(document, tmp_path)
    assert checked.returncode == 0 and checked.stdout.strip() == "valid", checked.stdout
    # It checks formats: the relative server URL the gateway once served is refused.
    relative = {**document, "servers": [{"name": "gateway", "url": "/api/jsonrpc"}]}
    refused = validate(relative, tmp_path)
    assert refused.returncode == 1 and 'should match format \\"uri\\"' in refused.stdout


async def test_the_openrpc_generator_writes_a_typescript_client(api: Api, tmp_path: Path) -> None:
    document = await served(api)
    (tmp_path / "openrpc.json").write_text(json.dumps(document))
    config = {
        "openrpcDocument": "./openrpc.json",
        "outDir": "./generated",
        "components": [{"type": "client", "language": "typescript", "name": "gateway-client"}],
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    generator = str(NPM / ".bin" / "open-rpc-generator")
    done = node(generator, "generate", "-c", "config.json", cwd=tmp_path)
    assert done.returncode == 0 and "error" not in done.stdout.lower(), done.stdout + done.stderr
    client = (tmp_path / "generated" / "client" / "typescript" / "src" / "index.ts").read_text()
    for method in document["methods"]:
        assert f"public {method['name']}: " in client, method["name"]
