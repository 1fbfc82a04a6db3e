-- Insights (the console's charts) from aggregates kept up to date by every decision's
-- own transaction, so a chart reads one row per day and key, never the decisions.
--
-- `insight_days` counts each claim once, at its latest revision, on the UTC day it was
-- opened, under each of its dimensions: `all` (key ''), `kind`, `category`, `sku`
-- and `customer`; money is what the claim's latest revision gave, per currency, split
-- between its affected items in proportion to their affected value for `sku` and
-- `category`. `claim_insights` keeps what each claim added, so a new revision takes
-- exactly that out before it adds its own.

CREATE TABLE insight_days (
    shop_id        TEXT NOT NULL,
    dimension      TEXT NOT NULL,
    utc_day        BIGINT NOT NULL,
    key            TEXT NOT NULL,
    currency       TEXT NOT NULL,
    claims         BIGINT NOT NULL,
    escalations    BIGINT NOT NULL,
    fraud_flagged  BIGINT NOT NULL,
    money          BIGINT NOT NULL,
    PRIMARY KEY (shop_id, dimension, utc_day, key, currency)
);
-- The platform's insights read one dimension across shops by day.
CREATE INDEX insight_days_by_day ON insight_days (dimension, utc_day);

CREATE TABLE claim_insights (
    claim_id            TEXT PRIMARY KEY,
    contributions_json  TEXT NOT NULL
);

-- The console lists a shop's decisions filtered by kind.
ALTER TABLE decisions ADD COLUMN kind TEXT NOT NULL DEFAULT '';
UPDATE decisions SET kind = COALESCE(json_extract(request_json, '$.kind'), '');
