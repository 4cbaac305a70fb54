"""SOAP v2's typed values, read and written by the types of ``types``: RPC/encoded (every
element with its ``xsi:type``, arrays as ``SOAP-ENC:Array`` items) or WS-I's document/literal
(no types on the wire, arrays as repeated ``complexObjectArray`` elements)."""

from typing import Any

from lxml import etree

from gateway.frontends.soap.types import ArrayOf, Struct, TypeRef
from gateway.frontends.soap.xml import Malformed, escape, is_nil, local_name, scalar

__all__ = ["read", "write"]


def read(element: etree._Element, kind: TypeRef) -> Any:
    """The value of ``element`` as ``kind``; an element that says nil, or an empty struct or
    array, is None. Scalars that do not fit their type stay text (the core then says which
    argument is wrong)."""
    if is_nil(element):
        return None
    children = list(element)
    if isinstance(kind, str):
        if children:
            raise Malformed(f"'{local_name(element)}' must be a {kind} value, not a structure.")
        return scalar(element.text, kind.rpartition(":")[2])
    if isinstance(kind, ArrayOf):
        return [read(child, kind.item) for child in children] if children else None
    if not children:
        return None
    fields = dict(kind.fields)
    value: dict[str, Any] = {}
    for child in children:
        name = local_name(child)
        # A field the type does not know is passed on, for the core to name in its fault.
        value[name] = read(child, fields[name]) if name in fields else child.text
    return value


def write(value: Any, kind: TypeRef, tag: str, *, literal: bool) -> str:
    """``value`` as the element ``tag`` of type ``kind``. A struct's fields come in the type's
    order; fields that are null, or that the type does not have, are left out."""
    if isinstance(kind, str):
        text = _scalar_text(value, kind)
        if literal:
            return f"<{tag}>{text}</{tag}>"
        return f'<{tag} xsi:type="{kind}">{text}</{tag}>'
    if isinstance(kind, Struct):
        inner = "".join(
            write(value[name], field_kind, name, literal=literal)
            for name, field_kind in kind.fields
            if value.get(name) is not None
        )
        if literal:
            return f"<{tag}>{inner}</{tag}>"
        return f'<{tag} xsi:type="ns1:{kind.name}">{inner}</{tag}>'
    items = value or []
    if literal:
        inner = "".join(
            write(item, kind.item, "complexObjectArray", literal=True) for item in items
        )
        return f"<{tag}>{inner}</{tag}>"
    item_type = kind.item if isinstance(kind.item, str) else f"ns1:{kind.item.name}"
    inner = "".join(write(item, kind.item, "item", literal=False) for item in items)
    return (
        f'<{tag} SOAP-ENC:arrayType="{item_type}[{len(items)}]" xsi:type="ns1:{kind.name}">'
        f"{inner}</{tag}>"
    )


def _scalar_text(value: Any, kind: str) -> str:
    if kind == "xsd:boolean":
        # A confirmation key, say, answers as whether there is one.
        return "true" if value else "false"
    if kind == "xsd:int" and isinstance(value, bool):
        return "1" if value else "0"  # a flag where Magento's type is a number (is_active)
    return escape(str(value))
