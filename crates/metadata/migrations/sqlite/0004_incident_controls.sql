-- Incident controls (domain::incident): a few small rows every replica reads
-- whole every few seconds; the key says what a row is, the value is JSON.
CREATE TABLE incident_controls (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
