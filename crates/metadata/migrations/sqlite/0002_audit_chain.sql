-- The tamper-evident audit chain (domain::audit_chain): each event gets the
-- next sequence number, the hash of the event before it (hex; 64 zeros for
-- seq 1) and its own hash, SHA-256 over prev_hash and the event's fields.
-- Events written before this migration keep a NULL seq and are not part of
-- the chain, which starts at seq 1 after them.
ALTER TABLE audit_events ADD COLUMN seq INTEGER;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;
-- One event per seq (NULLs do not collide): of two appenders racing for the
-- same seq, one insert fails and that writer retries on the new head.
CREATE UNIQUE INDEX audit_events_seq ON audit_events (seq);
