package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// The "stats" mode measures the statistics targets, each against a
// baseline run in the same run on the same data:
//
//   - ingest: "cpcj stats import" of a generated SDMX-CSV file into a new
//     database, against the sqlite3 shell's .import of the same file into
//     a bare table (on PostgreSQL, psql's \copy);
//   - query: one-series SDMX data queries to a running "cpcj serve", one
//     at a time, their p50 and p99 latency;
//   - export: the whole dataflow as SDMX-CSV from the running server,
//     against sqlite3 -csv selecting the same rows (on PostgreSQL, COPY
//     TO), and the growth of the server's peak memory meanwhile.
//
// The data are generated at run time (statsdata.go) into a temporary
// directory; nothing of them is kept unless -keep is given.

// The statistics targets.
const (
	// ingestTarget is the share of the sqlite3 shell's .import rate that
	// cpcj's validated import should reach on SQLite.
	ingestTarget = 0.5
	// queryAim is the p99 latency of a one-series query to stay under on
	// SQLite.
	queryAim = 5 * time.Millisecond
	// exportTarget is the share of sqlite3 -csv's rate that the export of
	// a whole dataflow should reach on SQLite.
	exportTarget = 0.5
	// exportMemoryTarget is the growth of the server's peak memory during
	// an export to stay under.
	exportMemoryTarget = 50e6
)

// statsOptions are the flags of "go run ./bench stats".
type statsOptions struct {
	rows        int
	seed        uint64
	rounds      int
	queries     int
	warmup      int
	queryFrom   int
	queryTo     int
	queryFormat string
	engine      string
	database    string
	cpcjBin     string
	sqlite3     string
	psql        string
	cpuprofile  string
	keep        bool
}

// statsMain is "go run ./bench stats": it returns the exit code.
func statsMain(args []string) int {
	var o statsOptions
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	fs.IntVar(&o.rows, "rows", 1_000_000, "observations in the generated SDMX-CSV file")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the generator: the same seed and -rows give the same file")
	fs.IntVar(&o.rounds, "rounds", 2, "ingest and export rounds, each baseline then cpcj (each ingest into a new database)")
	fs.IntVar(&o.queries, "queries", 1000, "measured one-series data queries")
	fs.IntVar(&o.warmup, "warmup-queries", 100, "unmeasured queries before them, of other series")
	fs.IntVar(&o.queryFrom, "from", 2000, "startPeriod of the queries")
	fs.IntVar(&o.queryTo, "to", 2019, "endPeriod of the queries")
	fs.StringVar(&o.queryFormat, "format", "", "format parameter of the queries: empty for the default representation (SDMX-ML GenericData), or csv")
	fs.StringVar(&o.engine, "engine", "sqlite", "sqlite, postgres, or both")
	fs.StringVar(&o.database, "database", "", "postgres:// URL of a database in which to create (and drop) schemas, for -engine postgres or both")
	fs.StringVar(&o.cpcjBin, "cpcj", "", "a cpcj binary to measure instead of building one")
	fs.StringVar(&o.sqlite3, "sqlite3", "sqlite3", "the sqlite3 shell, for the SQLite baselines")
	fs.StringVar(&o.psql, "psql", "psql", "psql, for the PostgreSQL baselines")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "after the measurements, write CPU profiles of one import and of one export by the server into this directory")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (file, databases, logs) and the PostgreSQL schemas")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: go run ./bench stats [flags]\n\n"+
			"Generates an SDMX-CSV file of crime statistics and measures cpcj's import of it against the sqlite3\n"+
			"shell's .import (PostgreSQL: COPY), one-series SDMX data queries (p50, p99), and the export of the\n"+
			"whole dataflow as SDMX-CSV against sqlite3 -csv (PostgreSQL: COPY TO), with the server's memory.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "bench stats: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	switch {
	case o.engine != "sqlite" && o.engine != "postgres" && o.engine != "both":
		fmt.Fprintf(os.Stderr, "bench stats: -engine %q: use sqlite, postgres or both\n", o.engine)
		return 2
	case o.engine != "sqlite" && o.database == "":
		fmt.Fprintln(os.Stderr, "bench stats: -engine postgres or both needs -database postgres://…")
		return 2
	case o.rows < 1 || o.rounds < 1 || o.queries < 1 || o.warmup < 0:
		fmt.Fprintln(os.Stderr, "bench stats: -rows, -rounds and -queries must be at least 1")
		return 2
	case o.queryTo < o.queryFrom || o.queryFrom < genFirstYear || o.queryTo > genLastYear:
		fmt.Fprintf(os.Stderr, "bench stats: -from and -to must be years from %d to %d in order\n", genFirstYear, genLastYear)
		return 2
	case o.queryFrom > genLastStart || o.queryTo < genFirstEnd:
		fmt.Fprintf(os.Stderr, "bench stats: few series span %d to %d: keep -from at most %d and -to at least %d\n",
			o.queryFrom, o.queryTo, genLastStart, genFirstEnd)
		return 2
	case o.queryFormat != "" && o.queryFormat != "csv":
		fmt.Fprintf(os.Stderr, "bench stats: -format %q: use csv or leave it empty\n", o.queryFormat)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := statsRun(ctx, o); err != nil {
		fmt.Fprintf(os.Stderr, "bench stats: %v\n", err)
		return 1
	}
	return 0
}

