-- GDPR erasure of the audit trail without breaking the chain. Events chained
-- from now on (encoding v2, domain::audit_chain) hash actor, target and
-- changes only through commitments SHA-256(field tag || salt || value), each
-- field with its own random 16-byte salt (hex). Erasure redacts a field by
-- replacing its value with 'erased' (changes: NULL) and deleting its salt;
-- the commitment, seq and hashes stay, so `audit verify` still passes.
-- Events chained before this migration keep NULL commitments (v1). Adding
-- nullable columns rewrites no row, so the trigger is not involved.
ALTER TABLE audit_events
    ADD COLUMN actor_salt     TEXT,
    ADD COLUMN target_salt    TEXT,
    ADD COLUMN changes_salt   TEXT,
    ADD COLUMN actor_commit   TEXT,
    ADD COLUMN target_commit  TEXT,
    ADD COLUMN changes_commit TEXT;

-- Still append-only, but for that one redaction: no DELETE; an UPDATE leaves
-- every other column as it was, and each of actor, target and changes either
-- unchanged with its salt, or redacted with its salt gone.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
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
    RAISE EXCEPTION 'audit_events is append-only (erasure may only redact actor, target and changes)';
END;
$$;
