// Command bench measures cpcj's performance targets and prints the figures
// beside a baseline measured in the same run:
//
//  1. start-up: the time from starting "cpcj serve" on an empty SQLite
//     database (migrations run, the participants loaded) until /readyz
//     answers 200, the median of several runs;
//  2. throughput of GET /api/v1/states under concurrent keep-alive
//     connections, against a bare net/http server, in a separate process,
//     that writes the same bytes with the same Content-Type. Both servers
//     are loaded by the same generator in alternating rounds, and the ratio
//     of their requests per second is reported with p50 and p99 latency,
//     the servers' CPU time per request and their peak memory.
//
// Run it from the module root:
//
//	go run ./bench -duration 10s
//
// "go run ./bench stats" measures the statistics targets instead (see
// stats.go): the import of a generated SDMX-CSV file of a million
// observations against the sqlite3 shell's .import (on PostgreSQL, COPY),
// one-series SDMX data queries, and the export of the whole dataflow as
// SDMX-CSV against sqlite3 -csv, with the server's memory.
//
// It is a measurement, not a test: it exits non-zero only when a request
// failed or a server could not be run, never because a figure missed its
// target.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

type options struct {
	duration     time.Duration
	requests     int
	connections  int
	rounds       int
	warmup       time.Duration
	startupRuns  int
	poll         time.Duration
	path         string
	logLevel     string
	engine       string
	database     string
	cpcjBin      string
	cpuprofile   string
	skipStartup  bool
	skipLoad     bool
	keepTempDirs bool
}

func main() {
	// Hidden mode: the same binary, re-executed, serves the baseline, so
	// that it runs in a process of its own as cpcj does.
	if len(os.Args) > 1 && os.Args[1] == baselineServeArg {
		os.Exit(baselineServe(os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == "stats" {
		os.Exit(statsMain(os.Args[2:]))
	}

	var o options
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each measured round per server")
	flag.IntVar(&o.requests, "requests", 0, "if above 0, end each round after this many requests instead of after -duration")
	flag.IntVar(&o.connections, "connections", 64, "concurrent keep-alive connections (one goroutine and one http.Transport each)")
	flag.IntVar(&o.rounds, "rounds", 3, "alternating rounds: baseline, cpcj, baseline, cpcj, …")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured load on each server before the rounds")
	flag.IntVar(&o.startupRuns, "startup-runs", 7, "measured start-ups (after one unmeasured start)")
	flag.DurationVar(&o.poll, "poll", 2*time.Millisecond, "interval between /readyz polls while measuring start-up")
	flag.StringVar(&o.path, "path", "/api/v1/states", "path and query loaded in the throughput rounds")
	flag.StringVar(&o.logLevel, "log-level", "warn", "CPCJ_LOG_LEVEL of the cpcj server under load (info logs every request)")
	flag.StringVar(&o.engine, "engine", "sqlite", "database engine of cpcj under load: sqlite or postgres")
	flag.StringVar(&o.database, "database", "", "postgres:// URL, with -engine postgres (it is migrated; it need not be empty)")
	flag.StringVar(&o.cpcjBin, "cpcj", "", "a cpcj binary to measure instead of building one")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "after the rounds, load a profiled cpcj (bench/profiledserve: cpcj's serve command under the CPU profiler) for -duration and write its CPU profile to this file")
	flag.BoolVar(&o.skipStartup, "skip-startup", false, "do not measure start-up")
	flag.BoolVar(&o.skipLoad, "skip-load", false, "do not measure throughput")
	flag.BoolVar(&o.keepTempDirs, "keep", false, "keep the temporary directory (binary, databases, server logs)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: go run ./bench [flags]\n\nMeasures cpcj's start-up and the throughput of GET /api/v1/states against a bare net/http baseline.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "bench: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	switch o.engine {
	case "sqlite":
	case "postgres":
		if o.database == "" {
			fmt.Fprintln(os.Stderr, "bench: -engine postgres needs -database postgres://…")
			os.Exit(2)
		}
	default:
		fmt.Fprintf(os.Stderr, "bench: -engine %q: use sqlite or postgres\n", o.engine)
		os.Exit(2)
	}
	if o.connections < 1 || o.rounds < 1 || o.startupRuns < 1 {
		fmt.Fprintln(os.Stderr, "bench: -connections, -rounds and -startup-runs must be at least 1")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// run does the measurements and returns the exit code.
func run(ctx context.Context, o options) (int, error) {
	tmp, err := os.MkdirTemp("", "cpcj-bench-")
	if err != nil {
		return 1, err
	}
	if o.keepTempDirs {
		fmt.Printf("temporary directory kept: %s\n", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}

	printMachine()

	bin := o.cpcjBin
	if bin == "" {
		fmt.Print("building cpcj … ")
		start := time.Now()
		bin, err = build(ctx, tmp, "cpcj", "./cmd/cpcj")
		if err != nil {
			return 1, err
		}
		fmt.Printf("done in %s\n", time.Since(start).Round(time.Millisecond))
	}

	if !o.skipStartup {
		if err := measureStartup(ctx, o, bin, tmp); err != nil {
			return 1, fmt.Errorf("start-up: %w", err)
		}
	}
	if !o.skipLoad {
		failed, err := measureThroughput(ctx, o, bin, tmp)
		if err != nil {
			return 1, fmt.Errorf("throughput: %w", err)
		}
		if failed > 0 {
			return 1, fmt.Errorf("%d requests failed (a non-200 answer, a short body or a transport error)", failed)
		}
	}
	return 0, nil
}
