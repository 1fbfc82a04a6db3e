-- Names that say what they hold: the table of numbered policy versions (it held only
-- settings once), and the canary's share, which is in basis points (1000 = 10%).
-- SQLite moves the table's triggers with it; they are renamed to match.

ALTER TABLE shop_settings RENAME TO policy_versions;
ALTER TABLE shop_rollouts RENAME COLUMN canary_percent TO canary_basis_points;

DROP TRIGGER shop_settings_insert;
DROP TRIGGER shop_settings_update;
DROP TRIGGER shop_settings_delete;
CREATE TRIGGER policy_versions_insert AFTER INSERT ON policy_versions
BEGIN UPDATE config_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER policy_versions_update AFTER UPDATE ON policy_versions
BEGIN UPDATE config_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER policy_versions_delete AFTER DELETE ON policy_versions
BEGIN UPDATE config_epoch SET epoch = epoch + 1 WHERE id = 1; END;
