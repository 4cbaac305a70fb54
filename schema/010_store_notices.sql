-- Notices for the processes' copies of the store views and websites
-- (gateway.resources.kit.stores): any change of either table, sent at commit.
CREATE FUNCTION gateway_stores_notice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gateway_stores', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER core_store_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON core_store
    FOR EACH STATEMENT EXECUTE FUNCTION gateway_stores_notice();
CREATE TRIGGER core_website_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON core_website
    FOR EACH STATEMENT EXECUTE FUNCTION gateway_stores_notice();
