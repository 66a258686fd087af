package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/stats"
)

// seriesColumns are the dimension columns of stat_series, in key order.
var seriesColumns = []string{"freq", "ref_area", "indicator", "iccs", "sex", "age", "relationship", "cyber", "source_type", "unit_measure"}

// Codelists returns every code list with its codes, in order.
func (db *DB) Codelists(ctx context.Context) ([]stats.Codelist, error) {
	return db.reader().codelists(ctx)
}

func (c conn) codelists(ctx context.Context) ([]stats.Codelist, error) {
	rows, err := c.query(ctx, "SELECT id, name, description, partial FROM stat_codelist ORDER BY id")
	if err != nil {
		return nil, err
	}
	var out []stats.Codelist
	idx := map[string]int{}
	for rows.Next() {
		var cl stats.Codelist
		if err := rows.Scan(&cl.ID, &cl.Name, &cl.Description, &cl.Partial); err != nil {
			rows.Close()
			return nil, err
		}
		idx[cl.ID] = len(out)
		out = append(out, cl)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = c.query(ctx, "SELECT codelist, id, name, parent FROM stat_code ORDER BY codelist, position")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var list string
		var code stats.Code
		if err := rows.Scan(&list, &code.ID, &code.Name, &code.Parent); err != nil {
			return nil, err
		}
		if i, ok := idx[list]; ok {
			out[i].Codes = append(out[i].Codes, code)
		}
	}
	return out, rows.Err()
}

// PutCodelist stores a code list, replacing the codes it had. Code lists
// are reference data: the change is audited.
func (db *DB) PutCodelist(ctx context.Context, by access.Actor, cl stats.Codelist) error {
	if err := access.Check(by, access.ManageReference, ""); err != nil {
		return err
	}
	return db.inTx(ctx, func(t *tx) error { return t.putCodelist(ctx, by, cl) })
}

func (t *tx) putCodelist(ctx context.Context, by access.Actor, cl stats.Codelist) error {
	_, err := t.exec(ctx, `INSERT INTO stat_codelist (id, name, description, partial) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, partial = excluded.partial`,
		cl.ID, cl.Name, cl.Description, cl.Partial)
	if err != nil {
		return fmt.Errorf("code list %s: %w", cl.ID, err)
	}
	if _, err := t.exec(ctx, "DELETE FROM stat_code WHERE codelist = ?", cl.ID); err != nil {
		return err
	}
	for i, code := range cl.Codes {
		if _, err := t.exec(ctx, "INSERT INTO stat_code (codelist, id, name, parent, position) VALUES (?, ?, ?, ?, ?)",
			cl.ID, code.ID, code.Name, code.Parent, i); err != nil {
			return fmt.Errorf("code list %s code %s: %w", cl.ID, code.ID, err)
		}
	}
	if err := t.bump(ctx, "statistics"); err != nil {
		return err
	}
	return t.record(ctx, by, audit.Change{Action: "put", Entity: "stat_codelist", EntityID: cl.ID, After: cl,
		Summary: fmt.Sprintf("code list %s with %d codes", cl.ID, len(cl.Codes))})
}

const dataflowColumns = "id, name, description, source, source_url, licence, data_as_of, updated_at"

func scanDataflow(sc interface{ Scan(...any) error }, f *stats.Dataflow) error {
	return sc.Scan(&f.ID, &f.Name, &f.Description, &f.Source, &f.SourceURL, &f.Licence, &f.DataAsOf, tstamp{&f.UpdatedAt})
}

// Dataflows lists the dataflows.
func (db *DB) Dataflows(ctx context.Context) ([]stats.Dataflow, error) {
	return db.reader().dataflows(ctx)
}

