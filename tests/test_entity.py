"""An entity's fields, declared once: what one more field's line gives every reader of the
declaration (the README's "Adding a field")."""

from gateway.frontends.soap.types import entity_struct, input_struct
from gateway.resources.customer_data import CUSTOMER_FIELDS
from gateway.resources.kit.entity import Entity, Field, Soap
from gateway.resources.kit.fields import Text

NICKNAME = Field(
    "nickname",
    "text",
    sql="c.nickname",
    value=Text,
    clearable=True,
    rest=16,
    soap=Soap(entity=19, input=15),
)
WITH_NICKNAME = Entity("customer", (*CUSTOMER_FIELDS.fields, NICKNAME))


def test_one_more_line_is_answered_filtered_written_and_typed() -> None:
    shown = WITH_NICKNAME.answered(lambda _: False)
    assert shown[-1] is NICKNAME
    assert "'nickname', c.nickname" in WITH_NICKNAME.json_sql(shown)
    assert WITH_NICKNAME.columns()["nickname"].sql == "c.nickname"
    model = WITH_NICKNAME.input_model("WithNickname")
    assert model.model_validate({"nickname": "Al"}).model_dump(exclude_unset=True) == {
        "nickname": "Al"
    }
    schema = WITH_NICKNAME.result_schema()["properties"]["nickname"]
    assert schema == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert WITH_NICKNAME.ranked(lambda f: f.rest)[-1] is NICKNAME
    assert entity_struct("e", WITH_NICKNAME).fields[-1] == ("nickname", "xsd:string")
    assert input_struct("i", WITH_NICKNAME).fields[-1] == ("nickname", "xsd:string")


def test_what_is_not_answered_or_not_written_stays_out() -> None:
    shown = {f.name for f in CUSTOMER_FIELDS.answered(lambda _: False)}
    assert "password" not in shown and "password_hash" not in shown  # written / a permission
    assert "password_hash" in {f.name for f in CUSTOMER_FIELDS.answered(lambda _: True)}
    assert "password_hash" not in CUSTOMER_FIELDS.columns()
    assert "entity_id" in CUSTOMER_FIELDS.columns()  # an alias filters as its field
    assert set(CUSTOMER_FIELDS.read_only()) == {
        "customer_id",
        "entity_id",
        "created_at",
        "updated_at",
    }
