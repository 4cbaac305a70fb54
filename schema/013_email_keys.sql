-- Emails are one customer per website when they are one address to a person: compared under
-- Unicode's compatibility normalisation and case folding (fullwidth letters, ligatures, ß and
-- ss), not by lower() alone. The key is written by the gateway (its own Python folding, the
-- same on any server's locale); this fills it for the rows there are, and the migration
-- runner then folds the non-ASCII ones exactly (gateway.database). Rows that collide under
-- the new rule keep their emails; all but the first get a key of their own, marked, for an
-- operator to settle (the log names them).
ALTER TABLE customer ADD COLUMN email_key text;
UPDATE customer SET email_key = lower(normalize(email, NFKC));
UPDATE customer AS c SET email_key = c.email_key || E'\n' || c.customer_id
FROM (SELECT customer_id, row_number() OVER (PARTITION BY website_id, email_key
                                             ORDER BY customer_id) AS nth
      FROM customer) AS ranked
WHERE ranked.customer_id = c.customer_id AND ranked.nth > 1;
ALTER TABLE customer ALTER COLUMN email_key SET NOT NULL;
DROP INDEX customer_email_per_website;
CREATE UNIQUE INDEX customer_email_key_per_website ON customer (website_id, email_key);

-- A row written with SQL alone (an operator's, a bulk load's) gets the nearest key SQL can
-- fold; the gateway writes its own.
CREATE FUNCTION customer_email_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.email_key IS NULL
       OR (TG_OP = 'UPDATE' AND NEW.email IS DISTINCT FROM OLD.email
           AND NEW.email_key IS NOT DISTINCT FROM OLD.email_key) THEN
        NEW.email_key := lower(normalize(NEW.email, NFKC));
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER customer_email_key BEFORE INSERT OR UPDATE OF email, email_key ON customer
    FOR EACH ROW EXECUTE FUNCTION customer_email_key();
