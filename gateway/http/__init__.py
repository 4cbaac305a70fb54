"""HTTP services shared by every front-end: the exchange (request context, log line,
metrics), the request log, metrics, CORS, the operators' endpoints and the API page."""
