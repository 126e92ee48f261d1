-- Audit retention (`image-service audit prune`): one row naming the last
-- pruned link of the chain. Deleting events stays refused, except chained
-- events at or behind that checkpoint; the checkpoint only moves forward.
CREATE TABLE audit_checkpoint (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    value TEXT NOT NULL
);
CREATE FUNCTION audit_checkpoint_forward() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seq < OLD.seq THEN
        RAISE EXCEPTION 'the audit checkpoint only moves forward';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_checkpoint_forward BEFORE UPDATE ON audit_checkpoint
FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_forward();
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
        AND OLD.seq IS NOT NULL
        AND OLD.seq <= COALESCE((SELECT seq FROM audit_checkpoint WHERE id = 1), 0)
    THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE'
        AND NEW.id IS NOT DISTINCT FROM OLD.id
        AND NEW.at IS NOT DISTINCT FROM OLD.at
        AND NEW.request_id IS NOT DISTINCT FROM OLD.request_id
        AND NEW.action IS NOT DISTINCT FROM OLD.action
        AND NEW.outcome IS NOT DISTINCT FROM OLD.outcome
        AND NEW.seq IS NOT DISTINCT FROM OLD.seq
        AND NEW.prev_hash IS NOT DISTINCT FROM OLD.prev_hash
        AND NEW.hash IS NOT DISTINCT FROM OLD.hash
        AND NEW.actor_commit IS NOT DISTINCT FROM OLD.actor_commit
        AND NEW.target_commit IS NOT DISTINCT FROM OLD.target_commit
        AND NEW.changes_commit IS NOT DISTINCT FROM OLD.changes_commit
        AND ((NEW.actor IS NOT DISTINCT FROM OLD.actor
              AND NEW.actor_salt IS NOT DISTINCT FROM OLD.actor_salt)
             OR (NEW.actor = 'erased' AND NEW.actor_salt IS NULL))
        AND ((NEW.target IS NOT DISTINCT FROM OLD.target
              AND NEW.target_salt IS NOT DISTINCT FROM OLD.target_salt)
             OR (NEW.target = 'erased' AND NEW.target_salt IS NULL))
        AND ((NEW.changes IS NOT DISTINCT FROM OLD.changes
              AND NEW.changes_salt IS NOT DISTINCT FROM OLD.changes_salt)
             OR (NEW.changes IS NULL AND NEW.changes_salt IS NULL))
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only (erasure may only redact actor, target and changes; only events behind the retention checkpoint may be pruned)';
END;
$$;
