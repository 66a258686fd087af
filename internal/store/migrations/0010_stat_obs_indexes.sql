-- Two indexes of stat_obs that every observation paid for at import (a
-- quarter of an import's CPU on SQLite), for queries that can do without:
-- - "updated after" a time used an index on valid_from; it is always
--   asked of one dataflow, whose series are read anyway;
-- - "as of" a date looked up (series, period, valid_from). On SQLite the
--   current revisions are in stat_obs_current already, and the earlier
--   ones get a partial index of their own, which an import of new figures
--   does not write (their valid_to is NULL): SQLite reads the two indexes
--   for the two halves of the "as of" condition. PostgreSQL's planner does
--   not combine partial indexes inside a join, so it keeps the full index.
DROP INDEX stat_obs_updated;
DROP INDEX stat_obs_history; -- SQLite only
CREATE INDEX stat_obs_past ON stat_obs (series_id, period) WHERE valid_to IS NOT NULL; -- SQLite only
