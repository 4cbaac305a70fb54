"""The protocol-neutral core: what every front-end (JSON-RPC, REST, SOAP) calls, knowing no
wire format. ``api`` (Magento's API methods, once), ``context`` (services, the request,
operations), ``authentication`` (login, sessions, HTTP Basic), ``call`` and ``multicall``
(running resource methods), ``binding`` (args), ``catalogue`` (resources and their faults),
``idempotency`` (keys), ``deadlines``, ``slots`` (turns), ``streams``."""
