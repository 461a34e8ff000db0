-- Team accounts (`ports::Account` as JSON, with the email unique), their sessions and
-- single-use emailed tokens (both keyed by SHA-256: the secrets themselves are never stored),
-- sign-in failure counters by window, and server-wide secrets.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    record TEXT NOT NULL,
    version INTEGER NOT NULL
) STRICT;

CREATE TABLE account_tokens (
    hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
) STRICT;

CREATE TABLE sessions (
    hash TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
) STRICT;

CREATE TABLE sign_in_failures (
    key TEXT NOT NULL,
    window TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (key, window)
) STRICT;

CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    secret BLOB NOT NULL
) STRICT;
