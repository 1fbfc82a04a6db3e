-- Uploaded modules (content-addressed; the bytes live in the database so every host
-- sharing it can load them), who may use them, shop policy versions with their module,
-- each shop's rollout (active, and a shadow or canary candidate), shadow decisions, and
-- the audit trail.

CREATE TABLE modules (
    digest          TEXT PRIMARY KEY,
    world           TEXT NOT NULL,
    size            BIGINT NOT NULL,
    name            TEXT NOT NULL,
    version         TEXT NOT NULL,
    metadata_json   TEXT NOT NULL,
    schema_json     TEXT NOT NULL,
    bytes           BYTEA NOT NULL,
    uploaded_by     TEXT NOT NULL,
    uploaded_at_ms  BIGINT NOT NULL
);

-- Who may use a module: a shop id, or '*' for every shop (uploaded by an operator).
CREATE TABLE module_scopes (
    digest  TEXT NOT NULL,
    scope   TEXT NOT NULL,
    PRIMARY KEY (digest, scope)
);

-- A policy version names its module; NULL is the platform's default module.
ALTER TABLE shop_settings ADD COLUMN module_digest TEXT;

CREATE TABLE shop_rollouts (
    shop_id            TEXT PRIMARY KEY,
    active_version     BIGINT NOT NULL,
    candidate_version  BIGINT,
    candidate_mode     TEXT,
    canary_percent     BIGINT,
    updated_at_ms      BIGINT NOT NULL
);

CREATE TABLE shadow_decisions (
    decision_id       TEXT NOT NULL,
    module_digest     TEXT NOT NULL,
    settings_version  BIGINT NOT NULL,
    outcome           TEXT NOT NULL,
    failure           TEXT,
    response_json     TEXT NOT NULL,
    PRIMARY KEY (decision_id, module_digest)
);

CREATE TABLE audit (
    audit_id   TEXT PRIMARY KEY,
    at_ms      BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX audit_by_time ON audit (at_ms);