func (c conn) dataflows(ctx context.Context) ([]stats.Dataflow, error) {
	rows, err := c.query(ctx, "SELECT "+dataflowColumns+" FROM stat_dataflow ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []stats.Dataflow
	for rows.Next() {
		var f stats.Dataflow
		if err := scanDataflow(rows, &f); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// Dataflow returns one dataflow.
func (db *DB) Dataflow(ctx context.Context, id string) (stats.Dataflow, error) {
	var f stats.Dataflow
	err := scanDataflow(db.reader().queryRow(ctx, "SELECT "+dataflowColumns+" FROM stat_dataflow WHERE id = ?", id), &f)
	return f, notFound(err, "No dataflow has the id %q.", id)
}

// PutDataflow stores a dataflow's description.
func (db *DB) PutDataflow(ctx context.Context, by access.Actor, f stats.Dataflow) error {
	if err := access.Check(by, access.ManageReference, ""); err != nil {
		return err
	}
	return db.inTx(ctx, func(t *tx) error { return t.putDataflow(ctx, by, f) })
}

func (t *tx) putDataflow(ctx context.Context, by access.Actor, f stats.Dataflow) error {
	_, err := t.exec(ctx, `INSERT INTO stat_dataflow (id, name, description, source, source_url, licence, data_as_of, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, source = excluded.source,
			source_url = excluded.source_url, licence = excluded.licence, data_as_of = excluded.data_as_of`,
		f.ID, f.Name, f.Description, f.Source, f.SourceURL, f.Licence, f.DataAsOf, t.db.now())
	if err != nil {
		return fmt.Errorf("dataflow %s: %w", f.ID, err)
	}
	if err := t.bump(ctx, "statistics"); err != nil {
		return err
	}
	return t.record(ctx, by, audit.Change{Action: "put", Entity: "stat_dataflow", EntityID: f.ID, After: f, Summary: "dataflow " + f.ID})
}

// Observations streams the observations a query selects, by series key and
// period.
func (db *DB) Observations(ctx context.Context, q stats.Query, fn func(stats.Observation) error) error {
	where, args := obsWhere(q)
	query := db.obsSelect(where)
	if q.Limit > 0 {
		query += " LIMIT " + strconv.Itoa(q.Limit)
	}
	rows, err := db.reader().query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	emit, flush := fn, func() error { return nil }
	if q.FirstN > 0 || q.LastN > 0 {
		emit, flush = perSeries(q.FirstN, q.LastN, fn)
	}
	sc := newObsScanner(q.Flow)
	for rows.Next() {
		o, err := sc.scan(rows)
		if err != nil {
			return err
		}
		if err := emit(o); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return flush()
}

// maxKeys is the most series keys a query's key is turned into for the
// index; maxPeriods the most period texts Observations keeps parsed.
const (
	maxKeys    = 500
	maxPeriods = 10000
)

// seriesKeys returns the series keys a query's key selects, when it names
// codes in every dimension and they make at most maxKeys keys; nil
// otherwise. The codes of each dimension stay in the WHERE clause too, so
// that the answer is the same whatever the codes hold.
func seriesKeys(key [10][]string) []string {
	n := 1
	for _, codes := range key {
		n *= len(codes)
		if n == 0 || n > maxKeys {
			return nil
		}
	}
	keys := []string{""}
	for i, codes := range key {
		next := make([]string, 0, len(keys)*len(codes))
		for _, k := range keys {
			for _, c := range codes {
				if i > 0 {
					c = k + "." + c
				}
				next = append(next, c)
			}
		}
		keys = next
	}
	return keys
}

// marks returns n placeholders separated by commas.
func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// timeText selects a time column to be scanned by timeScanner. On SQLite it
// is made an expression: the driver parses the text of a column declared
// TIMESTAMP itself, trying layouts that do not fit cpcj's before one that
// does, for every row; the text of an expression it hands over as it is.
func (db *DB) timeText(col string) string {
	if db.engine == SQLite {
		return col + " || ''"
	}
	return col
}

// timeScanner scans a time as tstamp does, reading SQLite's text only when
// it differs from the last row's.
type timeScanner struct {
	t    *time.Time
	text string
}

func (s *timeScanner) Scan(v any) error {
	text, isText := v.(string)
	if isText && text == s.text && text != "" {
		return nil
	}
	if err := (tstamp{s.t}).Scan(v); err != nil {
		return err
	}
	if isText {
		s.text = text
	}
	return nil
}

// perSeries keeps the first n and the last m observations of each series
// (n or m zero for none) of a stream ordered by series and period, and
// hands them on to fn; flush ends the last series. A series is buffered
// only when the last observations are wanted.
func perSeries(n, m int, fn func(stats.Observation) error) (emit func(stats.Observation) error, flush func() error) {
	var (
		key     stats.Key
		started bool
		count   int
		buf     []stats.Observation
	)
	end := func() error {
		for i, o := range buf {
			if i >= n && i < len(buf)-m {
				continue
			}
			if err := fn(o); err != nil {
				return err
			}
		}
		buf = buf[:0]
		return nil
	}
	emit = func(o stats.Observation) error {
		if !started || o.Key != key {
			if err := end(); err != nil {
				return err
			}
			key, started, count = o.Key, true, 0
		}
		count++
		if m == 0 {
			if count <= n {
				return fn(o)
			}
			return nil
		}
		buf = append(buf, o)
		return nil
	}
	return emit, end
}

// periodAfter is the smallest period text that sorts after every period
// within p.
func periodAfter(p stats.Period) string {
	if p.Kind == 'A' {
		return fmt.Sprintf("%04d.", p.Year) // '.' sorts after '-', so 2013-Q4 < 2013.
	}
	return p.String() + "~"
}

func splitKey(s string) stats.Key {
	var k stats.Key
	parts := strings.SplitN(s, ".", len(k))
	copy(k[:], parts)
	return k
}

// IngestReport tells what an ingest did.
type IngestReport struct {
	Series    int // series the input touched
	NewSeries int
	Added     int // observations where there were none
	Revised   int // observations whose value or attributes changed
	Unchanged int
}

// insertBatch is the number of observations written per INSERT statement:
// enough to spend little time per row on statement overhead, few enough to
// stay under SQLite's limit of 32,766 parameters.
const insertBatch = 500

// Ingest stores observations of one dataflow in one transaction. An
// observation equal to the current one is left alone; one that differs
// closes the current revision and becomes the new one; so nothing is ever
// overwritten and "as of" queries see what was published then. The caller
// has validated the observations.
func (db *DB) Ingest(ctx context.Context, by access.Actor, flow string, obs []stats.Observation, summary string) (IngestReport, error) {
	return db.IngestStream(ctx, by, flow, func(yield func([]stats.Observation, error) bool) { yield(obs, nil) }, summary)
}

// IngestStream stores the observations of one dataflow that chunks yields,
// as Ingest does and in one transaction: all of them or, if chunks yields
// an error (a file found bad at its end, say), none. The chunks are read in
// a goroutine of their own, the next while this one is written, so that a
// caller reading and checking a file as it goes does that beside the
// writing, and holds a few chunks in memory rather than the whole file. A
// chunk must not be changed once yielded.
func (db *DB) IngestStream(ctx context.Context, by access.Actor, flow string, chunks iter.Seq2[[]stats.Observation, error], summary string) (IngestReport, error) {
	if err := access.Check(by, access.ManageStatistics, ""); err != nil {
		return IngestReport{}, err
	}
	var rep IngestReport
	err := db.inTx(ctx, func(t *tx) error {
		in, err := t.newIngestion(ctx, flow)
		if err != nil {
			return err
		}
		defer in.end(ctx)
		next, stop := readAhead(chunks)
		defer stop()
		for {
			obs, err, ok := next()
			if !ok {
				break
			}
			if err != nil {
				return err
			}
			if err := in.add(ctx, obs); err != nil {
				return err
			}
		}
		rep, err = in.finish(ctx, by, summary)
		return err
	})
	return rep, err
}

// readAhead runs a sequence of chunks in a goroutine of its own, one chunk
// ahead of the caller of next. stop ends it and waits for the goroutine.
func readAhead(chunks iter.Seq2[[]stats.Observation, error]) (next func() ([]stats.Observation, error, bool), stop func()) {
	type chunk struct {
		obs []stats.Observation
		err error
	}
	ch := make(chan chunk, 1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(ch)
		for obs, err := range chunks {
			select {
			case ch <- chunk{obs, err}:
			case <-done:
				return
			}
		}
	})
	next = func() ([]stats.Observation, error, bool) {
		c, ok := <-ch
		return c.obs, c.err, ok
	}
	stop = func() {
		close(done)
		wg.Wait()
	}
	return next, stop
}

// ingest stores observations in the transaction, as Ingest does.
func (t *tx) ingest(ctx context.Context, by access.Actor, flow string, obs []stats.Observation, summary string) (IngestReport, error) {
	in, err := t.newIngestion(ctx, flow)
	if err != nil {
		return IngestReport{}, err
	}
	defer in.end(ctx)
	if err := in.add(ctx, obs); err != nil {
		return in.rep, err
	}
	return in.finish(ctx, by, summary)
}

// ingestion is one ingest under way, fed chunk by chunk.
type ingestion struct {
	t         *tx
	flow      string
	now       time.Time
	validFrom any // now, as the engine takes it
	rep       IngestReport
	// series holds the id of every series of the flow by key, those that
	// existed and those the ingest created; created and touched are sets
	// of ids, and loaded those of the series that existed whose current
	// observations have been read into current.
	series                   map[string]int64
	created, touched, loaded map[int64]bool
	current                  map[obsKey]currentObs
	texts                    periodTexts
	ins                      *batcher
	cacheWas                 int64 // SQLite's page cache before the ingest; 0 when unchanged
	tempWas                  int   // SQLite's temp_store before the ingest
}

// ingestCache is the page cache, in KiB, of SQLite's write connection
// during an ingest. With the default 2 MB, a large import fills the cache
// with dirty pages, and SQLite writes them to the WAL in the middle of the
// transaction; with 16 MB an import of a million observations takes 7 %
// less CPU in the benchmark. The cache is given back at the end.
const ingestCache = 16 << 10

// newIngestion begins an ingest into the flow.
func (t *tx) newIngestion(ctx context.Context, flow string) (*ingestion, error) {
	var exists int
	if err := t.queryRow(ctx, "SELECT COUNT(*) FROM stat_dataflow WHERE id = ?", flow).Scan(&exists); err != nil {
		return nil, err
	}
	if exists == 0 {
		return nil, fail.New(fail.NotFound, "No dataflow has the id %q.", flow)
	}
	in := &ingestion{t: t, flow: flow, now: t.db.now(), series: map[string]int64{}, created: map[int64]bool{},
		touched: map[int64]bool{}, loaded: map[int64]bool{}, current: map[obsKey]currentObs{}, texts: periodTexts{}}
	in.validFrom = t.db.args([]any{in.now})[0]
	// The series of the flow, read in one query: a flow has at most tens
	// of thousands, and this is cheaper than one query per key.
	rows, err := t.query(ctx, "SELECT id, series_key FROM stat_series WHERE flow = ?", flow)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			rows.Close()
			return nil, err
		}
		in.series[key] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if t.db.engine == SQLite {
		var was int64
		if err := t.queryRow(ctx, "PRAGMA cache_size").Scan(&was); err != nil {
			return nil, err
		}
		if _, err := t.exec(ctx, "PRAGMA cache_size = "+strconv.Itoa(-ingestCache)); err != nil {
			return nil, err
		}
		in.cacheWas = was
		// Each multi-row INSERT keeps a statement journal of the pages it
		// changes, to undo itself alone if it fails; in a temporary file,
		// that was a tenth of the import's CPU in system calls.
		if err := t.queryRow(ctx, "PRAGMA temp_store").Scan(&in.tempWas); err != nil {
			return nil, err
		}
		if _, err := t.exec(ctx, "PRAGMA temp_store = MEMORY"); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// end gives SQLite's page cache back, whether the ingest succeeded or not.
func (in *ingestion) end(ctx context.Context) {
	if in.cacheWas != 0 {
		ctx := context.WithoutCancel(ctx)
		in.t.exec(ctx, "PRAGMA cache_size = "+strconv.FormatInt(in.cacheWas, 10))
		in.t.exec(ctx, "PRAGMA temp_store = "+strconv.Itoa(in.tempWas))
	}
}

// add stores a chunk of observations.
func (in *ingestion) add(ctx context.Context, obs []stats.Observation) error {
	t := in.t
	ids, err := in.seriesIDs(ctx, obs)
	if err != nil {
		return err
	}
	if err := in.readCurrent(ctx, ids); err != nil {
		return err
	}
	// Rows point into obs: an observation is a few hundred bytes, too
	// many to copy around while sorting.
	type row struct {
		series int64
		period string
		o      *stats.Observation
	}
	inserts := make([]row, 0, len(obs))
	var closeIDs []int64
	for i := range obs {
		o := &obs[i]
		r := row{ids[i], in.texts.of(o.Period), o}
		if !in.created[r.series] {
			if cur, ok := in.current[obsKey{r.series, r.period}]; ok {
				if cur.same(*o) {
					in.rep.Unchanged++
					continue
				}
				closeIDs = append(closeIDs, cur.id)
				in.rep.Revised++
				inserts = append(inserts, r)
				continue
			}
		}
		in.rep.Added++
		inserts = append(inserts, r)
	}
	for start := 0; start < len(closeIDs); start += insertBatch {
		end := min(start+insertBatch, len(closeIDs))
		args := []any{in.now}
		for _, id := range closeIDs[start:end] {
			args = append(args, id)
		}
		if _, err := t.exec(ctx, "UPDATE stat_obs SET valid_to = ? WHERE id IN ("+marks(end-start)+")", args...); err != nil {
			return err
		}
	}
	// In series and period order, the rows go into the indexes of stat_obs
	// almost as appends. Files usually come in that order already.
	byPeriod := func(a, b row) int {
		if a.series != b.series {
			return cmp.Compare(a.series, b.series)
		}
		return strings.Compare(a.period, b.period)
	}
	if !slices.IsSortedFunc(inserts, byPeriod) {
		slices.SortFunc(inserts, byPeriod)
	}
	if in.ins == nil {
		in.ins = t.batcher(ctx, "INSERT INTO stat_obs (series_id, period, value, obs_status, source, comment, derivation, valid_from) VALUES ", "(?, ?, ?, ?, ?, ?, ?, ?)", 8)
	}
	for _, r := range inserts {
		var v any
		if r.o.Value != nil {
			v = *r.o.Value
		}
		status := r.o.Status
		if status == "" {
			status = stats.StatusNormal
		}
		if err := in.ins.add(ctx, r.series, r.period, v, status, r.o.Source, r.o.Comment, r.o.Derived, in.validFrom); err != nil {
			return fmt.Errorf("store observations: %w", err)
		}
	}
	return nil
}

// finish writes what is left, marks the flow updated and records the
// ingest in the audit trail.
func (in *ingestion) finish(ctx context.Context, by access.Actor, summary string) (IngestReport, error) {
	t, rep := in.t, &in.rep
	if in.ins != nil {
		err := in.ins.flush(ctx)
		in.ins.close()
		if err != nil {
			return *rep, fmt.Errorf("store observations: %w", err)
		}
	}
	rep.Series, rep.NewSeries = len(in.touched), len(in.created)
	if rep.Added+rep.Revised > 0 {
		if _, err := t.exec(ctx, "UPDATE stat_dataflow SET updated_at = ? WHERE id = ?", in.now, in.flow); err != nil {
			return *rep, err
		}
		if err := t.bump(ctx, "statistics"); err != nil {
			return *rep, err
		}
	}
	err := t.record(ctx, by, audit.Change{Action: "ingest", Entity: "stat_dataflow", EntityID: in.flow,
		After:   map[string]int{"series": rep.Series, "new_series": rep.NewSeries, "added": rep.Added, "revised": rep.Revised, "unchanged": rep.Unchanged},
		Summary: fmt.Sprintf("%s: %d observations added, %d revised, %d unchanged in %d series", summary, rep.Added, rep.Revised, rep.Unchanged, rep.Series)})
	return *rep, err
}

// periodTexts writes periods as text, each distinct one once: an import
// has a million observations and a few dozen periods.
type periodTexts map[stats.Period]string

func (pt periodTexts) of(p stats.Period) string {
	s, ok := pt[p]
	if !ok {
		s = p.String()
		pt[p] = s
	}
	return s
}

// seriesIDs returns the series id of each observation of a chunk,
// creating the series that do not exist yet.
func (in *ingestion) seriesIDs(ctx context.Context, obs []stats.Observation) ([]int64, error) {
	ids := make([]int64, len(obs))
	// The observations of a series come together in most files, so a key
	// is compared with the last one before it is written out and looked up.
	fresh := map[string]stats.Key{}
	var last *stats.Key
	var lastID int64
	for i := range obs {
		k := &obs[i].Key
		if last == nil || *k != *last {
			s := k.String()
			id, ok := in.series[s]
			if !ok {
				fresh[s] = *k
			}
			last, lastID = k, id
		}
		ids[i] = lastID
	}
	if len(fresh) > 0 {
		if err := in.createSeries(ctx, fresh); err != nil {
			return nil, err
		}
		// Only the observations of the new series lack their id.
		last = nil
		for i := range obs {
			if ids[i] != 0 {
				continue
			}
			k := &obs[i].Key
			if last == nil || *k != *last {
				last, lastID = k, in.series[k.String()]
			}
			ids[i] = lastID
		}
	}
	for i, id := range ids {
		if i == 0 || id != ids[i-1] {
			in.touched[id] = true
		}
	}
	return ids, nil
}

// createSeries inserts new series, in key order, by multi-row INSERTs;
// RETURNING names each new id with its key, so the order of the returned
// rows does not matter.
func (in *ingestion) createSeries(ctx context.Context, fresh map[string]stats.Key) error {
	keys := slices.Sorted(maps.Keys(fresh))
	for start := 0; start < len(keys); start += insertBatch {
		end := min(start+insertBatch, len(keys))
		args := make([]any, 0, 12*(end-start))
		for _, s := range keys[start:end] {
			args = append(args, in.flow, s)
			for _, c := range fresh[s] {
				args = append(args, c)
			}
		}
		q := `INSERT INTO stat_series (flow, series_key, ` + strings.Join(seriesColumns, ", ") + `) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", end-start), ", ") + ` RETURNING id, series_key`
		rows, err := in.t.query(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("series %s…: %w", keys[start], err)
		}
		for rows.Next() {
			var id int64
			var key string
			if err := rows.Scan(&id, &key); err != nil {
				rows.Close()
				return err
			}
			in.series[key], in.created[id] = id, true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

type obsKey struct {
	series int64
	period string
}

type currentObs struct {
	id                                  int64
	value                               sql.NullFloat64
	status, source, comment, derivation string
}

func (c currentObs) same(o stats.Observation) bool {
	status := o.Status
	if status == "" {
		status = stats.StatusNormal
	}
	switch {
	case c.value.Valid != (o.Value != nil):
		return false
	case c.value.Valid && c.value.Float64 != *o.Value:
		return false
	}
	return c.status == status && c.source == o.Source && c.comment == o.Comment && c.derivation == o.Derived
}

// readCurrent reads the current revision of every observation of the
// series that existed before the ingest and whose observations it has not
// read yet.
func (in *ingestion) readCurrent(ctx context.Context, ids []int64) error {
	var list []int64
	for i, id := range ids {
		if (i > 0 && id == ids[i-1]) || in.created[id] || in.loaded[id] {
			continue
		}
		in.loaded[id] = true
		list = append(list, id)
	}
	for start := 0; start < len(list); start += insertBatch {
		end := min(start+insertBatch, len(list))
		args := make([]any, 0, end-start)
		for _, id := range list[start:end] {
			args = append(args, id)
		}
		rows, err := in.t.query(ctx, `SELECT id, series_id, period, value, obs_status, source, comment, derivation
			FROM stat_obs WHERE valid_to IS NULL AND series_id IN (`+marks(end-start)+`)`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c currentObs
			var k obsKey
			if err := rows.Scan(&c.id, &k.series, &k.period, &c.value, &c.status, &c.source, &c.comment, &c.derivation); err != nil {
				rows.Close()
				return err
			}
			in.current[k] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// StatisticsVersion changes whenever observations or structures change.
func (db *DB) StatisticsVersion(ctx context.Context) (int64, error) {
	var v int64
	err := db.reader().queryRow(ctx, "SELECT version FROM data_version WHERE name = 'statistics'").Scan(&v)
	return v, err
}

// LastUpdate returns when the dataflow's observations last changed.
func (db *DB) LastUpdate(ctx context.Context, flow string) (time.Time, error) {
	f, err := db.Dataflow(ctx, flow)
	return f.UpdatedAt, err
}
