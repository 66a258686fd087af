package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cpcj/cpcj/internal/stats"
)

// timed is one run of a program: its wall time, CPU time and peak memory.
type timed struct {
	wall   time.Duration
	cpu    time.Duration // user + system
	maxRSS int64         // peak resident set size, kB
}

// runTimed runs cmd, its output appended to logFile, and measures it from
// just before it starts until it has exited.
func runTimed(cmd *exec.Cmd, logFile string) (timed, error) {
	f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return timed{}, err
	}
	defer f.Close()
	if cmd.Stdout == nil {
		cmd.Stdout = f
	}
	cmd.Stderr = f
	t := time.Now()
	if err := cmd.Start(); err != nil {
		return timed{}, err
	}
	peak := watchPeak(cmd.Process.Pid)
	err = cmd.Wait()
	wall := time.Since(t)
	maxRSS := peak()
	if err != nil {
		return timed{}, fmt.Errorf("%s: %w (output in %s)", filepath.Base(cmd.Path), err, logFile)
	}
	return timed{wall: wall, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), maxRSS: maxRSS}, nil
}

// watchPeak reads the peak resident memory (VmHWM) of a process every
// 10 ms until the returned function is called, after the process has
// exited, and which returns the last reading. The peak that wait4 reports
// is of no use here: Linux counts in it the memory of the parent, this
// program, at the fork.
func watchPeak(pid int) func() int64 {
	var peak int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if hwm, err := procStatus(pid, "VmHWM"); err == nil {
				peak = max(peak, hwm)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() int64 {
		close(done)
		wg.Wait()
		return peak
	}
}

const ingestHead = "  %-5s %-34s %8s %10s %7s %9s\n"
const ingestRow = "  %-5s %-34s %8.2f %10.0f %7.2f %9.1f\n"

// ingest measures the baseline's load and cpcj's import of the generated
// file in alternating rounds, each into a new database, and returns the
// database of the last import, for the queries and the export.
func (r *engineRun) ingest(ctx context.Context) (string, float64, error) {
	baseName := "sqlite3 .import --csv (bare table)"
	fmt.Println()
	fmt.Printf("== ingest on %s: the same file, %d rows, each round into a new database\n", r.name, r.d.rows)
	if r.name == "sqlite" {
		fmt.Println("  baseline: the sqlite3 shell's .import --csv of the file into a new table it creates from the header")
		fmt.Println("  (all columns TEXT, no index, no check), in a new database file: one transaction.")
	} else {
		baseName = "psql \\copy … FROM (bare table)"
		fmt.Println("  baseline: psql's \\copy (COPY … FROM STDIN, the file sent by the client) into a new table of 17 text")
		fmt.Println("  columns, no index, no check, in a new schema.")
	}
	fmt.Println("  cpcj: 'cpcj stats import FILE --flow " + genFlow + "' as a process of its own, on a database just made by")
	fmt.Println("  'cpcj migrate' (which loads the shipped statistics): read, check every row against the code lists")
	fmt.Println("  and the other rows, and store all or nothing in one transaction. Timed from process start to exit.")
	fmt.Printf(ingestHead, "round", "what", "seconds", "rows/s", "CPU s", "peak MiB")
	var base, imp time.Duration
	var db string
	for i := 1; i <= r.o.rounds; i++ {
		if ctx.Err() != nil {
			return "", 0, ctx.Err()
		}
		b, err := r.bareLoad(ctx, i)
		if err != nil {
			return "", 0, fmt.Errorf("baseline: %w", err)
		}
		r.printIngest(i, baseName, b)
		var c timed
		var report string
		db, c, report, err = r.cpcjImport(ctx, i)
		if err != nil {
			return "", 0, err
		}
		r.printIngest(i, "cpcj stats import", c)
		fmt.Printf("        cpcj said: %s\n", report)
		base += b.wall
		imp += c.wall
		fmt.Printf("        ratio cpcj/baseline in this round: %.3f\n", b.wall.Seconds()/c.wall.Seconds())
	}
	ratio := float64(base) / float64(imp)
	rows := float64(r.d.rows * r.o.rounds)
	fmt.Printf("  all rounds: baseline %.0f rows/s, cpcj %.0f rows/s: ratio cpcj/baseline %.3f\n",
		rows/base.Seconds(), rows/imp.Seconds(), ratio)
	return db, ratio, nil
}

func (r *engineRun) printIngest(round int, what string, t timed) {
	fmt.Printf(ingestRow, strconv.Itoa(round), what, t.wall.Seconds(), float64(r.d.rows)/t.wall.Seconds(), t.cpu.Seconds(), float64(t.maxRSS)/1024)
}

// bareLoad loads the file into a bare table with the engine's own loader.
func (r *engineRun) bareLoad(ctx context.Context, round int) (timed, error) {
	logFile := filepath.Join(r.dir, "baseline-ingest.log")
	var count func() (string, error)
	var cmd *exec.Cmd
	if r.name == "sqlite" {
		db := filepath.Join(r.dir, fmt.Sprintf("bare-%d.db", round))
		defer os.Remove(db)
		cmd = exec.CommandContext(ctx, r.o.sqlite3, db, ".import --csv "+quoteDot(r.d.file)+" obs")
		count = func() (string, error) {
			out, err := exec.CommandContext(ctx, r.o.sqlite3, db, "SELECT COUNT(*) FROM obs").Output()
			return strings.TrimSpace(string(out)), err
		}
	} else {
		schema, err := r.newSchema(ctx, fmt.Sprintf("bare%d", round))
		if err != nil {
			return timed{}, err
		}
		var cols []string
		for _, h := range stats.SDMXCSVHeader() {
			cols = append(cols, strings.ToLower(h)+" TEXT")
		}
		table := schema + ".obs"
		if _, err := r.psqlRun(ctx, "CREATE TABLE "+table+" ("+strings.Join(cols, ", ")+")"); err != nil {
			return timed{}, err
		}
		cmd = r.psqlCmd(ctx, `\copy `+table+` FROM `+quoteSQL(r.d.file)+` WITH (FORMAT csv, HEADER true)`)
		count = func() (string, error) {
			n, err := r.psqlRun(ctx, "SELECT COUNT(*) FROM "+table)
			if err == nil {
				_, err = r.psqlRun(ctx, "DROP TABLE "+table)
			}
			return n, err
		}
	}
	t, err := runTimed(cmd, logFile)
	if err != nil {
		return t, err
	}
	n, err := count()
	if err != nil {
		return t, fmt.Errorf("count the loaded rows: %w", err)
	}
	if n != strconv.Itoa(r.d.rows) {
		return t, fmt.Errorf("the bare table has %s rows, the file %d", n, r.d.rows)
	}
	return t, nil
}

// cpcjImport makes a new database with "cpcj migrate" and times "cpcj
// stats import" of the file into it. It returns the database, the
// figures and what cpcj said it stored.
func (r *engineRun) cpcjImport(ctx context.Context, round int) (string, timed, string, error) {
	db := filepath.Join(r.dir, fmt.Sprintf("cpcj-%d.db", round))
	if r.name == "postgres" {
		schema, err := r.newSchema(ctx, fmt.Sprintf("cpcj%d", round))
		if err != nil {
			return "", timed{}, "", err
		}
		db = r.schemaURL(schema)
	}
	logFile := filepath.Join(r.dir, fmt.Sprintf("cpcj-import-%d.log", round))
	env := serverEnv(map[string]string{"CPCJ_DATABASE_URL": db, "CPCJ_LOG_LEVEL": "warn"})
	mig := exec.CommandContext(ctx, r.bin, "migrate")
	mig.Env = env
	if _, err := runTimed(mig, logFile); err != nil {
		return "", timed{}, "", fmt.Errorf("cpcj migrate: %w", err)
	}
	var out strings.Builder
	cmd := exec.CommandContext(ctx, r.bin, "stats", "import", r.d.file, "--flow", genFlow)
	cmd.Env = env
	cmd.Stdout = &out
	t, err := runTimed(cmd, logFile)
	if err != nil {
		return "", t, "", fmt.Errorf("cpcj stats import: %w\n%s", err, out.String())
	}
	report := ""
	for line := range strings.SplitSeq(strings.TrimSpace(out.String()), "\n") {
		if strings.HasPrefix(line, genFlow+":") {
			report = line
		}
	}
	if !strings.Contains(report, "observations added") {
		return "", t, "", fmt.Errorf("cpcj stats import said:\n%s", out.String())
	}
	return db, t, report, nil
}

// quoteDot quotes an argument of a sqlite3 dot-command.
func quoteDot(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// quoteSQL quotes a string literal of SQL.
func quoteSQL(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// newSchema creates a schema of a name of its own in the PostgreSQL
// database, to be dropped at the end.
func (r *engineRun) newSchema(ctx context.Context, what string) (string, error) {
	name := fmt.Sprintf("cpcj_bench_%d_%d_%s", os.Getpid(), time.Now().Unix(), what)
	if _, err := r.psqlRun(ctx, `CREATE SCHEMA "`+name+`"`); err != nil {
		return "", err
	}
	r.schemas = append(r.schemas, name)
	return name, nil
}

// dropSchemas drops the schemas the run created.
func (r *engineRun) dropSchemas() {
	for _, s := range r.schemas {
		if _, err := r.psqlRun(context.Background(), `DROP SCHEMA "`+s+`" CASCADE`); err != nil {
			fmt.Fprintf(os.Stderr, "bench stats: drop schema %s: %v\n", s, err)
		}
	}
	r.schemas = nil
}

// schemaURL is the database URL for cpcj with the schema as search path.
func (r *engineRun) schemaURL(schema string) string {
	u := *r.pg
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// psqlCmd is psql running one command on the database, without the
// user's psqlrc.
func (r *engineRun) psqlCmd(ctx context.Context, command string, extra ...string) *exec.Cmd {
	args := append([]string{r.pg.String(), "-X", "-q", "-v", "ON_ERROR_STOP=1"}, extra...)
	return exec.CommandContext(ctx, r.o.psql, append(args, "-c", command)...)
}

// psqlRun runs one command and returns its unaligned output.
func (r *engineRun) psqlRun(ctx context.Context, command string) (string, error) {
	cmd := r.psqlCmd(ctx, command, "-A", "-t")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("psql %q: %w: %s", command, err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// countLines reads r to its end and returns the bytes and the lines read.
func countLines(r io.Reader) (size, lines int64, err error) {
	buf := make([]byte, 256<<10)
	for {
		n, err := r.Read(buf)
		size += int64(n)
		lines += int64(bytes.Count(buf[:n], []byte{'\n'}))
		if err == io.EOF {
			return size, lines, nil
		}
		if err != nil {
			return size, lines, err
		}
	}
}
