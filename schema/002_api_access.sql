-- API users, their sessions, and the login throttle. Keys and session ids are stored only as
-- hashes.

CREATE TABLE api_user (
    user_id      integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username     varchar(255) NOT NULL UNIQUE,
    api_key_hash text         NOT NULL,
    -- the user's role: the ACL paths it is allowed ('all', 'customer', 'customer/info', ...)
    resources    text[]       NOT NULL DEFAULT '{}',
    is_active    boolean      NOT NULL DEFAULT true,
    created_at   timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE api_session (
    token_hash   bytea       PRIMARY KEY,  -- sha256 of the session id
    user_id      integer     NOT NULL REFERENCES api_user ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_session_last_used ON api_session (last_used_at);
CREATE INDEX api_session_user ON api_session (user_id);

-- One row per throttled key ('user:NAME' or 'addr:IP').
CREATE TABLE api_login_failure (
    throttle_key     text        PRIMARY KEY,
    failures         integer     NOT NULL,
    first_failure_at timestamptz NOT NULL,
    locked_until     timestamptz
);
