"""SOAP v2's typed surface: its complex types and operations, from the method and type tables of
Magento 1's Customer API documentation; an entity's structs are read from its fields'
declarations (``Field.soap``: which of them, in which order). The WSDLs, the typed encoding of
answers and the mapping of each operation onto an API path are all read from these tables.

A type is a ``Struct`` (named, typed fields in order) or an ``ArrayOf`` another type; a scalar
is an XML Schema type name (``xsd:int``, ``xsd:string``, ``xsd:boolean``).
"""

from dataclasses import dataclass

from gateway.resources.address_data import ADDRESS_FIELDS
from gateway.resources.customer_data import CUSTOMER_FIELDS
from gateway.resources.kit.entity import Entity, Field
from gateway.resources.kit.filters import Kind

__all__ = [
    "DEFAULT",
    "OPERATIONS",
    "STRUCTS",
    "ArrayOf",
    "Operation",
    "SoapTypes",
    "Struct",
    "TypeRef",
    "entity_struct",
    "input_struct",
    "soap_types",
]


@dataclass(frozen=True, slots=True)
class ArrayOf:
    name: str  # the array type's own name (customerCustomerEntityArray)
    item: "TypeRef"


@dataclass(frozen=True, slots=True)
class Struct:
    name: str
    fields: tuple[tuple[str, "TypeRef"], ...]
    optional: bool = True  # every field may be left out (minOccurs=0)


TypeRef = str | Struct | ArrayOf


def _struct(name: str, fields: str, *, optional: bool = True) -> Struct:
    """``fields`` as lines of ``name type``; a type without ``:`` names another struct."""
    parsed = []
    for line in fields.splitlines():
        if not line.strip():
            continue
        field, kind = line.split()
        parsed.append((field, kind if ":" in kind else STRUCTS[kind]))
    return Struct(name, tuple(parsed), optional)


STRUCTS: dict[str, Struct | ArrayOf] = {}

# A field's kind as the XML Schema type SOAP v2 gives it, unless the field says otherwise.
_XSD: dict[Kind, str] = {
    "int": "xsd:int",
    "decimal": "xsd:double",
    "text": "xsd:string",
    "date": "xsd:string",
    "datetime": "xsd:string",
    "bool": "xsd:boolean",
}


def _typed(field: Field, declared: str | None) -> TypeRef:
    if declared is None:
        return _XSD[field.kind]
    return declared if ":" in declared else STRUCTS[declared]


def entity_struct(name: str, entity: Entity) -> Struct:
    """The struct of an entity as answered: its fields in SOAP v2's order."""
    fields = entity.ranked(lambda f: f.soap.entity)
    return Struct(name, tuple((f.name, _typed(f, f.soap.entity_type)) for f in fields))


def input_struct(name: str, entity: Entity) -> Struct:
    """The struct a client writes an entity with."""
    fields = entity.ranked(lambda f: f.soap.input)
    return Struct(name, tuple((f.name, _typed(f, f.soap.input_type)) for f in fields))


def _add(kind: Struct | ArrayOf) -> Struct | ArrayOf:
    STRUCTS[kind.name] = kind
    return kind


ARRAY_OF_STRING = _add(ArrayOf("ArrayOfString", "xsd:string"))
ASSOCIATIVE_ENTITY = _add(
    _struct("associativeEntity", "key xsd:string\nvalue xsd:string", optional=False)
)
_add(ArrayOf("associativeArray", ASSOCIATIVE_ENTITY))
COMPLEX_FILTER = _add(
    _struct("complexFilter", "key xsd:string\nvalue associativeEntity", optional=False)
)
_add(ArrayOf("complexFilterArray", COMPLEX_FILTER))
FILTERS = _add(_struct("filters", "filter associativeArray\ncomplex_filter complexFilterArray"))
GROUP_ENTITY = _add(
    _struct(
        "customerGroupEntity",
        "customer_group_id xsd:int\ncustomer_group_code xsd:string",
        optional=False,
    )
)
GROUP_ENTITY_ARRAY = _add(ArrayOf("customerGroupEntityArray", GROUP_ENTITY))
STORE_ENTITY = _add(
    _struct(
        "storeEntity",
        """
        store_id xsd:int
        code xsd:string
        website_id xsd:int
        group_id xsd:int
        name xsd:string
        sort_order xsd:int
        is_active xsd:int
        """,
        optional=False,
    )
)
STORE_ENTITY_ARRAY = _add(ArrayOf("storeEntityArray", STORE_ENTITY))
MAGENTO_INFO = _add(
    _struct(
        "magentoInfoEntity",
        "magento_version xsd:string\nmagento_edition xsd:string",
        optional=False,
    )
)
COUNTRY_ENTITY = _add(
    _struct(
        "directoryCountryEntity",
        "country_id xsd:string\niso2_code xsd:string\niso3_code xsd:string\nname xsd:string",
        optional=False,
    )
)
COUNTRY_ENTITY_ARRAY = _add(ArrayOf("directoryCountryEntityArray", COUNTRY_ENTITY))
REGION_ENTITY = _add(
    _struct(
        "directoryRegionEntity",
        "region_id xsd:string\ncode xsd:string\nname xsd:string",
        optional=False,
    )
)
REGION_ENTITY_ARRAY = _add(ArrayOf("directoryRegionEntityArray", REGION_ENTITY))


