"""The JSON-RPC 2.0 front-end: the envelope, the top-level methods, the endpoint and its
OpenRPC document."""
