-- Treaties: the programme's conventions and protocols, and every
-- signature, ratification, accession and the like deposited for them.
-- Dates are calendar dates written YYYY-MM-DD, which sort as text.

CREATE TABLE instrument (
    id              TEXT PRIMARY KEY,           -- MTDSG number, e.g. XVIII-12; a cpcj code where there is none
    alias           TEXT NOT NULL UNIQUE,       -- e.g. UNTOC
    short_title     TEXT NOT NULL,
    title           TEXT NOT NULL,
    place           TEXT NOT NULL,
    adopted         TEXT NOT NULL,
    depositary      TEXT NOT NULL,
    parent          TEXT REFERENCES instrument (id),
    topic           TEXT NOT NULL CHECK (topic IN ('crime', 'corruption', 'drugs', 'terrorism')),
    eif_instruments INT,                        -- entry into force: after this many deposits
    eif_days        INT,                        -- on this day after the deposit that reached it
    eif_days_later  INT,                        -- and for later participants, this day after theirs
    requires_parent BOOLEAN NOT NULL DEFAULT FALSE,
    records         BOOLEAN NOT NULL DEFAULT FALSE,
    records_as_of   TEXT,
    source          TEXT NOT NULL DEFAULT ''
);

CREATE TABLE participation (
    id            INTEGER PRIMARY KEY,
    instrument    TEXT NOT NULL REFERENCES instrument (id),
    participant   TEXT NOT NULL REFERENCES participant (code),
    action        TEXT NOT NULL CHECK (action IN ('signature', 'succession_to_signature', 'ratification', 'acceptance',
                      'approval', 'accession', 'succession', 'formal_confirmation', 'participation_via_1972_protocol', 'withdrawal')),
    date          TEXT NOT NULL CHECK (length(date) = 10),
    effective     TEXT,                         -- a withdrawal's date of effect
    declarations  TEXT NOT NULL DEFAULT '',
    source        TEXT NOT NULL,
    records_as_of TEXT NOT NULL,
    exception     TEXT NOT NULL DEFAULT '',     -- why a rule was set aside (historical exception)
    retracted_at  TIMESTAMP,                    -- a record entered in error and withdrawn by the secretariat
    retract_reason TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX participation_status ON participation (instrument, date);
CREATE INDEX participation_participant ON participation (participant);
CREATE UNIQUE INDEX participation_unique ON participation (instrument, participant, action, date) WHERE retracted_at IS NULL;

-- A counter per kind of record that servers cache: each change bumps it in
-- its transaction, so a server knows its copy is stale with one small read.
CREATE TABLE data_version (
    name    TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO data_version (name, version) VALUES ('participation', 1);
