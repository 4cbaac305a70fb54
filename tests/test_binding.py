"""Argument binding alone: a call's args (list, object, scalar, nothing) to a handler's
keywords, against the real method table, no database."""

from typing import Any

import pytest

from gateway.core.binding import bind_args
from gateway.faults import FaultError
from gateway.resources import METHODS

INFO = METHODS["customer.info"]
UPDATE = METHODS["customer.update"]
LIST = METHODS["customer.list"]


def refused(method: Any, args: Any) -> str:
    with pytest.raises(FaultError) as caught:
        bind_args(method, args)
    assert caught.value.fault.name == "invalid_request_param"
    return caught.value.message


def test_a_list_binds_by_position() -> None:
    assert bind_args(UPDATE, [5, {"firstname": "A"}, "default"]) == {
        "customer_id": 5,
        "customer_data": {"firstname": "A"},
        "store": "default",
    }


def test_a_scalar_is_the_first_argument() -> None:
    assert bind_args(INFO, "5") == {"customer_id": 5}


def test_an_object_binds_by_name_in_either_case() -> None:
    expected = {"customer_id": 5, "customer_data": {}}
    assert bind_args(UPDATE, {"customerId": 5, "customerData": {}}) == expected
    assert bind_args(UPDATE, {"customer_id": 5, "customer_data": {}}) == expected


def test_nothing_leaves_optional_arguments_out() -> None:
    assert bind_args(LIST, None) == {}
    assert bind_args(LIST, []) == {}


def test_an_optional_slot_the_value_does_not_fit_is_skipped() -> None:
    assert bind_args(INFO, [5, ["email"]]) == {"customer_id": 5, "attributes": ["email"]}
    assert bind_args(INFO, [5, "default"]) == {"customer_id": 5, "store": "default"}


def test_attributes_by_name_may_be_one_name() -> None:
    assert bind_args(INFO, {"customerId": 5, "attributes": "email"}) == {
        "customer_id": 5,
        "attributes": ["email"],
    }


def test_unknown_names_too_many_and_missing_are_refused() -> None:
    assert "colour" in refused(INFO, {"customerId": 5, "colour": "red"})
    assert "Too many" in refused(METHODS["customer.delete"], [1, 2])
    assert "customerData" in refused(UPDATE, [5])
    assert "whole number" in refused(INFO, ["five"])


def test_ids_out_of_range_match_nothing() -> None:
    for far in (0, -3, 2**31, "99999999999"):
        assert bind_args(INFO, [far]) == {"customer_id": 0}
