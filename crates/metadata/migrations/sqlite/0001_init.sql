-- Initial schema (SQLite). Times are Unix microseconds so both SQL engines
-- round-trip them exactly and keyset comparisons stay integer comparisons.

CREATE TABLE albums (
    id          TEXT    PRIMARY KEY NOT NULL,
    user_id     TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    description TEXT,
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
-- Keyset pagination of one user's albums by (created_at, id).
CREATE INDEX albums_user_created_id ON albums (user_id, created_at, id);

CREATE TABLE images (
    id                    TEXT    PRIMARY KEY NOT NULL,
    user_id               TEXT    NOT NULL,
    -- No ON DELETE action: deleting an album detaches explicitly so that each
    -- image's version and updated_at move too.
    album_id              TEXT    REFERENCES albums (id),
    title                 TEXT,
    description           TEXT,
    alt_text              TEXT,
    tags                  TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
    width                 INTEGER NOT NULL,
    height                INTEGER NOT NULL,
    size                  INTEGER NOT NULL,
    thumb_width           INTEGER NOT NULL,
    thumb_height          INTEGER NOT NULL,
    thumb_size            INTEGER NOT NULL,
    original_content_type TEXT    NOT NULL,
    original_width        INTEGER NOT NULL,
    original_height       INTEGER NOT NULL,
    original_size         INTEGER NOT NULL,
    original_filename     TEXT,
    version               INTEGER NOT NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);
-- A page of one user's images costs O(limit), with or without an album filter.
CREATE INDEX images_user_id ON images (user_id, id);
CREATE INDEX images_user_album_id ON images (user_id, album_id, id);
-- Album image counts, detaching on album delete and the foreign-key check.
CREATE INDEX images_album ON images (album_id);

CREATE TABLE audit_events (
    id         TEXT    PRIMARY KEY NOT NULL, -- ULID: sorts by time
    at         INTEGER NOT NULL,
    request_id TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    target     TEXT,
    outcome    TEXT    NOT NULL,
    changes    TEXT                          -- JSON object or NULL
);
CREATE INDEX audit_actor_id ON audit_events (actor, id);
CREATE INDEX audit_target_id ON audit_events (target, id);
CREATE INDEX audit_action_id ON audit_events (action, id);

-- The audit trail is append-only, whoever holds the database file.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
