"""The SOAP front-end: v1 (RPC/encoded, ``call`` and friends), v2 (typed operations, RPC/encoded)
and v2 in WS-I compliance mode (document/literal), with WSDLs written for this gateway."""
