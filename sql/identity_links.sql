-- Which anonymous visitor turned out to be which shopper: one row per link, recorded by `users` when the
-- shopper's page links the visitor on login (POST /v1/users/{userId}/links). The pattern, metric and erasure
-- SQL take a linked visitor's rows as the shopper's through it (the macros of functions/warehouse/sql-macros.ts).
-- A visitor is linked to one shopper at most; a resent link can repeat its row, and readers keep one.
CREATE TABLE IF NOT EXISTS identity_links (
  anonymous_id STRING NOT NULL OPTIONS (description = 'The visitor, as their events name them: anonymous:<sub>.'),
  user_id STRING NOT NULL OPTIONS (description = 'The shopper the visitor turned out to be.'),
  linked_at TIMESTAMP NOT NULL OPTIONS (description = 'When the shopper linked the visitor, by the server clock.')
)
CLUSTER BY anonymous_id
OPTIONS (description = 'Anonymous visitors linked to the shoppers they turned out to be; erased with either.');
