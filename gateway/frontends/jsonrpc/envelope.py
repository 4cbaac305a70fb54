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

from gateway.core.naming import snake_case
from gateway.resources.kit import RowStream

__all__ = ["Part", "encode", "handle"]

log = logging.getLogger(__name__)


Part = bytes | RowStream

_ID_TYPES = (str, int, float)
_ALLOWED_KEYS = frozenset({"jsonrpc", "method", "params", "id"})


def _error(code: int, message: str, request_id: Any = None, data: Any = NODATA) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not NODATA:
        error["data"] = data
    return {"jsonrpc": "2.0", "error": error, "id": request_id}


def _check(request: Any) -> dict[str, Any] | None:
    """The request with named params folded to snake_case, or None when it is not a valid
    JSON-RPC 2.0 request object (the same rules as jsonrpcserver's request schema)."""
    # Exact types: the request comes from orjson (a bool is not an id).
    if type(request) is not dict or request.get("jsonrpc") != "2.0":
        return None
    if type(request.get("method")) is not str or not request.keys() <= _ALLOWED_KEYS:
        return None
    request_id = request.get("id")
    if request_id is not None and type(request_id) not in _ID_TYPES:
        return None
    params = request.get("params", [])
    if type(params) is dict:
        # Named params bind to Python parameter names: sessionId and session_id alike.
        request = {**request, "params": {snake_case(k): v for k, v in params.items()}}
    elif type(params) is not list:
        return None
    checked: dict[str, Any] = request
    return checked


def _error_answer(error: ErrorResult, request_id: Any) -> dict[str, Any]:
    return _error(error.code, error.message, request_id, error.data)


async def _dispatch_one(
    methods: Methods, context: Any, request: Any, request_id_of_log: str
) -> dict[str, Any] | None:
    checked = _check(request)
    if checked is None:
        return _error(ERROR_INVALID_REQUEST, "Invalid Request")
    request_id = checked.get("id")
    method = methods.get(checked["method"])
    params = checked.get("params", [])
    if method is None:
        answer = _error_answer(MethodNotFoundResult(checked["method"]), request_id)
    elif not _fits(method, params):
        answer = _error_answer(
            InvalidParamsResult("the params do not fit the method's parameters"), request_id
        )
    else:
        try:
            result = await (
                method(context, *params) if type(params) is list else method(context, **params)
            )
            answer = {"jsonrpc": "2.0", "result": result, "id": request_id}
        except JsonRpcError as error:
            answer = _error(error.code, error.message, request_id, error.data)
        except Exception:
            # The methods turn their own failures into JsonRpcError; anything else is a bug,
            # logged here and answered with the request id only.
            log.exception("internal error", extra={"request_id": request_id_of_log})
            answer = _error_answer(
                InternalErrorResult({"request_id": request_id_of_log}), request_id
            )
    return answer if "id" in checked else None  # a notification gets no answer


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
        answer = await _dispatch_one(methods, context, request, request_id_of_log)
        return None if answer is None else encode(answer)
    if not request or len(request) > max_batch:
        return encode(_error(ERROR_INVALID_REQUEST, "Invalid Request"))
    answers = []
    for element in request:
        answer = await _dispatch_one(methods, context, element, request_id_of_log)
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
