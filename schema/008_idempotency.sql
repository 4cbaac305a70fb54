-- Idempotency keys: a write request's key, per API user, with a digest of the request and the
-- answer it got, written in the transaction of the write itself. A request sent again under
-- the same key is answered from here until the key expires.
CREATE TABLE api_idempotency (
    user_id      integer     NOT NULL REFERENCES api_user ON DELETE CASCADE,
    key          text        NOT NULL,
    digest       bytea       NOT NULL,  -- sha256 of the request: method, path, body
    status       smallint,              -- the answer, as it was sent
    content_type text,
    headers      jsonb,                 -- the others that matter (Location, Retry-After)
    answer       bytea,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX api_idempotency_expiry ON api_idempotency (expires_at);
