-- The affected-people register: each person as JSON with the group it counts in
-- (`GroupKey::encode`), imports staged until committed, and the counts per group the rules read.
CREATE TABLE people (
    incident TEXT NOT NULL,
    id TEXT NOT NULL,
    person TEXT NOT NULL,
    grp TEXT NOT NULL,
    PRIMARY KEY (incident, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE people_staged (
    incident TEXT NOT NULL,
    import TEXT NOT NULL,
    id TEXT NOT NULL,
    person TEXT NOT NULL,
    grp TEXT NOT NULL,
    PRIMARY KEY (incident, import, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE people_groups (
    incident TEXT NOT NULL,
    grp TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (incident, grp)
) STRICT, WITHOUT ROWID;
