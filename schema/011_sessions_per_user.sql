-- A user's sessions by last use, so that logging in can end the least recently used beyond
-- GATEWAY_MAX_SESSIONS_PER_USER without a scan.
DROP INDEX api_session_user;
CREATE INDEX api_session_user_last_used ON api_session (user_id, last_used_at);
