-- Things that work once (a report form's ticket): each key, until it could no longer be used.
CREATE TABLE spent_once (
    key TEXT PRIMARY KEY,
    expires_at TEXT NOT NULL
) STRICT;
