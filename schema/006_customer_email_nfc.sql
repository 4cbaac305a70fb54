-- Emails are stored in one normal form (the gateway normalises them on write, as
-- email-validator does: Unicode NFC, the domain in Unicode). Rows written before that are
-- brought to NFC here, unless that would make them collide with another customer's email in
-- their website, which is left for an operator to settle.
UPDATE customer AS c SET email = normalize(c.email, NFC)
WHERE c.email IS NOT NFC NORMALIZED
  AND NOT EXISTS (
      SELECT 1 FROM customer AS other
      WHERE other.website_id = c.website_id
        AND other.customer_id <> c.customer_id
        AND lower(other.email) = lower(normalize(c.email, NFC))
  );
