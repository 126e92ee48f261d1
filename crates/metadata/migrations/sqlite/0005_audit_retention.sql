-- Audit retention (`image-service audit prune`): one row naming the last
-- pruned link of the chain. Deleting events stays refused, except chained
-- events at or behind that checkpoint; the checkpoint only moves forward.
CREATE TABLE audit_checkpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    value TEXT NOT NULL
);
CREATE TRIGGER audit_checkpoint_forward BEFORE UPDATE ON audit_checkpoint
WHEN NEW.seq < OLD.seq
BEGIN
    SELECT RAISE(ABORT, 'the audit checkpoint only moves forward');
END;
DROP TRIGGER audit_events_no_delete;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN NOT (
    OLD.seq IS NOT NULL
    AND OLD.seq <= COALESCE((SELECT seq FROM audit_checkpoint WHERE id = 1), 0)
)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only (only events behind the retention checkpoint may be pruned)');
END;