// engineRun is what one engine's measurements need.
type engineRun struct {
	name string // sqlite or postgres
	o    statsOptions
	bin  string
	dir  string
	d    *statsData
	// pg is the server's URL, and schemas the schemas created in it.
	pg      *url.URL
	schemas []string
}

func statsRun(ctx context.Context, o statsOptions) error {
	engines := []string{o.engine}
	if o.engine == "both" {
		engines = []string{"sqlite", "postgres"}
	}
	// The baselines' tools are looked for first, so that a missing one
	// is said at once rather than after minutes of work.
	for _, e := range engines {
		tool, flagName, pkg := &o.sqlite3, "-sqlite3", "sqlite3"
		if e == "postgres" {
			tool, flagName, pkg = &o.psql, "-psql", "postgresql-client"
		}
		p, err := exec.LookPath(*tool)
		if err != nil {
			return fmt.Errorf("the %s baselines need %s, which was not found (%v): install it (Debian: apt-get install %s) or name it with %s",
				e, *tool, err, pkg, flagName)
		}
		*tool = p
	}

	tmp, err := os.MkdirTemp("", "cpcj-bench-stats-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Printf("temporary directory kept: %s\n", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	printMachine()
	fmt.Printf("  load average at the start: %s\n", loadAverage())

	bin := o.cpcjBin
	if bin == "" {
		fmt.Print("building cpcj … ")
		t := time.Now()
		if bin, err = build(ctx, tmp, "cpcj", "./cmd/cpcj"); err != nil {
			return err
		}
		fmt.Printf("done in %s\n", time.Since(t).Round(time.Millisecond))
	}

	fmt.Println()
	fmt.Printf("== data: %d observations of %s as SDMX-CSV (seed %d)\n", o.rows, genFlow, o.seed)
	t := time.Now()
	d, err := generate(filepath.Join(tmp, "victims.csv"), o.rows, o.seed, o.queryFrom, o.queryTo)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	fmt.Printf("  %d rows, %.1f MB, %d series of %d countries and territories, %d–%d; written in %s\n",
		d.rows, float64(d.bytes)/1e6, d.series, d.areas, genFirstYear, genLastYear, time.Since(t).Round(time.Millisecond))
	fmt.Printf("  %d series have every year from %d to %d\n", len(d.full), o.queryFrom, o.queryTo)
	if len(d.full) == 0 {
		return fmt.Errorf("no series spans %d to %d", o.queryFrom, o.queryTo)
	}

	var sums []engineSummary
	for _, e := range engines {
		r := &engineRun{name: e, o: o, bin: bin, dir: filepath.Join(tmp, e), d: d}
		if err := os.MkdirAll(r.dir, 0o755); err != nil {
			return err
		}
		if e == "postgres" {
			if r.pg, err = url.Parse(o.database); err != nil {
				return fmt.Errorf("-database: not a URL")
			}
		}
		s, err := r.run(ctx)
		if !o.keep {
			r.dropSchemas()
		} else if len(r.schemas) > 0 {
			fmt.Printf("  PostgreSQL schemas kept: %s\n", strings.Join(r.schemas, ", "))
		}
		if err != nil {
			return fmt.Errorf("%s: %w", e, err)
		}
		sums = append(sums, s)
	}
	printSummaries(sums)
	fmt.Printf("  load average at the end: %s\n", loadAverage())
	return nil
}

// engineSummary holds one engine's figures for the summary.
type engineSummary struct {
	engine                   string
	ingestRatio, exportRatio float64
	p50, p99                 time.Duration
	memGrowth                int64 // bytes, the largest of the export rounds
}

// run measures ingest, query and export on the engine.
func (r *engineRun) run(ctx context.Context) (engineSummary, error) {
	s := engineSummary{engine: r.name}
	db, ratio, err := r.ingest(ctx)
	if err != nil {
		return s, fmt.Errorf("ingest: %w", err)
	}
	s.ingestRatio = ratio
	srv, err := r.serve(ctx, db)
	if err != nil {
		return s, err
	}
	defer srv.stop()
	if s.p50, s.p99, err = r.query(ctx, srv); err != nil {
		return s, fmt.Errorf("query: %w", err)
	}
	if s.exportRatio, s.memGrowth, err = r.export(ctx, srv, db); err != nil {
		return s, fmt.Errorf("export: %w", err)
	}
	if srv.exited() {
		return s, fmt.Errorf("the server exited:\n%s", srv.tail())
	}
	srv.stop()
	if r.o.cpuprofile != "" {
		if err := r.profileStats(ctx); err != nil {
			return s, fmt.Errorf("profile: %w", err)
		}
	}
	return s, nil
}

func printSummaries(sums []engineSummary) {
	fmt.Println()
	fmt.Println("== summary")
	verdict := func(ok bool) string {
		if ok {
			return "MET"
		}
		return "NOT MET"
	}
	for _, s := range sums {
		if s.engine == "sqlite" {
			fmt.Printf("  SQLite ingest: %.3f× sqlite3 .import; target at least %.1f×: %s\n",
				s.ingestRatio, ingestTarget, verdict(s.ingestRatio >= ingestTarget))
			fmt.Printf("  SQLite query: p50 %.3f ms, p99 %.3f ms; aim p99 under %s: %s\n",
				ms(s.p50), ms(s.p99), queryAim, verdict(s.p99 < queryAim))
			fmt.Printf("  SQLite export: %.3f× sqlite3 -csv; target at least %.1f×: %s\n",
				s.exportRatio, exportTarget, verdict(s.exportRatio >= exportTarget))
		} else {
			fmt.Printf("  PostgreSQL ingest: %.3f× COPY (reported, no target)\n", s.ingestRatio)
			fmt.Printf("  PostgreSQL query: p50 %.3f ms, p99 %.3f ms (reported)\n", ms(s.p50), ms(s.p99))
			fmt.Printf("  PostgreSQL export: %.3f× COPY TO (reported)\n", s.exportRatio)
		}
		fmt.Printf("  %s export: server peak memory growth %.1f MB; target under %.0f MB: %s\n",
			s.engine, float64(s.memGrowth)/1e6, exportMemoryTarget/1e6, verdict(float64(s.memGrowth) < exportMemoryTarget))
	}
}

// loadAverage returns the first three fields of /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
