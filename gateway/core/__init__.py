"""The protocol-neutral core: what every front-end (JSON-RPC, REST, SOAP) calls, knowing no
wire format. ``context`` (services, the request, operations), ``authentication`` (login,
sessions, HTTP Basic), ``runner`` (calls and multiCall), ``binding`` (args), ``catalogue``
(resources and faults), ``faults`` (the global faults), ``deadlines``."""
