-- One counter that every change of what decides a claim moves: shop settings and policy
-- versions, rollouts, platform settings (policies, guardrails) and failure policies.
-- A host caches those in memory and reads only this counter per decision, so a change
-- committed by any host is seen by the very next decision on every host.
--
-- PostgreSQL's dialect of the SQLite migration: a trigger function moves the counter,
-- and every move is announced on the channel `arbiter_config_epoch` (delivered at
-- commit), so replicas learn of a change without reading the counter per decision.

CREATE TABLE config_epoch (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    epoch  BIGINT NOT NULL
);
INSERT INTO config_epoch (id, epoch) VALUES (1, 0);

CREATE FUNCTION bump_config_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE config_epoch SET epoch = epoch + 1 WHERE id = 1;
    RETURN NULL;
END $$;

CREATE FUNCTION announce_config_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('arbiter_config_epoch', NEW.epoch::text);
    RETURN NULL;
END $$;

CREATE TRIGGER config_epoch_announce AFTER UPDATE ON config_epoch
FOR EACH ROW EXECUTE FUNCTION announce_config_epoch();

CREATE TRIGGER shop_settings_change AFTER INSERT OR UPDATE OR DELETE ON shop_settings
FOR EACH STATEMENT EXECUTE FUNCTION bump_config_epoch();
CREATE TRIGGER shop_rollouts_change AFTER INSERT OR UPDATE OR DELETE ON shop_rollouts
FOR EACH STATEMENT EXECUTE FUNCTION bump_config_epoch();
CREATE TRIGGER platform_settings_change AFTER INSERT OR UPDATE OR DELETE ON platform_settings
FOR EACH STATEMENT EXECUTE FUNCTION bump_config_epoch();
CREATE TRIGGER shop_failure_policies_change AFTER INSERT OR UPDATE OR DELETE ON shop_failure_policies
FOR EACH STATEMENT EXECUTE FUNCTION bump_config_epoch();
