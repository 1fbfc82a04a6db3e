-- Everything a replay needs beside the request and the history: the exact settings the
-- policy got (a shop on version 0 gets the platform's defaults, which may change), and
-- the fraud screen's module and settings (operators can swap it).

ALTER TABLE decisions ADD COLUMN settings_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE decisions ADD COLUMN fraud_module_digest TEXT NOT NULL DEFAULT '';
ALTER TABLE decisions ADD COLUMN fraud_settings_json TEXT NOT NULL DEFAULT '{}';
