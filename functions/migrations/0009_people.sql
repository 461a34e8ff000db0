-- The affected-people register: each person as JSON with the group it counts in
-- (`GroupKey::encode`), imports staged until committed, and the counts per group the rules read.
CREATE TABLE people (
    incident TEXT NOT NULL,
    id TEXT NOT NULL,
    person TEXT NOT NULL,
    grp TEXT NOT NULL,
    PRIMARY KEY (incident, id)
) STRICT, WITHOUT ROWID;

-- An import's people are staged in a table of their own, `people_staged_<import>`, appended in
-- file order and dropped when the import commits or is discarded.

CREATE TABLE people_groups (
    incident TEXT NOT NULL,
    grp TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (incident, grp)
) STRICT, WITHOUT ROWID;

-- Who was told, per duty, by which notice (the first that told them), and the counts per duty.
CREATE TABLE people_told (
    incident TEXT NOT NULL,
    person TEXT NOT NULL,
    duty TEXT NOT NULL,
    notice INTEGER NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (incident, person, duty)
) STRICT, WITHOUT ROWID;

CREATE TABLE people_told_counts (
    incident TEXT NOT NULL,
    duty TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (incident, duty)
) STRICT, WITHOUT ROWID;
