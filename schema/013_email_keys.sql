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
