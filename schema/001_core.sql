-- Websites, stores, customer groups and the country/region directory: the reference data
-- every customer row points at. Ids are Magento's, because clients hard-code them.

CREATE TABLE core_website (
    website_id smallint PRIMARY KEY,
    code       varchar(32)  NOT NULL UNIQUE,
    name       varchar(255) NOT NULL
);

CREATE TABLE core_store (
    store_id   smallint PRIMARY KEY,
    code       varchar(32)  NOT NULL UNIQUE,
    website_id smallint     NOT NULL REFERENCES core_website,
    name       varchar(255) NOT NULL
);

CREATE TABLE customer_group (
    customer_group_id   smallint PRIMARY KEY,
    customer_group_code varchar(32) NOT NULL UNIQUE
);

INSERT INTO core_website (website_id, code, name) VALUES
    (0, 'admin', 'Admin'),
    (1, 'base', 'Main Website');

INSERT INTO core_store (store_id, code, website_id, name) VALUES
    (0, 'admin', 0, 'Admin'),
    (1, 'default', 1, 'Default Store View');

INSERT INTO customer_group (customer_group_id, customer_group_code) VALUES
    (0, 'NOT LOGGED IN'),
    (1, 'General'),
    (2, 'Wholesale'),
    (3, 'Retailer');

-- Filled from pycountry and gateway/data/directory_regions.csv by the migration runner, which
-- keeps them in step with the code's in-memory directory.
CREATE TABLE directory_country (
    country_id char(2) PRIMARY KEY,
    iso3_code  char(3) NOT NULL UNIQUE,
    name       varchar(255) NOT NULL
);

CREATE TABLE directory_region (
    region_id  integer PRIMARY KEY,
    country_id char(2)      NOT NULL REFERENCES directory_country,
    code       varchar(32)  NOT NULL,
    name       varchar(255) NOT NULL
);
CREATE INDEX directory_region_country ON directory_region (country_id);
