-- The login throttle counts only wrong keys: checks of a key under way are reserved on the
-- counts first (checking), each reservation lapsing at checking_until should its process die.
ALTER TABLE api_login_failure
    ADD COLUMN checking       integer NOT NULL DEFAULT 0,
    ADD COLUMN checking_until timestamptz;
