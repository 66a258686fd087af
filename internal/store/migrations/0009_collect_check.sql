-- The checks of the files focal points upload to the collection
-- (collect.FileCheck). A file is read and checked against the rules first,
-- storing no figure; its figures are saved only when the focal point,
-- having seen what they would change, confirms. The check holds what was
-- read in between, and a large file until a background job has read it,
-- so that any server can take either step. Checks expire after a day.

CREATE TABLE collect_check (
    id            INTEGER PRIMARY KEY,
    round_id      BIGINT NOT NULL REFERENCES collect_round (id),
    state         TEXT NOT NULL REFERENCES participant (code),
    state_name    TEXT NOT NULL,
    account_id    BIGINT NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,                    -- as uploaded, for people
    kind          TEXT NOT NULL CHECK (kind IN ('workbook', 'csv')),
    flow          TEXT NOT NULL DEFAULT '',         -- the dataflow of a CSV file
    decimal_comma BOOLEAN NOT NULL DEFAULT FALSE,
    size          BIGINT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('waiting', 'running', 'read', 'refused', 'failed', 'saved')),
    bytes_read    BIGINT NOT NULL DEFAULT 0,
    content       BYTEA,                            -- the file, until it is read
    result        TEXT NOT NULL DEFAULT '{}',       -- JSON: previews, problems, error
    answer        TEXT NOT NULL DEFAULT '[]',       -- JSON: the figures read, by scope
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP NOT NULL,
    saved_at      TIMESTAMP
);
CREATE INDEX collect_check_expiry ON collect_check (expires_at);
CREATE INDEX collect_check_account ON collect_check (account_id);
