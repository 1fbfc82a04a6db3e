-- Names that say what they hold: the table of numbered policy versions (it held only
-- settings once), and the canary's share, which is in basis points (1000 = 10%).
-- PostgreSQL moves the table's trigger with it; it is renamed to match.

ALTER TABLE shop_settings RENAME TO policy_versions;
ALTER TABLE shop_rollouts RENAME COLUMN canary_percent TO canary_basis_points;

ALTER TRIGGER shop_settings_change ON policy_versions RENAME TO policy_versions_change;
