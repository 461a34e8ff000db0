-- Intake: reports from the public form, their follow-ups and attachments, and the incidents they
-- are triaged into. Times are RFC 3339 UTC text with microseconds, so text order is time order.

CREATE TABLE sequences (
    name TEXT NOT NULL,
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (name, year)
) STRICT;

CREATE TABLE incidents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    opened_at TEXT NOT NULL
) STRICT;

CREATE TABLE reports (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    reporter_kind TEXT NOT NULL,
    reporter_name TEXT,
    reporter_email TEXT,
    description TEXT NOT NULL,
    steps_to_reproduce TEXT,
    observed_at TEXT,
    affected_system TEXT,
    received_at TEXT NOT NULL,
    follow_up_token_hash BLOB NOT NULL UNIQUE,
    incident_seq INTEGER REFERENCES incidents (seq)
) STRICT;

CREATE INDEX reports_by_status ON reports (status, seq);
CREATE INDEX reports_by_incident ON reports (incident_seq);

CREATE TABLE follow_ups (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    report_seq INTEGER NOT NULL REFERENCES reports (seq),
    message TEXT,
    received_at TEXT NOT NULL
) STRICT;

CREATE INDEX follow_ups_by_report ON follow_ups (report_seq);

CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    report_seq INTEGER NOT NULL REFERENCES reports (seq),
    follow_up_seq INTEGER REFERENCES follow_ups (seq),
    file_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL
) STRICT;

CREATE INDEX attachments_by_report ON attachments (report_seq, follow_up_seq);
