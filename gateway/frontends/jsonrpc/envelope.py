"""The JSON-RPC 2.0 envelope: bytes in, response parts out.

jsonrpcserver provides the method table's type, the error a method raises (``JsonRpcError``)
and the standard errors with their codes. Its dispatcher is not used (docs/performance.md says
why); this module owns the request rules:

- requests are parsed with orjson and checked by hand against the specification's rules
  (``_check``), so that a malformed request never reaches a method;
- a batch is split here, each element answered on its own, and bounded in size;
- params are checked against each method's signature, read once (``_fits``);
- an unexpected error is answered with the request id, never its text.

Results may hold ``RowStream`` values (a long list read while it is written); the encoder
leaves a hole for each, and the endpoint fills it as it writes.
"""

import inspect
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from jsonrpcserver.codes import ERROR_INVALID_REQUEST, ERROR_PARSE_ERROR
from jsonrpcserver.exceptions import JsonRpcError
from jsonrpcserver.methods import Methods
from jsonrpcserver.result import (
    ErrorResult,
    InternalErrorResult,
    InvalidParamsResult,
    MethodNotFoundResult,
)
from jsonrpcserver.sentinels import NODATA

from gateway.naming import snake_case
from gateway.resources.kit import RowStream

__all__ = ["Part", "encode", "handle"]

log = logging.getLogger(__name__)


Part = bytes | RowStream

_ALLOWED_KEYS = frozenset({"jsonrpc", "method", "params", "id"})
# A float this large came from an integer beyond 64 bits: echoed, it would not be that id.
_EXACT_FLOAT = 2.0**63


@dataclass(frozen=True, slots=True)
class _Request:
    """A checked request: its method, its params (named ones folded to snake_case), its id,
    and the version of its answer: "2.0", or "1.0" for a request without "jsonrpc"
    (as OpenMage answers those)."""

    method: str
    params: list[Any] | dict[str, Any]
    id: Any
    notification: bool
    version: str


def _answer(version: str, request_id: Any, *, result: Any = None, error: Any = None) -> Any:
    if version == "1.0":
        return {"result": result, "error": error, "id": request_id}
    if error is not None:
        return {"jsonrpc": "2.0", "error": error, "id": request_id}
    return {"jsonrpc": "2.0", "result": result, "id": request_id}


