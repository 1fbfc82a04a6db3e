-- The ledger: every decision with what made it, the latest state of every claim (the
-- history policies are given), photo hashes seen, shop settings, the hard-fraud list
-- and API tokens. Plain types only (TEXT, BIGINT), so the same schema runs on
-- PostgreSQL; times are UTC milliseconds since the epoch.

CREATE TABLE decisions (
    decision_id       TEXT PRIMARY KEY,
    idempotency_key   TEXT NOT NULL UNIQUE,
    request_hash      TEXT NOT NULL,
    claim_id          TEXT NOT NULL,
    revision          BIGINT NOT NULL,
    shop_id           TEXT NOT NULL,
    customer_id       TEXT NOT NULL,
    outcome           TEXT NOT NULL,
    risk              TEXT NOT NULL,
    module_digest     TEXT NOT NULL,
    settings_version  BIGINT NOT NULL,
    mode              TEXT NOT NULL,
    failure           TEXT,
    latency_us        BIGINT NOT NULL,
    decided_at_ms     BIGINT NOT NULL,
    request_json      TEXT NOT NULL,
    response_json     TEXT NOT NULL,
    history_json      TEXT NOT NULL,
    signals_json      TEXT NOT NULL
);
CREATE INDEX decisions_by_shop ON decisions (shop_id, decided_at_ms);
CREATE INDEX decisions_by_claim ON decisions (claim_id, revision);

-- One row per claim, at its latest revision: what the history of a later claim shows.
CREATE TABLE claims (
    claim_id            TEXT PRIMARY KEY,
    customer_id         TEXT NOT NULL,
    shop_id             TEXT NOT NULL,
    kind                TEXT NOT NULL,
    opened_at_ms        BIGINT NOT NULL,
    revision            BIGINT NOT NULL,
    outcome             TEXT NOT NULL,
    money_given         BIGINT NOT NULL,
    currency            TEXT NOT NULL,
    sorry_coupon_given  BIGINT NOT NULL
);
CREATE INDEX claims_by_customer ON claims (customer_id, opened_at_ms);

-- Which customer used which evidence photo in which claim.
CREATE TABLE photo_uses (
    sha256       TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    claim_id     TEXT NOT NULL,
    PRIMARY KEY (sha256, customer_id, claim_id)
);

CREATE TABLE shop_settings (
    shop_id        TEXT NOT NULL,
    version        BIGINT NOT NULL,
    settings_json  TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    PRIMARY KEY (shop_id, version)
);

CREATE TABLE fraud_list (
    customer_id    TEXT PRIMARY KEY,
    reason         TEXT NOT NULL,
    added_by       TEXT NOT NULL,
    added_at_ms    BIGINT NOT NULL
);

-- API tokens, by the SHA-256 of the secret: the secret itself is never stored.
CREATE TABLE tokens (
    token_hash     TEXT PRIMARY KEY,
    token_id       TEXT NOT NULL UNIQUE,
    role           TEXT NOT NULL,
    shop_id        TEXT,
    label          TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL
);
