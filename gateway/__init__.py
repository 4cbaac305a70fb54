"""The customer gateway: OpenMage's customer web-services API over JSON-RPC 2.0 and PostgreSQL."""