def _error(
    code: int, message: str, request_id: Any = None, data: Any = NODATA, version: str = "2.0"
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not NODATA:
        error["data"] = data
    answer: dict[str, Any] = _answer(version, request_id, error=error)
    return answer


def _invalid(reason: str, request_id: Any = None, version: str = "2.0") -> dict[str, Any]:
    return _error(ERROR_INVALID_REQUEST, "Invalid Request", request_id, reason, version)


def _positional(params: dict[str, Any]) -> list[Any] | None:
    """Params that PHP encoded from a list (``{"0": …, "1": …}``), as that list."""
    if params and list(params) == [str(n) for n in range(len(params))]:
        return list(params.values())
    return None


def _check(request: Any, *, in_batch: bool) -> _Request | str:
    """The request, or why it is not one (the data of its -32600). Besides JSON-RPC 2.0, a
    single request without "jsonrpc" is JSON-RPC 1.0, and "jsonrpc": 2.0 as a number is
    "2.0", as OpenMage takes them."""
    # Exact types: the request comes from orjson (a bool is not an id).
    if type(request) is not dict:
        return "a request must be a JSON object"
    version = request.get("jsonrpc", "1.0")
    if version == 2.0 and type(version) is float:
        version = "2.0"
    if version not in ("2.0", "1.0") or ("jsonrpc" in request and version != "2.0"):
        return '"jsonrpc" must be "2.0"'
    if version == "1.0" and in_batch:
        return 'a batch element must say "jsonrpc": "2.0"'
    unknown = request.keys() - _ALLOWED_KEYS
    if unknown:
        return f"unknown member '{sorted(unknown)[0]}'"
    if type(request.get("method")) is not str:
        return '"method" must be a string'
    request_id = request.get("id")
    if request_id is not None and type(request_id) not in (str, int, float):
        return '"id" must be a string, a number or null'
    if type(request_id) is float and not -_EXACT_FLOAT < request_id < _EXACT_FLOAT:
        return '"id" must fit in 64 bits, so that it can be echoed exactly'
    params = request.get("params", [])
    if type(params) is dict:
        params = _positional(params) or {snake_case(k): v for k, v in params.items()}
    elif type(params) is not list:
        return '"params" must be an array or an object'
    notification = "id" not in request if version == "2.0" else request_id is None
    return _Request(request["method"], params, request_id, notification, version)


def _error_answer(error: ErrorResult, request: _Request) -> dict[str, Any]:
    return _error(error.code, error.message, request.id, error.data, request.version)


async def _dispatch_one(
    methods: Methods, context: Any, raw: Any, request_id_of_log: str, *, in_batch: bool
) -> dict[str, Any] | None:
    request = _check(raw, in_batch=in_batch)
    if isinstance(request, str):
        return _invalid(request, _echoable_id(raw))
    method = methods.get(request.method)
    if method is None:
        answer = _error_answer(MethodNotFoundResult(request.method), request)
    elif not _fits(method, request.params):
        answer = _error_answer(
            InvalidParamsResult("the params do not fit the method's parameters"), request
        )
    else:
        params = request.params
        try:
            result = await (
                method(context, *params) if isinstance(params, list) else method(context, **params)
            )
            answer = _answer(request.version, request.id, result=result)
        except JsonRpcError as error:
            answer = _error(error.code, error.message, request.id, error.data, request.version)
        except Exception:
            # The methods turn their own failures into JsonRpcError; anything else is a bug,
            # logged here and answered with the request id only.
            log.exception("internal error", extra={"request_id": request_id_of_log})
            answer = _error_answer(InternalErrorResult({"request_id": request_id_of_log}), request)
    return None if request.notification else answer


def _echoable_id(raw: Any) -> Any:
    """The id of a request refused as invalid, when it is one that can be echoed."""
    request_id = raw.get("id") if type(raw) is dict else None
    if type(request_id) in (str, int) or (
        type(request_id) is float and -_EXACT_FLOAT < request_id < _EXACT_FLOAT
    ):
        return request_id
    return None


@dataclass(frozen=True, slots=True)
class _Shape:
    """What a method accepts, read once from its signature (the first parameter is the
    context, which the dispatcher passes itself)."""

    context: str
    names: tuple[str, ...]
    required: int
    more_positional: bool
    more_named: bool

    @classmethod
    def of(cls, method: Callable[..., Any]) -> "_Shape":
        context, *parameters = inspect.signature(method).parameters.values()
        plain = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        return cls(
            context=context.name,
            names=tuple(p.name for p in plain),
            required=sum(p.default is p.empty for p in plain),
            more_positional=any(p.kind is p.VAR_POSITIONAL for p in parameters),
            more_named=any(p.kind is p.VAR_KEYWORD for p in parameters),
        )


_shapes: dict[Callable[..., Any], _Shape] = {}


def _fits(method: Callable[..., Any], params: Any) -> bool:
    """Whether ``params`` bind to the method's parameters, as Signature.bind would judge."""
    shape = _shapes.get(method)
    if shape is None:
        shape = _shapes[method] = _Shape.of(method)
    if isinstance(params, list):
        return shape.required <= len(params) and (
            len(params) <= len(shape.names) or shape.more_positional
        )
    required = shape.names[: shape.required]
    return (
        shape.context not in params
        and all(name in params for name in required)
        and (shape.more_named or all(name in shape.names for name in params))
    )


async def handle(
    body: bytes, methods: Methods, context: Any, *, max_batch: int, request_id_of_log: str
) -> list[Part] | None:
    """The response body for ``body`` as parts, or None when nothing is owed (HTTP 204).

    Batch elements run one after another: they share the request's one connection.
    """
    try:
        request = orjson.loads(body)
    except orjson.JSONDecodeError:
        return encode(_error(ERROR_PARSE_ERROR, "Parse error"))
    if not isinstance(request, list):
        answer = await _dispatch_one(methods, context, request, request_id_of_log, in_batch=False)
        return None if answer is None else encode(answer)
    if not request:
        return encode(_invalid("an empty batch"))
    if len(request) > max_batch:
        # One error per element, each with its id: clients match answers to requests so.
        reason = f"a batch may hold at most {max_batch} requests (GATEWAY_MAX_BATCH)"
        return encode([_invalid(reason, _echoable_id(element)) for element in request])
    answers = []
    for element in request:
        answer = await _dispatch_one(methods, context, element, request_id_of_log, in_batch=True)
        if answer is not None:
            answers.append(answer)
    return encode(answers) if answers else None


def encode(value: Any) -> list[Part]:
    """Serialise ``value``; each ``RowStream`` inside it becomes a part of its own."""
    streams: list[RowStream] = []
    markers: list[str] = []

    def hole(obj: Any) -> Any:
        if isinstance(obj, RowStream):
            # A random marker, drawn only when there is a stream, cannot collide with client
            # text that happens to be echoed.
            if not markers:
                markers.append(secrets.token_hex(8))
            streams.append(obj)
            return f"\x00{markers[0]}\x00"
        raise TypeError(f"not JSON serialisable: {type(obj).__name__}")

    encoded = orjson.dumps(value, default=hole)
    if not streams:
        return [encoded]
    marker = markers[0]
    parts: list[Part] = []
    pieces = encoded.split(f'"\\u0000{marker}\\u0000"'.encode())
    for piece, stream in zip(pieces, streams, strict=False):
        parts.extend((piece, stream))
    parts.append(pieces[-1])
    return parts
