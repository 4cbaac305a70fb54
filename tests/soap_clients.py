"""Real SOAP clients for the tests: PHP's SoapClient (Debian's php-cli and php-soap) running a
script, and zeep, each against a gateway served by the test."""

import asyncio
import json
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zeep
from zeep.cache import InMemoryCache
from zeep.transports import Transport

__all__ = ["PhpRun", "run_php", "zeep_client"]

# What every script gets before its own code: Maho's dump helper (its examples call it), and,
# when it exits, the variables the examples leave behind and any SoapFault, as JSON.
PRELUDE = r"""<?php
function mp($value) { echo "\n==MP==", json_encode($value), "\n"; }
$sessionId = getenv('GATEWAY_SESSION') ?: null;
set_exception_handler(function ($e) {
    echo "\n==FAULT==", json_encode([
        'faultcode' => $e->faultcode ?? null,
        'faultstring' => $e->faultstring ?? $e->getMessage(),
        'detail' => $e->detail ?? null,
    ]), "\n";
});
register_shutdown_function(function () {
    $left = [];
    foreach (['newCustomerId', 'newAddressId', 'result', 'session', 'sessionId'] as $name) {
        if (array_key_exists($name, $GLOBALS)) { $left[$name] = $GLOBALS[$name]; }
    }
    echo "\n==LEFT==", json_encode($left), "\n";
});
"""


@dataclass
class PhpRun:
    output: str  # everything the script printed (var_dump's output among it)
    dumped: list[Any]  # what it printed with mp()
    left: dict[str, Any]  # its variables at the end
    fault: dict[str, Any] | None  # the SoapFault it ended with, if one


def _marked(text: str, marker: str) -> list[Any]:
    return [
        json.loads(line[len(marker) :]) for line in text.splitlines() if line.startswith(marker)
    ]


async def run_php(
    code: str,
    base_url: str,
    *,
    session: str | None = None,
    tmp: Path,
    env: dict[str, str] | None = None,
) -> PhpRun:
    """Run PHP ``code`` (without its ``<?php``) with the prelude; hosts the seeds name (and
    ``GATEWAY``) point at ``base_url``."""
    for host in ("https://mahohost", "http://magentohost", "http://GATEWAY"):
        code = code.replace(host, base_url)
    script = tmp / "example.php"
    script.write_text(PRELUDE + code.removeprefix("<?php"), encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        "php",
        "-d",
        "soap.wsdl_cache_enabled=0",
        "-d",
        "display_errors=stderr",
        str(script),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "GATEWAY_SESSION": session or "", **(env or {})},
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    text = out.decode()
    left = _marked(text, "==LEFT==")
    assert left, (text, err.decode())
    faults = _marked(text, "==FAULT==")
    return PhpRun(text, _marked(text, "==MP=="), left[0], faults[0] if faults else None)


def zeep_client(base_url: str, path: str) -> zeep.Client:
    """zeep on the WSDL at ``path``; the SOAP encoding schema, which zeep fetches from its
    canonical address, is taken from the gateway's own copy (this machine is offline)."""
    cache = InMemoryCache()
    with urllib.request.urlopen(f"{base_url}/api/soap/encoding.xsd", timeout=10) as schema:  # noqa: S310
        cache.add("http://schemas.xmlsoap.org/soap/encoding/", schema.read())
    return zeep.Client(f"{base_url}{path}?wsdl", transport=Transport(cache=cache))
