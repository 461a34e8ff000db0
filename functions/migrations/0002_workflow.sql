-- The incident workflow: each incident's record as JSON (the shared `IncidentRecord`), dismissed
-- reports, the audit chains, and the alert keys that deduplicate monitoring alerts.

ALTER TABLE incidents ADD COLUMN record TEXT;
ALTER TABLE reports ADD COLUMN dismissal_reason TEXT;

-- One hash chain per subject (an incident or report reference). The head is written in the same
-- transaction as the entries, so a missing tail shows.
CREATE TABLE audit_heads (
    subject TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
) STRICT;

CREATE TABLE audit_entries (
    subject TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (subject, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE alert_keys (
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    incident TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (source, key)
) STRICT;
