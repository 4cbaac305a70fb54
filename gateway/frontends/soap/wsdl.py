"""The WSDL documents this gateway serves, written from its own tables: SOAP v1 (RPC/encoded,
a handful of generic operations), SOAP v2 (RPC/encoded, one typed operation per API method)
and SOAP v2 in WS-I compliance mode (document/literal, each operation's parts wrapped in one
element). Each names the endpoint it was asked for."""

from gateway.frontends.soap.types import ArrayOf, Operation, SoapTypes, Struct, TypeRef
from gateway.frontends.soap.xml import escape

__all__ = [
    "ENCODING_SCHEMA",
    "ENCODING_SCHEMA_PATH",
    "NAMESPACE",
    "V1_ACTION",
    "V2_ACTION",
    "v1_wsdl",
    "v2_wsdl",
    "wsi_wsdl",
]

NAMESPACE = "urn:OpenMage"
V1_ACTION = "urn:Action"
V2_ACTION = "urn:Mage_Api_Model_Server_V2_HandlerAction"

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"'
    ' xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"'
    ' xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/"'
    ' xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"'
    ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"'
    f' xmlns:typens="{NAMESPACE}" name="OpenMage" targetNamespace="{NAMESPACE}">\n'
)
_ENCODED_BODY = (
    f'<soap:body use="encoded" namespace="{NAMESPACE}"'
    ' encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"/>'
)

# SOAP v1: name -> (request parts, answer part type)
_V1: dict[str, tuple[tuple[tuple[str, str], ...], str]] = {
    "call": (
        (("sessionId", "xsd:string"), ("resourcePath", "xsd:string"), ("args", "xsd:anyType")),
        "xsd:anyType",
    ),
    "multiCall": (
        (("sessionId", "xsd:string"), ("calls", "typens:FixedArray"), ("options", "xsd:anyType")),
        "typens:FixedArray",
    ),
    "endSession": ((("sessionId", "xsd:string"),), "xsd:boolean"),
    "login": ((("username", "xsd:string"), ("apiKey", "xsd:string")), "xsd:string"),
    "startSession": ((), "xsd:string"),
    "resources": ((("sessionId", "xsd:string"),), "typens:FixedArray"),
    "globalFaults": ((("sessionId", "xsd:string"),), "typens:FixedArray"),
    "resourceFaults": (
        (("sessionId", "xsd:string"), ("resourceName", "xsd:string")),
        "typens:FixedArray",
    ),
}


def _parts(parts: tuple[tuple[str, str], ...]) -> str:
    return "".join(f'<part name="{name}" type="{kind}"/>' for name, kind in parts)


def _service(location: str, binding: str) -> str:
    return (
        '<service name="OpenMageService"><port name="Port" binding="typens:'
        f'{binding}"><soap:address location="{escape(location)}"/></port></service>'
    )


def v1_wsdl(location: str) -> str:
    messages = "".join(
        f'<message name="{name}">{_parts(parts)}</message>'
        f'<message name="{name}Response"><part name="{name}Return" type="{result}"/></message>'
        for name, (parts, result) in _V1.items()
    )
    port = "".join(
        f'<operation name="{name}"><input message="typens:{name}"/>'
        f'<output message="typens:{name}Response"/></operation>'
        for name in _V1
    )
    binding = "".join(
        f'<operation name="{name}"><soap:operation soapAction="{V1_ACTION}"/>'
        f"<input>{_ENCODED_BODY}</input><output>{_ENCODED_BODY}</output></operation>"
        for name in _V1
    )
    return (
        _HEAD
        + f'<types><schema xmlns="http://www.w3.org/2001/XMLSchema" targetNamespace="{NAMESPACE}">'
        '<import namespace="http://schemas.xmlsoap.org/soap/encoding/"/>'
        '<complexType name="FixedArray"><complexContent><restriction base="soapenc:Array">'
        '<attribute ref="soapenc:arrayType" wsdl:arrayType="xsd:anyType[]"/>'
        "</restriction></complexContent></complexType></schema></types>"
        + messages
        + f'<portType name="PortType">{port}</portType>'
        + '<binding name="Binding" type="typens:PortType">'
        '<soap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>'
        + binding
        + "</binding>"
        + _service(location, "Binding")
        + "</definitions>\n"
    )


