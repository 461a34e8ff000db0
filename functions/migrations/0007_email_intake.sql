-- Reports and follow-ups that came by email, and a record of every message sent to the security
-- address: its key makes a second delivery of the same message a no-op.
ALTER TABLE reports ADD COLUMN email_intake TEXT; -- JSON EmailIntake
-- The id of the receipt sent for the report: a reply names it in In-Reply-To.
ALTER TABLE reports ADD COLUMN receipt_id TEXT;
CREATE UNIQUE INDEX reports_by_receipt_id ON reports (receipt_id) WHERE receipt_id IS NOT NULL;
ALTER TABLE follow_ups ADD COLUMN email_intake TEXT;

CREATE TABLE inbound_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_key TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL -- JSON InboundMessage
) STRICT;
