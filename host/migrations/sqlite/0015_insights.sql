-- Insights (the console's charts) from aggregates kept up to date by every decision's
-- own transaction, so a chart reads one row per day and key, never the decisions.
--
-- `insight_days` counts each claim once, at its latest revision, on the UTC day it was
-- opened, under each of its dimensions: `all` (key ''), `kind`, `category`, `sku`
-- and `customer`; money is what the claim's latest revision gave, per currency, split
-- between its affected items in proportion to their affected value for `sku` and
-- `category`. `claim_insights` keeps what each claim added, so a new revision takes
-- exactly that out before it adds its own. Claims recorded before this migration are
-- counted when the ledger opens (`ledger/insights.rs`, `backfill`): items and money
-- live in the decisions' JSON, which is read there, not here.

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

-- Whether claims recorded before this migration are still to be counted: one row while
-- they are (the last claim id counted so far), none once they all are, so a ledger
-- that opens after that reads this table and nothing more.
CREATE TABLE insights_backfill (
    counted_up_to  TEXT NOT NULL
);
INSERT INTO insights_backfill (counted_up_to) SELECT '' WHERE EXISTS (SELECT 1 FROM claims);

-- The console lists a shop's decisions filtered by kind.
ALTER TABLE decisions ADD COLUMN kind TEXT NOT NULL DEFAULT '';
UPDATE decisions SET kind = COALESCE(json_extract(request_json, '$.kind'), '');

-- Decisions, feedback and overrides per shop, module and settings version (the
-- shop's feedback page and the console's overview), kept by each decision's and each
-- feedback's own transaction instead of counted over the shop's decisions per request.
CREATE TABLE version_counts (
    shop_id           TEXT NOT NULL,
    module_digest     TEXT NOT NULL,
    settings_version  BIGINT NOT NULL,
    decisions         BIGINT NOT NULL,
    feedback          BIGINT NOT NULL,
    overridden        BIGINT NOT NULL,
    PRIMARY KEY (shop_id, module_digest, settings_version)
);
INSERT INTO version_counts (shop_id, module_digest, settings_version, decisions, feedback,
    overridden)
SELECT d.shop_id, d.module_digest, d.settings_version, COUNT(*), COUNT(f.decision_id),
       COALESCE(SUM(CASE WHEN f.verdict = 'overridden' THEN 1 ELSE 0 END), 0)
FROM decisions d LEFT JOIN decision_feedback f ON f.decision_id = d.decision_id
GROUP BY d.shop_id, d.module_digest, d.settings_version;
