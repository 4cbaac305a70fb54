"""The REST front-end: Magento 1's ``/api/rest/...`` in JSON or XML. ``wire`` is REST's own
(bodies in and out, errors, credentials, verbs and their operations); ``routes`` are the
resources' routes on it."""
