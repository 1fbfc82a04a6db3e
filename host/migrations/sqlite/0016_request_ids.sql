-- The id of the HTTP request that asked for each decision (`x-request-id`, accepted
-- from the caller or made by the server), so a decision, its log lines and the
-- caller's own logs can be found from one another. Older decisions have none.
ALTER TABLE decisions ADD COLUMN request_id TEXT;