@dataclass(frozen=True, slots=True)
class Operation:
    """One v2 operation: its params after the session id, what it runs, and its answer's part
    name and type (``api_path`` None: a session operation of its own)."""

    name: str
    params: tuple[tuple[str, TypeRef], ...]
    api_path: str | None
    result_part: str
    result: TypeRef
    session: bool = True  # whether sessionId comes first


def _op(
    name: str,
    api_path: str | None,
    params: tuple[tuple[str, TypeRef], ...],
    result_part: str,
    result: TypeRef,
    *,
    session: bool = True,
) -> Operation:
    return Operation(name, params, api_path, result_part, result, session)


@dataclass(frozen=True, slots=True)
class SoapTypes:
    """SOAP v2's structs and operations for one set of an entity's fields (a shop's custom
    attributes are members of its entities' structs)."""

    structs: dict[str, Struct | ArrayOf]
    operations: dict[str, Operation]


def soap_types(customer: Entity, address: Entity) -> SoapTypes:
    """The structs and operations for these customer and address fields."""
    structs = dict(STRUCTS)

    def add(kind: Struct | ArrayOf) -> Struct | ArrayOf:
        structs[kind.name] = kind
        return kind

    customer_entity = add(entity_struct("customerCustomerEntity", customer))
    customer_entity_array = add(ArrayOf("customerCustomerEntityArray", customer_entity))
    customer_to_create = add(input_struct("customerCustomerEntityToCreate", customer))
    address_to_create = add(input_struct("customerAddressEntityCreate", address))
    address_entity = add(entity_struct("customerAddressEntityItem", address))
    address_entity_array = add(ArrayOf("customerAddressEntityArray", address_entity))
    operations: dict[str, Operation] = {
        op.name: op
        for op in (
            _op(
                "login",
                None,
                (("username", "xsd:string"), ("apiKey", "xsd:string")),
                "loginReturn",
                "xsd:string",
                session=False,
            ),
            _op("endSession", None, (), "endSessionReturn", "xsd:boolean"),
            _op("storeList", "core_store.list", (), "stores", STORE_ENTITY_ARRAY),
            _op("storeInfo", "core_store.info", (("storeId", "xsd:string"),), "info", STORE_ENTITY),
            _op("magentoInfo", "core_magento.info", (), "info", MAGENTO_INFO),
            _op(
                "directoryCountryList",
                "directory_country.list",
                (),
                "countries",
                COUNTRY_ENTITY_ARRAY,
            ),
            _op(
                "directoryRegionList",
                "directory_region.list",
                (("country", "xsd:string"),),
                "countries",
                REGION_ENTITY_ARRAY,
            ),
            _op(
                "customerCustomerList",
                "customer.list",
                (("filters", FILTERS),),
                "storeView",
                customer_entity_array,
            ),
            _op(
                "customerCustomerCreate",
                "customer.create",
                (("customerData", customer_to_create),),
                "result",
                "xsd:int",
            ),
            _op(
                "customerCustomerInfo",
                "customer.info",
                (("customerId", "xsd:int"), ("attributes", ARRAY_OF_STRING)),
                "customerInfo",
                customer_entity,
            ),
            _op(
                "customerCustomerUpdate",
                "customer.update",
                (("customerId", "xsd:int"), ("customerData", customer_to_create)),
                "result",
                "xsd:boolean",
            ),
            _op(
                "customerCustomerDelete",
                "customer.delete",
                (("customerId", "xsd:int"),),
                "result",
                "xsd:boolean",
            ),
            _op("customerGroupList", "customer_group.list", (), "result", GROUP_ENTITY_ARRAY),
            _op(
                "customerAddressList",
                "customer_address.list",
                (("customerId", "xsd:int"),),
                "result",
                address_entity_array,
            ),
            _op(
                "customerAddressCreate",
                "customer_address.create",
                (("customerId", "xsd:int"), ("addressData", address_to_create)),
                "result",
                "xsd:int",
            ),
            _op(
                "customerAddressInfo",
                "customer_address.info",
                (("addressId", "xsd:int"),),
                "info",
                address_entity,
            ),
            _op(
                "customerAddressUpdate",
                "customer_address.update",
                (("addressId", "xsd:int"), ("addressData", address_to_create)),
                "info",
                "xsd:boolean",
            ),
            _op(
                "customerAddressDelete",
                "customer_address.delete",
                (("addressId", "xsd:int"),),
                "info",
                "xsd:boolean",
            ),
        )
    }
    return SoapTypes(structs, operations)


# Without custom attributes: the operations' names and shapes, as Magento's WSDL has them.
DEFAULT = soap_types(CUSTOMER_FIELDS, ADDRESS_FIELDS)
OPERATIONS = DEFAULT.operations
