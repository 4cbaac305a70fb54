-- Text filters compare without case (lower(column)), so the name indexes must be on lower()
-- for the planner to use them.
DROP INDEX customer_lastname;
DROP INDEX customer_firstname;
CREATE INDEX customer_lastname_lower ON customer (lower(lastname) text_pattern_ops);
CREATE INDEX customer_firstname_lower ON customer (lower(firstname) text_pattern_ops);
