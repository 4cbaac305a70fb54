-- Notices for the processes' session caches (gateway.auth.session_cache): a session ended,
-- swept or removed with its user ('s' and the hex of its hash), a user changed or removed
-- ('u' and its id). Sent at commit, to every listening process.
CREATE FUNCTION gateway_auth_notice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'api_session' THEN
        PERFORM pg_notify('gateway_auth', 's' || encode(OLD.token_hash, 'hex'));
    ELSE
        PERFORM pg_notify('gateway_auth', 'u' || OLD.user_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER api_session_gone AFTER DELETE ON api_session
    FOR EACH ROW EXECUTE FUNCTION gateway_auth_notice();
CREATE TRIGGER api_user_changed AFTER UPDATE OR DELETE ON api_user
    FOR EACH ROW EXECUTE FUNCTION gateway_auth_notice();
