-- The platform: participants, accounts, sessions, tokens, audit trail, jobs,
-- notifications and sign-in counters. Written for SQLite; dialect.go
-- translates the few words PostgreSQL spells differently.

CREATE TABLE regional_group (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE participant (
    code           TEXT PRIMARY KEY,            -- ISO 3166-1 alpha-3; EUU for the European Union
    iso2           TEXT NOT NULL UNIQUE,
    m49            TEXT UNIQUE,                 -- NULL for the European Union
    name           TEXT NOT NULL,
    untc_name      TEXT NOT NULL DEFAULT '',
    common_name    TEXT NOT NULL DEFAULT '',
    kind           TEXT NOT NULL CHECK (kind IN ('member_state', 'observer_state', 'non_member_state', 'organization')),
    regional_group TEXT REFERENCES regional_group (code),
    note           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX participant_group ON participant (regional_group);

-- "user" is a reserved word in PostgreSQL.
CREATE TABLE account (
    id                  INTEGER PRIMARY KEY,
    email               TEXT NOT NULL UNIQUE,   -- lower case
    name                TEXT NOT NULL,
    password_hash       TEXT NOT NULL,          -- Argon2id, PHC string format
    role                TEXT NOT NULL CHECK (role IN ('admin', 'secretariat', 'focal_point', 'expert', 'donor')),
    state               TEXT REFERENCES participant (code),
    contributor         TEXT NOT NULL DEFAULT '',
    locale              TEXT NOT NULL DEFAULT '',
    disabled            BOOLEAN NOT NULL DEFAULT FALSE,
    sample              BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    CHECK ((role IN ('focal_point', 'expert')) = (state IS NOT NULL))
);
CREATE INDEX account_state ON account (state);

CREATE TABLE session (
    hash       TEXT PRIMARY KEY,                -- SHA-256 of the cookie's token
    account_id BIGINT NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    seen_at    TIMESTAMP NOT NULL,
    address    TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX session_account ON session (account_id);
CREATE INDEX session_expires ON session (expires_at);

CREATE TABLE api_token (
    id           INTEGER PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,          -- SHA-256 of the token
    prefix       TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);
CREATE INDEX api_token_account ON api_token (account_id);

-- Failed sign-in attempts per key (account or address) in the current window.
CREATE TABLE signin_failure (
    key          TEXT PRIMARY KEY,
    window_start TIMESTAMP NOT NULL,
    count        INT NOT NULL
);

-- The audit trail. The application only inserts; seq is contiguous and each
-- record's hash covers the previous one's.
CREATE TABLE audit (
    seq           BIGINT PRIMARY KEY,
    at            TIMESTAMP NOT NULL,
    actor_id      BIGINT,                       -- no foreign key: the trail outlives accounts
    actor         TEXT NOT NULL,
    role          TEXT NOT NULL,
    action        TEXT NOT NULL,
    entity        TEXT NOT NULL,
    entity_id     TEXT NOT NULL,
    before_digest TEXT NOT NULL,
    after_digest  TEXT NOT NULL,
    summary       TEXT NOT NULL,
    request_id    TEXT NOT NULL,
    address       TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX audit_entity ON audit (entity, entity_id);
CREATE INDEX audit_at ON audit (at);

-- The last link of the chain. Writers lock this row to append, which
-- serialises appends across servers and lets verify see a truncated tail.
CREATE TABLE audit_head (
    id   SMALLINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

CREATE TABLE job (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL DEFAULT '{}',
    dedupe       TEXT,                          -- at most one unfinished job per key
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
    run_at       TIMESTAMP NOT NULL,
    attempts     INT NOT NULL DEFAULT 0,
    max_attempts INT NOT NULL DEFAULT 5,
    locked_by    TEXT NOT NULL DEFAULT '',
    locked_until TIMESTAMP,
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP
);
CREATE INDEX job_due ON job (status, run_at);
CREATE UNIQUE INDEX job_dedupe ON job (dedupe) WHERE status IN ('pending', 'running');

CREATE TABLE notification (
    id         INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    link       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    read_at    TIMESTAMP
);
CREATE INDEX notification_account ON notification (account_id, created_at);

-- E-mail waiting to be sent. A row stays until the mail server has accepted
-- the message, so nothing is lost while the server is down.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    notification_id BIGINT REFERENCES notification (id) ON DELETE SET NULL,
    to_addr         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    attempts        INT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP,
    last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);