def _type_name(kind: TypeRef) -> str:
    return kind if isinstance(kind, str) else f"typens:{kind.name}"


def _encoded_type(kind: Struct | ArrayOf) -> str:
    if isinstance(kind, ArrayOf):
        return (
            f'<xsd:complexType name="{kind.name}"><xsd:complexContent>'
            '<xsd:restriction base="soapenc:Array"><xsd:attribute ref="soapenc:arrayType"'
            f' wsdl:arrayType="{_type_name(kind.item)}[]"/></xsd:restriction>'
            "</xsd:complexContent></xsd:complexType>"
        )
    occurs = ' minOccurs="0"' if kind.optional else ""
    fields = "".join(
        f'<xsd:element name="{name}" type="{_type_name(field)}"{occurs}/>'
        for name, field in kind.fields
    )
    return f'<xsd:complexType name="{kind.name}"><xsd:all>{fields}</xsd:all></xsd:complexType>'


def _message_names(op: Operation) -> tuple[str, str]:
    if op.session and op.api_path is not None:
        return f"{op.name}Request", f"{op.name}Response"
    return op.name, f"{op.name}Response"


def _declared(op: Operation) -> tuple[tuple[str, TypeRef], ...]:
    return (("sessionId", "xsd:string"), *op.params) if op.session else op.params


# The SOAP 1.1 encoding types that the v2 WSDL's arrays restrict. PHP knows them; a client that
# loads the schema of every namespace (zeep) fetches it from its canonical location, and can be
# pointed at this copy, served at ENCODING_SCHEMA_PATH, where that is out of reach. Its arrays
# hold a group, the form zeep reads as a SOAP array; it names its canonical location as an
# import of its own namespace, which tells zeep the namespace is loaded.
ENCODING_SCHEMA_PATH = "/api/soap/encoding.xsd"
ENCODING_SCHEMA = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"'
    ' xmlns:enc="http://schemas.xmlsoap.org/soap/encoding/"'
    ' targetNamespace="http://schemas.xmlsoap.org/soap/encoding/">'
    '<xsd:import namespace="http://schemas.xmlsoap.org/soap/encoding/"'
    ' schemaLocation="http://schemas.xmlsoap.org/soap/encoding/"/>'
    '<xsd:attribute name="arrayType" type="xsd:string"/>'
    '<xsd:attribute name="offset" type="xsd:string"/>'
    '<xsd:group name="Array"><xsd:sequence>'
    '<xsd:any namespace="##any" minOccurs="0" maxOccurs="unbounded" processContents="lax"/>'
    "</xsd:sequence></xsd:group>"
    '<xsd:complexType name="Array"><xsd:group ref="enc:Array" minOccurs="0"/>'
    '<xsd:attribute ref="enc:arrayType"/><xsd:attribute ref="enc:offset"/>'
    '<xsd:anyAttribute namespace="##other" processContents="lax"/></xsd:complexType>'
    "</xsd:schema>\n"
)


