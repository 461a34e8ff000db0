-- The policy register: the organisation's policy reviews and standing duties (the yearly review),
-- one row holding the shared `PolicyRegister` as JSON. Its audit chain and obligation rows live
-- in audit_heads, audit_entries and obligations beside the incidents'.
CREATE TABLE policy_register (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    reference TEXT NOT NULL,
    record TEXT NOT NULL
) STRICT;
