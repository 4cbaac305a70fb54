"""An async client for bots and scripts.

    async with GatewayClient("http://127.0.0.1:8080", "bot", api_key) as gw:
        customer = await gw.call("customer.info", 5)
        async for customer in gw.iter_customers({"group_id": 1}, page_size=500):
            ...

It logs in on entering and ends its session on leaving; when a session has expired it logs in
again once and repeats the call. Every fault is raised as ``GatewayFault``.

Retries are safe: every call goes with a fresh ``Idempotency-Key`` (reads ignore it), kept
across its own retries, so a write whose answer was lost is answered again rather than done
twice. A call is sent again, as the same bytes, after a connection error, a proxy's 502/503/504
or a fault the gateway marks ``retryable``, up to ``retries`` times, pausing by a capped,
jittered exponential backoff (or the ``retry_after`` the gateway asks for).
"""

import asyncio
import itertools
import json
import random
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Self

import aiohttp

__all__ = ["GatewayClient", "GatewayFault"]

_SESSION_EXPIRED = 5
# What a proxy in front of the gateway answers while the gateway is away.
_GATEWAY_AWAY = frozenset({502, 503, 504})


class GatewayFault(Exception):
    """A fault the gateway answered: its code, stable name, message and details."""

    def __init__(self, error: dict[str, Any]) -> None:
        self.code: int = error.get("code", 0)
        self.message: str = error.get("message", "")
        data = error.get("data")
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        self.fault: str | None = self.data.get("fault")
        self.details: list[dict[str, str]] = self.data.get("details") or []
        super().__init__(f"{self.code} {self.fault or ''}: {self.message}".strip())


class GatewayClient:
    def __init__(
        self,
        url: str,
        username: str,
        api_key: str,
        *,
        http: aiohttp.ClientSession | None = None,
        timeout: float = 60,
        retries: int = 5,
        backoff: float = 0.1,
        max_backoff: float = 5.0,
    ) -> None:
        self.endpoint = url.rstrip("/") + "/api/jsonrpc"
        self._credentials = (username, api_key)
        self._http = http
        self._owns_http = http is None
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._ids = itertools.count(1)
        self.session_id: str | None = None
        self.retries = retries
        self._backoff = backoff
        self._max_backoff = max_backoff

    async def __aenter__(self) -> Self:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=self._timeout)
        try:
            await self.login()
        except BaseException:
            # No __aexit__ follows a failed __aenter__: close what was opened here.
            if self._owns_http:
                await self._http.close()
            raise
        return self

    async def __aexit__(self, *_: object) -> None:
        try:
            if self.session_id is not None:
                await self._rpc("endSession", [self.session_id])
        except (GatewayFault, aiohttp.ClientError):
            pass  # the session expires by itself
        finally:
            if self._owns_http and self._http is not None:
                await self._http.close()

    async def login(self) -> str:
        session_id: str = await self._rpc("login", list(self._credentials))
        self.session_id = session_id
        return session_id

    async def call(self, api_path: str, *args: Any) -> Any:
        """The resource method's result for positional arguments: ``call("customer.info", 5)``."""
        return await self._with_session("call", lambda sid: [sid, api_path, list(args)])

    async def call_named(self, api_path: str, **arguments: Any) -> Any:
        """``call`` with named arguments: ``call_named("customer.info", customerId=5)``."""
        return await self._with_session("call", lambda sid: [sid, api_path, arguments])

    async def multi_call(
        self,
        calls: Sequence[tuple[str, Any]],
        *,
        stop_at_fault: bool = False,
        atomic: bool = False,
    ) -> list[Any]:
        """Each ``(api_path, args)`` in one request; faulting calls come back as slots with
        ``isFault``. ``atomic`` writes all or nothing."""
        options = {"break": stop_at_fault, "atomic": atomic}
        entries = [[path, args] for path, args in calls]
        result: list[Any] = await self._with_session(
            "multiCall", lambda sid: [sid, entries, options]
        )
        return result

    async def iter_customers(
        self, filters: dict[str, Any] | None = None, page_size: int = 100
    ) -> AsyncIterator[dict[str, Any]]:
        """Every matching customer, in id order, fetched a page at a time by keyset."""
        last_id = 0
        while True:
            page_filters = {**(filters or {}), "customer_id": _after(filters, last_id)}
            options = {"order": "customer_id", "limit": page_size}
            page = await self.call("customer.list", page_filters, None, options)
            for customer in page:
                yield customer
            if len(page) < page_size:
                return
            last_id = page[-1]["customer_id"]

    async def _with_session(self, method: str, params: Callable[[str | None], Any]) -> Any:
        """Run with the current session; on ``session_expired`` log in once and run again."""
        key = uuid.uuid4().hex  # one per call, whatever its retries
        if self.session_id is None:
            await self.login()
        try:
            return await self._rpc(method, params(self.session_id), key)
        except GatewayFault as fault:
            if fault.code != _SESSION_EXPIRED:
                raise
        await self.login()
        return await self._rpc(method, params(self.session_id), key)

    async def _rpc(self, method: str, params: Any, key: str | None = None) -> Any:
        """One request, sent again as the same bytes while it fails in a way worth retrying."""
        request = {"jsonrpc": "2.0", "method": method, "params": params, "id": next(self._ids)}
        body = json.dumps(request).encode()
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        for attempt in itertools.count(1):
            last_try = attempt > self.retries
            pause = None
            try:
                answer = await self._post(body, headers)
            except (aiohttp.ClientConnectionError, TimeoutError, _GatewayAway):
                if last_try:
                    raise
            else:
                if "error" not in answer:
                    return answer["result"]
                fault = GatewayFault(answer["error"])
                if last_try or not fault.data.get("retryable"):
                    raise fault
                pause = fault.data.get("retry_after")
            await asyncio.sleep(self._pause(attempt, pause))
        raise AssertionError("unreachable")

    async def _post(self, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        assert self._http is not None, "use the client as 'async with GatewayClient(...)'"
        async with self._http.post(self.endpoint, data=body, headers=headers) as response:
            if response.content_type != "application/json":
                if response.status in _GATEWAY_AWAY:
                    raise _GatewayAway(response.status)
                response.raise_for_status()  # not the gateway's answer: an HTTP error
            answer: dict[str, Any] = await response.json(content_type=None)
            return answer

    def _pause(self, attempt: int, asked: Any) -> float:
        """Exponential, capped, with full jitter; at least what the gateway asked for."""
        ceiling = min(self._max_backoff, self._backoff * 2 ** (attempt - 1))
        pause = random.uniform(0, ceiling)
        if isinstance(asked, int | float) and not isinstance(asked, bool):
            pause = max(pause, min(float(asked), self._max_backoff))
        return pause


class _GatewayAway(Exception):
    """A proxy answered for the gateway, which was not there."""


def _after(filters: dict[str, Any] | None, last_id: int) -> dict[str, Any]:
    """The caller's own customer_id condition, narrowed to ids after ``last_id``."""
    condition = (filters or {}).get("customer_id")
    if condition is None:
        return {"gt": last_id}
    if not isinstance(condition, dict):
        condition = {"in": condition if isinstance(condition, list) else [condition]}
    # Every operator of a condition applies; a "gt" of the caller's own is kept if higher.
    return {**condition, "gt": max(last_id, int(condition.get("gt", last_id)))}
