-- Every candidate rollout (shadow, canary, progressive) is tracked: the plan a
-- progressive rollout follows and the step it is at (in shop_rollouts, so it moves the
-- config epoch and every host serves the step's share), its history and how it ended
-- (rollouts), and the running figures of both sides per step (rollout_figures and
-- rollout_money, maintained in the decision's own transaction). A decision names the
-- rollout, step and side it was counted in, so feedback on it is counted there too.

ALTER TABLE shop_rollouts ADD COLUMN rollout_id TEXT;
ALTER TABLE shop_rollouts ADD COLUMN plan_json TEXT;
ALTER TABLE shop_rollouts ADD COLUMN step BIGINT;

CREATE TABLE rollouts (
    rollout_id          TEXT PRIMARY KEY,
    shop_id             TEXT NOT NULL,
    candidate_version   BIGINT NOT NULL,
    mode                TEXT NOT NULL,
    plan_json           TEXT,
    step                BIGINT NOT NULL,
    step_started_at_ms  BIGINT NOT NULL,
    status              TEXT NOT NULL,
    ending_json         TEXT,
    started_by          TEXT NOT NULL,
    started_at_ms       BIGINT NOT NULL,
    ended_at_ms         BIGINT
);
CREATE INDEX rollouts_by_shop ON rollouts (shop_id, started_at_ms);

CREATE TABLE rollout_figures (
    rollout_id   TEXT NOT NULL,
    step         BIGINT NOT NULL,
    side         TEXT NOT NULL,
    decisions    BIGINT NOT NULL,
    escalations  BIGINT NOT NULL,
    failures     BIGINT NOT NULL,
    feedback     BIGINT NOT NULL,
    overrides    BIGINT NOT NULL,
    PRIMARY KEY (rollout_id, step, side)
);

CREATE TABLE rollout_money (
    rollout_id  TEXT NOT NULL,
    step        BIGINT NOT NULL,
    side        TEXT NOT NULL,
    currency    TEXT NOT NULL,
    decisions   BIGINT NOT NULL,
    money       BIGINT NOT NULL,
    PRIMARY KEY (rollout_id, step, side, currency)
);

ALTER TABLE decisions ADD COLUMN rollout_id TEXT;
ALTER TABLE decisions ADD COLUMN rollout_step BIGINT;
ALTER TABLE decisions ADD COLUMN rollout_side TEXT;

-- A platform backtest walks every shop's decisions made by the platform's default
-- module in a range of time: a seek by time, not a scan.
CREATE INDEX decisions_by_time ON decisions (decided_at_ms, decision_id);
