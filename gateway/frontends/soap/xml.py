"""SOAP's XML: requests parsed with a hardened parser, SOAP-encoded values decoded as PHP's
SoapClient encodes them, and answers written as it expects them.

The parser resolves no entities, loads no DTD, touches no network and refuses a document that
declares a DTD at all; the body's size is bounded before it gets here.
"""

from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

__all__ = [
    "ENCODING",
    "ENVELOPE",
    "Malformed",
    "decode",
    "encode",
    "escape",
    "local_name",
    "parse_request",
]

ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"
ENCODING = "http://schemas.xmlsoap.org/soap/encoding/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
_XSI_TYPE = f"{{{XSI}}}type"
_XSI_NIL = f"{{{XSI}}}nil"
_ARRAY_TYPE = f"{{{ENCODING}}}arrayType"

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


class Malformed(ValueError):
    """A request that is not a SOAP envelope the gateway can read; the message says why."""


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname


def parse_request(body: bytes) -> tuple[str, str, list[etree._Element]]:
    """The operation's name and namespace, and its parts (the operation element's children)."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError:
        raise Malformed("The request is not well-formed XML.") from None
    if root.getroottree().docinfo.doctype:
        raise Malformed("A document type declaration (DTD) is not allowed.")
    if root.tag != f"{{{ENVELOPE}}}Envelope":
        raise Malformed("The request is not a SOAP 1.1 envelope.")
    body_element = root.find(f"{{{ENVELOPE}}}Body")
    operation = None if body_element is None else next(iter(body_element), None)
    if operation is None or not isinstance(operation.tag, str):
        raise Malformed("The SOAP body holds no operation.")
    qualified = etree.QName(operation)
    return qualified.localname, qualified.namespace or "", list(operation)


def is_nil(element: etree._Element) -> bool:
    return element.get(_XSI_NIL) in ("true", "1")


def _type_name(element: etree._Element) -> str:
    return (element.get(_XSI_TYPE) or "").rpartition(":")[2]


_INTEGERS = frozenset({"int", "integer", "long", "short", "byte", "unsignedInt", "unsignedLong"})
_FLOATS = frozenset({"float", "double", "decimal"})


def scalar(text: str | None, type_name: str) -> Any:
    """The value of a scalar of this XML Schema type; text that does not fit stays text, for
    the core to refuse with the fault that names the argument."""
    text = text or ""
    try:
        if type_name in _INTEGERS:
            return int(text)
        if type_name in _FLOATS:
            return float(text)
    except ValueError:
        return text
    if type_name == "boolean":
        return {"true": True, "1": True, "false": False, "0": False}.get(text.strip(), text)
    return text


def decode(element: etree._Element) -> Any:
    """A SOAP-encoded value as PHP's SoapClient sends one: ``ns2:Map`` items as a dict,
    ``SOAP-ENC:Array`` as a list, a struct as a dict, scalars by their ``xsi:type`` (text when
    untyped), ``xsi:nil`` as None."""
    if is_nil(element):
        return None
    type_name = _type_name(element)
    children = list(element)
    if type_name == "Map":
        return {decode_key(item): _decode_child(item, "value") for item in children if len(item)}
    if type_name.endswith("Array") or element.get(_ARRAY_TYPE) is not None:
        return [decode(child) for child in children]
    if children:
        return {local_name(child): decode(child) for child in children}
    return scalar(element.text, type_name)


def decode_key(item: etree._Element) -> Any:
    key = _decode_child(item, "key")
    return key if isinstance(key, str) else str(key)


def _decode_child(item: etree._Element, name: str) -> Any:
    child = next((c for c in item if local_name(c) == name), None)
    return None if child is None else decode(child)


def encode(value: Any, tag: str) -> str:
    """``value`` as a SOAP-encoded element named ``tag``: a dict as an ``ns2:Map``, a list as a
    ``SOAP-ENC:Array``, scalars with their ``xsi:type``, None as ``xsi:nil``."""
    if value is None:
        return f'<{tag} xsi:nil="true"/>'
    if isinstance(value, bool):
        return f'<{tag} xsi:type="xsd:boolean">{"true" if value else "false"}</{tag}>'
    if isinstance(value, int):
        return f'<{tag} xsi:type="xsd:int">{value}</{tag}>'
    if isinstance(value, float):
        return f'<{tag} xsi:type="xsd:float">{value!r}</{tag}>'
    if isinstance(value, str):
        return f'<{tag} xsi:type="xsd:string">{escape(value)}</{tag}>'
    if isinstance(value, dict):
        items = "".join(
            f'<item><key xsi:type="xsd:string">{escape(str(k))}</key>{encode(v, "value")}</item>'
            for k, v in value.items()
        )
        return f'<{tag} xsi:type="ns2:Map">{items}</{tag}>'
    if isinstance(value, list):
        items = "".join(encode(v, "item") for v in value)
        return (
            f'<{tag} SOAP-ENC:arrayType="{_item_type(value)}[{len(value)}]"'
            f' xsi:type="SOAP-ENC:Array">{items}</{tag}>'
        )
    raise TypeError(f"cannot encode {type(value).__name__} in SOAP")


def _item_type(values: list[Any]) -> str:
    if values and all(isinstance(v, dict) for v in values):
        return "ns2:Map"
    if values and all(isinstance(v, str) for v in values):
        return "xsd:string"
    return "xsd:ur-type"
