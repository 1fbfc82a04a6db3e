-- Backtests: a candidate module and/or settings re-deciding a shop's recorded decisions.
-- `module` and `settings_json` are NULL for "as each decision recorded"; the report is
-- written once, when the backtest is done; `done` and `total` are its progress.
CREATE TABLE backtests (
    backtest_id     TEXT PRIMARY KEY,
    shop_id         TEXT NOT NULL,
    module_digest   TEXT,
    settings_json   TEXT,
    from_ms         BIGINT NOT NULL,
    to_ms           BIGINT NOT NULL,
    status          TEXT NOT NULL,
    done            BIGINT NOT NULL,
    total           BIGINT NOT NULL,
    report_json     TEXT,
    error           TEXT,
    created_by      TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    finished_at_ms  BIGINT
);

CREATE INDEX backtests_by_shop ON backtests (shop_id, created_at_ms);
