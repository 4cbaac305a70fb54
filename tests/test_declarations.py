"""The method table as declared: every handler takes exactly its declared params."""

import inspect

import pytest

from gateway.core.catalogue import declared_faults
from gateway.resources import METHODS, RESOURCES
from gateway.resources.kit import ResourceMethod


@pytest.mark.parametrize("path", sorted({m.path for m in METHODS.values()}))
def test_each_handler_signature_matches_its_declared_params(path: str) -> None:
    method: ResourceMethod = METHODS[path]
    context, *parameters = inspect.signature(method.handler).parameters.values()
    assert context.name == "ctx"
    assert [p.name for p in parameters] == [p.key for p in method.params]
    for parameter, declared in zip(parameters, method.params, strict=True):
        assert parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        assert (parameter.default is inspect.Parameter.empty) == declared.required, declared.name


def test_every_resource_is_in_the_table_with_its_faults() -> None:
    assert {m.resource.name for m in METHODS.values()} == {r.name for r in RESOURCES}
    for resource in RESOURCES:
        # Every fault a resource declares is one one of its methods may raise.
        assert declared_faults(resource) == tuple(resource.faults)
        for method in resource.methods:
            assert all(f.resource in (resource.name, "global") for f in method.faults)
        codes_by_name = {f.name: f.code for f in resource.faults}
        assert len(codes_by_name) == len(resource.faults), "a fault name declared twice"


def test_api_paths_are_resource_dot_method_under_its_name_or_an_alias() -> None:
    for path, method in METHODS.items():
        names = (method.resource.name, *method.resource.aliases)
        assert path in {f"{name}.{method.name}" for name in names}
    assert METHODS["store.list"] is METHODS["core_store.list"]