def v2_wsdl(location: str, soap: SoapTypes) -> str:
    types = "".join(_encoded_type(kind) for kind in soap.structs.values())
    messages = ""
    port = ""
    binding = ""
    for op in soap.operations.values():
        request, response = _message_names(op)
        parts = "".join(
            f'<part name="{name}" type="{_type_name(kind)}"/>' for name, kind in _declared(op)
        )
        messages += (
            f'<message name="{request}">{parts}</message><message name="{response}">'
            f'<part name="{op.result_part}" type="{_type_name(op.result)}"/></message>'
        )
        port += (
            f'<operation name="{op.name}"><input message="typens:{request}"/>'
            f'<output message="typens:{response}"/></operation>'
        )
        binding += (
            f'<operation name="{op.name}"><soap:operation soapAction="{V2_ACTION}"/>'
            f"<input>{_ENCODED_BODY}</input><output>{_ENCODED_BODY}</output></operation>"
        )
    return (
        _HEAD + f'<types><xsd:schema targetNamespace="{NAMESPACE}">'
        '<xsd:import namespace="http://schemas.xmlsoap.org/soap/encoding/"/>'
        + types
        + "</xsd:schema></types>"
        + messages
        + f'<portType name="PortType">{port}</portType>'
        + '<binding name="Binding" type="typens:PortType">'
        '<soap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>'
        + binding
        + "</binding>"
        + _service(location, "Binding")
        + "</definitions>\n"
    )


def _literal_type(kind: Struct | ArrayOf) -> str:
    if isinstance(kind, ArrayOf):
        return (
            f'<xsd:complexType name="{kind.name}"><xsd:sequence>'
            f'<xsd:element name="complexObjectArray" type="{_type_name(kind.item)}"'
            ' minOccurs="0" maxOccurs="unbounded"/></xsd:sequence></xsd:complexType>'
        )
    occurs = ' minOccurs="0"' if kind.optional else ""
    fields = "".join(
        f'<xsd:element name="{name}" type="{_type_name(field)}"{occurs}/>'
        for name, field in kind.fields
    )
    return (
        f'<xsd:complexType name="{kind.name}"><xsd:sequence>{fields}</xsd:sequence>'
        "</xsd:complexType>"
    )


def _wsi_elements(op: Operation) -> tuple[str, str]:
    if op.api_path is None:
        return f"{op.name}Param", f"{op.name}ResponseParam"
    return f"{op.name}RequestParam", f"{op.name}ResponseParam"


def _occurs(kind: TypeRef) -> str:
    """Scalar parts are required; a struct or an array may be left out."""
    return "" if isinstance(kind, str) else ' minOccurs="0"'


def wsi_wsdl(location: str, soap: SoapTypes) -> str:
    types = "".join(_literal_type(kind) for kind in soap.structs.values())
    elements = messages = port = binding = ""
    literal = '<soap:body use="literal"/>'
    for op in soap.operations.values():
        request, response = _wsi_elements(op)
        parts = "".join(
            f'<xsd:element name="{name}" type="{_type_name(kind)}"{_occurs(kind)}/>'
            for name, kind in _declared(op)
        )
        elements += (
            f'<xsd:element name="{request}"><xsd:complexType><xsd:sequence>{parts}'
            f'</xsd:sequence></xsd:complexType></xsd:element><xsd:element name="{response}">'
            f'<xsd:complexType><xsd:sequence><xsd:element name="result"'
            f' type="{_type_name(op.result)}"/></xsd:sequence></xsd:complexType></xsd:element>'
        )
        request_message, response_message = _message_names(op)
        messages += (
            f'<message name="{request_message}"><part name="parameters"'
            f' element="typens:{request}"/></message><message name="{response_message}">'
            f'<part name="parameters" element="typens:{response}"/></message>'
        )
        port += (
            f'<operation name="{op.name}"><input message="typens:{request_message}"/>'
            f'<output message="typens:{response_message}"/></operation>'
        )
        binding += (
            f'<operation name="{op.name}"><soap:operation soapAction=""/>'
            f"<input>{literal}</input><output>{literal}</output></operation>"
        )
    return (
        _HEAD
        + f'<types><xsd:schema targetNamespace="{NAMESPACE}">'
        + types
        + elements
        + "</xsd:schema></types>"
        + messages
        + f'<portType name="PortType">{port}</portType>'
        + '<binding name="Binding" type="typens:PortType">'
        '<soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>'
        + binding
        + "</binding>"
        + _service(location, "Binding")
        + "</definitions>\n"
    )
