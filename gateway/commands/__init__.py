"""Command-line commands beside ``serve``, ``db`` and ``user`` (gateway.cli): each module adds
its parser and runs on a connection of its own."""
