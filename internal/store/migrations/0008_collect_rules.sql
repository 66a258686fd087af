-- The validation rules of the collection, which the secretariat defines and
-- edits in the application (collect.Rule). They are seeded once, in this
-- step, from the rules cpcj ships (data/collection/rules.csv). A rule is
-- never deleted, since it explains the findings it made: it is disabled.

CREATE TABLE collect_rule (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,             -- shown with every finding
    kind       TEXT NOT NULL CHECK (kind IN ('sum', 'count', 'rate', 'order', 'outlier', 'complete')),
    severity   TEXT NOT NULL CHECK (severity IN ('error', 'warning')),
    flow       TEXT REFERENCES stat_dataflow (id), -- NULL: every dataflow
    params     TEXT NOT NULL,                    -- JSON of collect.Params
    enabled    BOOLEAN NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,                    -- the name shown, kept if the account goes
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);
