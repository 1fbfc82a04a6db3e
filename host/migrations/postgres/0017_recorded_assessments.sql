-- What the fraud screen answered for each decision (its `assessment`, as JSON), so a
-- backtest re-decides a claim with the screen's recorded verdict instead of running
-- the screen again. Decisions older than this column, and those whose screen gave no
-- usable answer, have none.
ALTER TABLE decisions ADD COLUMN assessment_json TEXT;
