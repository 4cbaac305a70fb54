-- Store views as Magento's API describes them: the store group each belongs to, its place in
-- lists, and whether it is active.
ALTER TABLE core_store
    ADD COLUMN group_id   smallint NOT NULL DEFAULT 0,
    ADD COLUMN sort_order smallint NOT NULL DEFAULT 0,
    ADD COLUMN is_active  boolean  NOT NULL DEFAULT true;
UPDATE core_store SET group_id = 1 WHERE store_id = 1;
