-- What happens when a shop's module fails (fail closed to office staff, or fall back to
-- the platform's default policy), and how often each module failed, by kind.

CREATE TABLE shop_failure_policies (
    shop_id        TEXT PRIMARY KEY,
    policy         TEXT NOT NULL,
    updated_by     TEXT NOT NULL,
    updated_at_ms  BIGINT NOT NULL
);

CREATE TABLE module_failures (
    digest      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    count       BIGINT NOT NULL,
    last_at_ms  BIGINT NOT NULL,
    PRIMARY KEY (digest, kind)
);
