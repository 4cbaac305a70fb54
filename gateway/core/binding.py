"""How a call's ``args`` bind to a resource method's params: a list (by position), an object
(by name, camelCase or snake_case), a scalar (the first argument), or nothing."""

from typing import Any

from gateway.faults import INVALID_REQUEST_PARAM
from gateway.naming import snake_case
from gateway.resources.kit import ResourceMethod

__all__ = ["bind_args"]


def bind_args(method: ResourceMethod, args: Any) -> dict[str, Any]:
    """The handler's keyword arguments for ``args``, each parsed by its param; anything that
    does not fit is ``invalid_request_param`` naming the problem."""
    bound: dict[str, Any] = {}  # by keyword: first as given, then as parsed
    if isinstance(args, dict):
        for key, value in args.items():
            param = method.params_by_key.get(snake_case(key)) if isinstance(key, str) else None
            if param is None:
                raise INVALID_REQUEST_PARAM(f"Unknown argument '{key}' for {method.path}.")
            bound[param.key] = value
    elif args is not None:
        slots = iter(method.params)
        for value in args if isinstance(args, list) else (args,):
            for param in slots:
                if param.required or param.fits(value):
                    bound[param.key] = value
                    break
            else:
                raise INVALID_REQUEST_PARAM(f"Too many arguments for {method.path}.")
    for param in method.params:
        if param.key in bound:
            bound[param.key] = param.parse(bound[param.key])
        elif param.required:
            raise INVALID_REQUEST_PARAM(f"Required parameter '{param.name}' is missing.")
    return bound
