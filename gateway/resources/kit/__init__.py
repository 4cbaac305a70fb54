"""The resource kit: what a resource module builds on, so that a new resource is one module
(its models, SQL and handlers), one schema file and its tests.

- ``Resource``, ``Param``, ``CallContext``: declaring methods and faults beside the handlers;
- ``FILTERS``, ``STORE``, ``OPTIONS``, ``id_param``: arguments shared between resources;
- ``Listing``: filters, options, paging, streaming and counting of an entity list;
- ``Column``: what a list may filter and order on (the filter compiler's whitelist);
- ``fields``: field checks for input models; ``sql``: SQL pieces; ``stores``: store look-ups.
"""

from gateway.resources.kit.declarations import CallContext, Param, Resource, ResourceMethod
from gateway.resources.kit.fields import InvalidData
from gateway.resources.kit.filters import Column
from gateway.resources.kit.listing import Listing, RowStream
from gateway.resources.kit.params import FILTERS, ID_OR_CODE, OPTIONS, STORE, id_param, parse_id
from gateway.resources.kit.values import plain

__all__ = [
    "FILTERS",
    "ID_OR_CODE",
    "OPTIONS",
    "STORE",
    "CallContext",
    "Column",
    "InvalidData",
    "Listing",
    "Param",
    "Resource",
    "ResourceMethod",
    "RowStream",
    "id_param",
    "parse_id",
    "plain",
]
