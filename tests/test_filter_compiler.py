"""The filter compiler alone: filters and options to SQL text and values, no database."""

import datetime as dt

import pytest

from gateway.resources.customer import COLUMNS
from gateway.resources.kit.filters import FilterError, QueryParams, compile_list_query


def where(filters: object) -> tuple[str, list[object]]:
    query = compile_list_query(filters, None, COLUMNS, key="customer_id")
    return query.where, query.values


def test_no_filters_match_everything() -> None:
    for nothing in (None, [], {}):
        assert where(nothing) == ("TRUE", [])


def test_a_value_is_equality_with_its_type() -> None:
    assert where({"group_id": "3"}) == ("c.group_id = $1::bigint", [3])


def test_text_compares_without_case() -> None:
    assert where({"email": "A@X.COM"}) == ("lower(c.email) = lower($1::text)", ["A@X.COM"])


def test_a_list_is_any_of_its_values() -> None:
    assert where({"customer_id": [1, "2"]}) == ("c.customer_id = ANY($1::bigint[])", [[1, 2]])


def test_every_operator_of_a_condition_applies() -> None:
    sql, values = where({"customer_id": {"gteq": 5, "lteq": 10}})
    assert sql == "c.customer_id >= $1::bigint AND c.customer_id <= $2::bigint"
    assert values == [5, 10]


def test_entity_id_is_the_customer_id() -> None:
    assert where({"entity_id": 7}) == where({"customer_id": 7})


def test_null_and_notnull() -> None:
    assert where({"dob": None})[0] == "c.dob IS NULL"
    assert where({"dob": {"notnull": True}})[0] == "c.dob IS NOT NULL"
    assert where({"dob": {"null": False}})[0] == "c.dob IS NOT NULL"


def test_dates_are_parsed() -> None:
    sql, values = where({"created_at": {"from": "2024-01-01", "datetime": True}})
    assert sql == "c.created_at >= $1::timestamptz"
    assert values == [dt.datetime(2024, 1, 1, tzinfo=dt.UTC)]


def test_in_takes_comma_separated_text() -> None:
    assert where({"group_id": {"in": "1, 3"}}) == ("c.group_id = ANY($1::bigint[])", [[1, 3]])


def test_the_soap_v2_shape_means_the_same() -> None:
    v2 = {
        "filter": [{"key": "group_id", "value": "1"}],
        "complex_filter": [{"key": "customer_id", "value": {"key": "in", "value": "1,3"}}],
    }
    assert where(v2) == where({"group_id": 1, "customer_id": {"in": [1, 3]}})


@pytest.mark.parametrize(
    ("filters", "says"),
    [
        ({"colour": "red"}, "colour"),
        ({"email": {"sounds_like": "x"}}, "sounds_like"),
        ({"group_id": "three"}, "group_id"),
        ({"email": "a\x01b"}, "control characters"),
        ({"email": {"like": "ends with \\"}}, "escape"),
        ({"password_hash": "x"}, "password_hash"),
        ({"dob": {"gt": None}}, "needs a value"),
        ("not an object", "filters must be an object"),
    ],
)
def test_what_is_refused_and_why(filters: object, says: str) -> None:
    with pytest.raises(FilterError, match=says):
        where(filters)


def test_order_ends_with_the_key_so_pages_are_stable() -> None:
    query = compile_list_query(
        None, {"order": "lastname", "dir": "desc"}, COLUMNS, key="customer_id"
    )
    assert query.order_by == "c.lastname DESC, c.customer_id DESC"


def test_paging_is_rendered_with_parameters() -> None:
    query = compile_list_query({"group_id": 1}, {"limit": 20, "offset": 40}, COLUMNS, "customer_id")
    sql, values = query.sql("SELECT x FROM customer c", query.limit)
    assert sql == (
        "SELECT x FROM customer c WHERE c.group_id = $1::bigint "
        "ORDER BY c.customer_id ASC LIMIT $2 OFFSET $3"
    )
    assert values == [1, 20, 40]


@pytest.mark.parametrize(
    "options",
    [{"limit": -1}, {"limit": "ten"}, {"dir": "up"}, {"order": "colour"}, {"page": 2}, []],
)
def test_bad_options_are_refused(options: object) -> None:
    with pytest.raises(FilterError):
        compile_list_query(None, options, COLUMNS, key="customer_id")


def test_a_scope_is_anded_with_its_own_parameter() -> None:
    query = compile_list_query(
        {"group_id": 1},
        None,
        COLUMNS,
        key="customer_id",
        scope=lambda params: f"c.website_id = {params.add(2, 'bigint')}",
    )
    assert query.where == "c.group_id = $1::bigint AND c.website_id = $2::bigint"
    assert query.values == [1, 2]


def test_parameters_are_numbered_in_order() -> None:
    params = QueryParams([])
    assert (params.add("a", "text"), params.add(1, "bigint")) == ("$1::text", "$2::bigint")
