-- The platform envelope's spending caps: when each claim was last decided (the
-- request's `now`, so a replay sees the same sums), and the operator's guardrails.

ALTER TABLE claims ADD COLUMN decided_now_ms BIGINT NOT NULL DEFAULT 0;
CREATE INDEX claims_by_shop_time ON claims (shop_id, decided_now_ms);
CREATE INDEX claims_by_customer_time ON claims (customer_id, decided_now_ms);

ALTER TABLE decisions ADD COLUMN guardrails_json TEXT NOT NULL DEFAULT '{}';

CREATE TABLE platform_settings (
    name           TEXT PRIMARY KEY,
    value_json     TEXT NOT NULL,
    updated_by     TEXT NOT NULL,
    updated_at_ms  BIGINT NOT NULL
);
