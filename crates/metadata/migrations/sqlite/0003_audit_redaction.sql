-- GDPR erasure of the audit trail without breaking the chain. Events chained
-- from now on (encoding v2, domain::audit_chain) hash actor, target and
-- changes only through commitments SHA-256(field tag || salt || value), each
-- field with its own random 16-byte salt (hex). Erasure redacts a field by
-- replacing its value with 'erased' (changes: NULL) and deleting its salt;
-- the commitment, seq and hashes stay, so `audit verify` still passes.
-- Events chained before this migration keep NULL commitments (v1).
ALTER TABLE audit_events ADD COLUMN actor_salt TEXT;
ALTER TABLE audit_events ADD COLUMN target_salt TEXT;
ALTER TABLE audit_events ADD COLUMN changes_salt TEXT;
ALTER TABLE audit_events ADD COLUMN actor_commit TEXT;
ALTER TABLE audit_events ADD COLUMN target_commit TEXT;
ALTER TABLE audit_events ADD COLUMN changes_commit TEXT;

-- Still append-only, but for that one redaction: every other column is
-- unchanged, and each of actor, target and changes is either unchanged with
-- its salt, or redacted with its salt gone.
DROP TRIGGER audit_events_no_update;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN NOT (
    NEW.id IS OLD.id AND NEW.at IS OLD.at AND NEW.request_id IS OLD.request_id
    AND NEW.action IS OLD.action AND NEW.outcome IS OLD.outcome
    AND NEW.seq IS OLD.seq AND NEW.prev_hash IS OLD.prev_hash AND NEW.hash IS OLD.hash
    AND NEW.actor_commit IS OLD.actor_commit
    AND NEW.target_commit IS OLD.target_commit
    AND NEW.changes_commit IS OLD.changes_commit
    AND ((NEW.actor IS OLD.actor AND NEW.actor_salt IS OLD.actor_salt)
         OR (NEW.actor = 'erased' AND NEW.actor_salt IS NULL))
    AND ((NEW.target IS OLD.target AND NEW.target_salt IS OLD.target_salt)
         OR (NEW.target = 'erased' AND NEW.target_salt IS NULL))
    AND ((NEW.changes IS OLD.changes AND NEW.changes_salt IS OLD.changes_salt)
         OR (NEW.changes IS NULL AND NEW.changes_salt IS NULL))
)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only (erasure may only redact actor, target and changes)');
END;
