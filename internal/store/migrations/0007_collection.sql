-- The annual collection of statistics from Member States (UN-CTS): rounds
-- and the tables each asks, each State's submission per table with its
-- draft values, and the query threads between the secretariat and the
-- focal point. Draft values stay here, out of the public statistics, until
-- the secretariat publishes them: then they go to stat_obs as a new
-- revision.

CREATE TABLE collect_round (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    year       INT NOT NULL,
    opens_on   TEXT NOT NULL,                  -- YYYY-MM-DD
    due_on     TEXT NOT NULL,                  -- YYYY-MM-DD
    closed_at  TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

-- The tables of a round, as they were when it opened (JSON of
-- collect.Table), so that a later change to a questionnaire does not change
-- what was asked.
CREATE TABLE collect_table (
    round_id BIGINT NOT NULL REFERENCES collect_round (id),
    id       TEXT NOT NULL,
    position INT NOT NULL,
    flow     TEXT NOT NULL REFERENCES stat_dataflow (id),
    spec     TEXT NOT NULL,
    PRIMARY KEY (round_id, id)
);

-- A State's answer to one table of a round; no row while not started.
CREATE TABLE collect_submission (
    id           INTEGER PRIMARY KEY,
    round_id     BIGINT NOT NULL,
    table_id     TEXT NOT NULL,
    state        TEXT NOT NULL REFERENCES participant (code),
    status       TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'queried', 'validated', 'published')),
    updated_at   TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    UNIQUE (round_id, table_id, state),
    FOREIGN KEY (round_id, table_id) REFERENCES collect_table (round_id, id)
);
CREATE INDEX collect_submission_state ON collect_submission (state, round_id);

-- The values of a submission's draft. Saving replaces them all.
CREATE TABLE collect_value (
    submission_id BIGINT NOT NULL REFERENCES collect_submission (id),
    series_key    TEXT NOT NULL,
    period        TEXT NOT NULL,
    value         DOUBLE PRECISION,                -- NULL: not available
    obs_status    TEXT NOT NULL DEFAULT 'A',
    comment       TEXT NOT NULL DEFAULT '',
    origin        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (submission_id, series_key, period)
);

-- A question of the secretariat on one value, and the messages of its
-- thread.
CREATE TABLE collect_query (
    id            INTEGER PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES collect_submission (id),
    series_key    TEXT NOT NULL,
    period        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('open', 'answered', 'closed')),
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX collect_query_submission ON collect_query (submission_id);

CREATE TABLE collect_message (
    id         INTEGER PRIMARY KEY,
    query_id   BIGINT NOT NULL REFERENCES collect_query (id),
    author_id  BIGINT REFERENCES account (id),
    author     TEXT NOT NULL,                    -- the name shown, kept if the account goes
    party      TEXT NOT NULL CHECK (party IN ('state', 'secretariat')),
    body       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX collect_message_query ON collect_message (query_id);

-- The reminders sent to a State about a round, so that each is sent once:
-- 'due' some days before the due date, 'overdue' after it.
CREATE TABLE collect_reminder (
    round_id BIGINT NOT NULL REFERENCES collect_round (id),
    state    TEXT NOT NULL REFERENCES participant (code),
    kind     TEXT NOT NULL CHECK (kind IN ('due', 'overdue')),
    sent_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (round_id, state, kind)
);
