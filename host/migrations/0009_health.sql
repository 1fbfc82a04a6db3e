-- The heartbeat: one row that the readiness check rewrites while writes are failing,
-- so that the ledger reads as ready again as soon as the store takes a write.
CREATE TABLE health (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    beat_at_ms BIGINT NOT NULL
);

INSERT INTO health (id, beat_at_ms) VALUES (1, 0);
