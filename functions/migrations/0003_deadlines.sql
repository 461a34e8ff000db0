-- Obligations of incidents, as the deadline checker and the obligations board read them. The
-- record (incidents.record) is the source of truth; a row is rewritten whenever its obligation
-- changes, in the same transaction. `next_check_at` is set only while a reminder or escalation is
-- pending, so the partial index holds open obligations only: the checker never reads the history.
CREATE TABLE obligations (
    subject TEXT NOT NULL,
    id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'met', 'not_required')),
    -- '<due_at or ~>#<subject>#<id>': the board's order and page cursor.
    board_key TEXT NOT NULL,
    next_check_at TEXT,
    row TEXT NOT NULL,
    deliveries TEXT NOT NULL DEFAULT '{}',
    version INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (subject, id)
) STRICT;

CREATE INDEX obligations_due ON obligations (next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX obligations_board ON obligations (state, board_key);
