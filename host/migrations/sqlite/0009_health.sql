-- The heartbeat: one row that the readiness check rewrites while writes are failing,
-- so that the ledger reads as ready again as soon as the store takes a write. `pad`
-- makes that write as large as a few decisions (the check writes 64 KiB into it): a
-- one-page write can fit where a failed write left room in the WAL, a decision not.
CREATE TABLE health (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    beat_at_ms BIGINT NOT NULL,
    pad BLOB NOT NULL
);

INSERT INTO health (id, beat_at_ms, pad) VALUES (1, 0, x'');
