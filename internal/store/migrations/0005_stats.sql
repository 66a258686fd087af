-- Crime statistics, shaped like SDMX: code lists, dataflows, series keyed
-- by their dimensions, and observations that are revised, never
-- overwritten: a new value closes the old row (valid_to) and opens a new
-- one, so the store can answer "as of" any past moment.

CREATE TABLE stat_codelist (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    partial     BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE stat_code (
    codelist TEXT NOT NULL REFERENCES stat_codelist (id),
    id       TEXT NOT NULL,
    name     TEXT NOT NULL,
    parent   TEXT NOT NULL DEFAULT '',
    position INT NOT NULL,
    PRIMARY KEY (codelist, id)
);

CREATE TABLE stat_dataflow (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL,
    source_url  TEXT NOT NULL DEFAULT '',
    licence     TEXT NOT NULL DEFAULT '',
    data_as_of  TEXT NOT NULL DEFAULT '',
    updated_at  TIMESTAMP NOT NULL
);

-- One row per series: the dimension codes, and the key they make.
CREATE TABLE stat_series (
    id           INTEGER PRIMARY KEY,
    flow         TEXT NOT NULL REFERENCES stat_dataflow (id),
    series_key   TEXT NOT NULL,
    freq         TEXT NOT NULL,
    ref_area     TEXT NOT NULL,
    indicator    TEXT NOT NULL,
    iccs         TEXT NOT NULL,
    sex          TEXT NOT NULL,
    age          TEXT NOT NULL,
    relationship TEXT NOT NULL,
    cyber        TEXT NOT NULL,
    source_type  TEXT NOT NULL,
    unit_measure TEXT NOT NULL,
    UNIQUE (flow, series_key)
);
CREATE INDEX stat_series_area ON stat_series (flow, ref_area);
CREATE INDEX stat_series_indicator ON stat_series (flow, indicator, iccs);

CREATE TABLE stat_obs (
    id         INTEGER PRIMARY KEY,
    series_id  BIGINT NOT NULL REFERENCES stat_series (id),
    period     TEXT NOT NULL,               -- SDMX period: 2013, 2013-Q1, 2013-01
    value      DOUBLE PRECISION,            -- NULL when missing
    obs_status TEXT NOT NULL DEFAULT 'A',
    source     TEXT NOT NULL DEFAULT '',
    comment    TEXT NOT NULL DEFAULT '',
    derivation TEXT NOT NULL DEFAULT '',
    valid_from TIMESTAMP NOT NULL,
    valid_to   TIMESTAMP                     -- NULL for the current revision
);
CREATE UNIQUE INDEX stat_obs_current ON stat_obs (series_id, period) WHERE valid_to IS NULL;
CREATE INDEX stat_obs_history ON stat_obs (series_id, period, valid_from);
CREATE INDEX stat_obs_updated ON stat_obs (valid_from);

INSERT INTO data_version (name, version) VALUES ('statistics', 1);
