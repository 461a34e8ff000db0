-- Customer notice campaigns (active until every delivery is settled), one delivery per recipient
-- (`state` is the `DeliveryState` JSON, `kind` its name for the sender's queries, `outcome` the
-- merged `MailOutcome` JSON), and the addresses never to mail again.
CREATE TABLE campaigns (
    list TEXT PRIMARY KEY,
    incident TEXT NOT NULL,
    notice_id INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    finished INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX campaigns_active ON campaigns (finished, started_at);

CREATE TABLE deliveries (
    list TEXT NOT NULL,
    seq INTEGER NOT NULL,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    outcome TEXT NOT NULL,
    PRIMARY KEY (list, seq)
) STRICT;

CREATE INDEX deliveries_by_kind ON deliveries (list, kind, seq);

CREATE TABLE suppressions (
    email TEXT PRIMARY KEY,
    reason TEXT NOT NULL
) STRICT;
