-- One counter that every change of what decides a claim moves: shop settings and policy
-- versions, rollouts, platform settings (policies, guardrails) and failure policies.
-- A host caches those in memory and reads only this counter per decision, so a change
-- committed by any host is seen by the very next decision on every host.

CREATE TABLE config_epoch (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    epoch  BIGINT NOT NULL
);
INSERT INTO config_epoch (id, epoch) VALUES (1, 0);

CREATE TRIGGER shop_settings_insert AFTER INSERT ON shop_settings
BEGIN UPDATE config_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER shop_settings_update AFTER UPDATE ON shop_settings
BEGIN UPDATE config_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER shop_settings_delete AFTER DELETE ON shop_settings
BEGIN UPDATE config_epoch SET epoch = epoch + 1 WHERE id = 1; END;

CREATE TRIGGER shop_rollouts_insert AFTER INSERT ON shop_rollouts
BEGIN UPDATE config_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER shop_rollouts_update AFTER UPDATE ON shop_rollouts
BEGIN UPDATE config_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER shop_rollouts_delete AFTER DELETE ON shop_rollouts
BEGIN UPDATE config_epoch SET epoch = epoch + 1 WHERE id = 1; END;

CREATE TRIGGER platform_settings_insert AFTER INSERT ON platform_settings
BEGIN UPDATE config_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER platform_settings_update AFTER UPDATE ON platform_settings
BEGIN UPDATE config_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER platform_settings_delete AFTER DELETE ON platform_settings
BEGIN UPDATE config_epoch SET epoch = epoch + 1 WHERE id = 1; END;

CREATE TRIGGER shop_failure_policies_insert AFTER INSERT ON shop_failure_policies
BEGIN UPDATE config_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER shop_failure_policies_update AFTER UPDATE ON shop_failure_policies
BEGIN UPDATE config_epoch SET epoch = epoch + 1 WHERE id = 1; END;
CREATE TRIGGER shop_failure_policies_delete AFTER DELETE ON shop_failure_policies
BEGIN UPDATE config_epoch SET epoch = epoch + 1 WHERE id = 1; END;
