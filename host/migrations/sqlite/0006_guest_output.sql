-- What a decision's module wrote to stdout and stderr (capped, like a log line), and
-- the detail of its failure (the trap, the broken rule), for the people explaining it.

ALTER TABLE decisions ADD COLUMN guest_output TEXT;
ALTER TABLE decisions ADD COLUMN failure_detail TEXT;
