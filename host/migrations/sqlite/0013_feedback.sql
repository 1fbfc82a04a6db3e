-- The marketplace's word on a decision, once the claim is closed: accepted as decided,
-- or overridden (with what was done instead). One per decision; kept with the module
-- and settings version that decided, so override rates are counted per version.
CREATE TABLE decision_feedback (
    decision_id       TEXT PRIMARY KEY,
    shop_id           TEXT NOT NULL,
    module_digest     TEXT NOT NULL,
    settings_version  BIGINT NOT NULL,
    verdict           TEXT NOT NULL,
    final_outcome     TEXT,
    final_money_json  TEXT,
    note              TEXT,
    given_by          TEXT NOT NULL,
    given_at_ms       BIGINT NOT NULL
);

CREATE INDEX decision_feedback_by_version ON decision_feedback (shop_id, module_digest, settings_version);
