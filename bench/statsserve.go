package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cpcj/cpcj/internal/stats"
)

// serve starts "cpcj serve" on the database and waits until it is ready.
func (r *engineRun) serve(ctx context.Context, db string) (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	set := map[string]string{"CPCJ_DATABASE_URL": db, "CPCJ_ADDR": addr, "CPCJ_LOG_LEVEL": "warn"}
	if r.name == "postgres" {
		set["CPCJ_MIGRATE"] = "true"
	}
	cmd := exec.Command(r.bin, "serve")
	cmd.Env = serverEnv(set)
	p, err := start("cpcj", cmd, addr, filepath.Join(r.dir, "server.log"))
	if err != nil {
		return nil, err
	}
	if _, err := waitReady(ctx, p, "http://"+addr+"/readyz", p.started, 10*time.Millisecond, time.Minute); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// newClient is an HTTP client that keeps one connection alive.
func newClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Minute, Transport: &http.Transport{
		Proxy: nil, MaxIdleConnsPerHost: 1, DisableCompression: true, ForceAttemptHTTP2: false,
	}}
}

// query sends one-series data queries, one at a time, and returns the p50
// and p99 of their latency.
func (r *engineRun) query(ctx context.Context, srv *proc) (time.Duration, time.Duration, error) {
	years := r.o.queryTo - r.o.queryFrom + 1
	params := fmt.Sprintf("?startPeriod=%d&endPeriod=%d", r.o.queryFrom, r.o.queryTo)
	what, marker := "SDMX-ML 2.1 GenericData, the default representation", "<generic:Obs>"
	if r.o.queryFormat == "csv" {
		params += "&format=csv"
		what, marker = "SDMX-CSV", "\n"
	}
	fmt.Println()
	fmt.Printf("== query on %s: GET /sdmx/rest/data/%s/{key}%s\n", r.name, genFlow, params)
	fmt.Printf("  One series and %d years per query, answered as %s, by 'cpcj serve' (pid %d,\n", years, what, srv.pid())
	fmt.Printf("  CPCJ_LOG_LEVEL=warn) on the database of the last import (%d observations in %s and the shipped data).\n", r.d.rows, genFlow)
	fmt.Println("  One keep-alive connection, one query at a time; latency from sending the request to the last byte read.")
	fmt.Printf("  Every answer must be 200 with %d observations. The series are drawn at random among the %d with every\n", years, len(r.d.full))
	fmt.Printf("  year of the window; %d unmeasured queries of other series come first.\n", r.o.warmup)

	rng := rand.New(rand.NewPCG(r.o.seed, 7))
	keys := slices.Clone(r.d.full)
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	client := newClient()
	defer client.CloseIdleConnections()
	base := "http://" + srv.addr + "/sdmx/rest/data/" + genFlow + "/"
	one := func(key string) (time.Duration, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+key+params, nil)
		if err != nil {
			return 0, err
		}
		t := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(t)
		if err != nil {
			return 0, err
		}
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("%s: status %d: %.300s", key, resp.StatusCode, body)
		}
		n := bytes.Count(body, []byte(marker))
		if marker == "\n" {
			n-- // the header
		}
		if n != years {
			return 0, fmt.Errorf("%s: %d observations, want %d", key, n, years)
		}
		return d, nil
	}
	for i := range r.o.warmup {
		if _, err := one(keys[i%len(keys)]); err != nil {
			return 0, 0, err
		}
	}
	lat := make([]time.Duration, 0, r.o.queries)
	cpu0, _ := procCPU(srv.pid())
	t := time.Now()
	for i := range r.o.queries {
		d, err := one(keys[(r.o.warmup+i)%len(keys)])
		if err != nil {
			return 0, 0, err
		}
		lat = append(lat, d)
	}
	elapsed := time.Since(t)
	cpu1, _ := procCPU(srv.pid())
	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	p50, p99 := pct(lat, .50), pct(lat, .99)
	fmt.Printf("  %d queries in %.2f s: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms, mean %.3f ms\n",
		len(lat), elapsed.Seconds(), ms(p50), ms(pct(lat, .90)), ms(p99), ms(pct(lat, 1)), ms(sum/time.Duration(len(lat))))
	fmt.Printf("  server CPU per query %.0f µs (user+system, /proc; in ticks of 10 ms, so rough)\n",
		float64((cpu1-cpu0).Microseconds())/float64(len(lat)))
	return p50, p99, nil
}

// exportRun is one export of the whole dataflow.
type exportRun struct {
	timed
	size, rows int64
	// For the server: its resident memory before the export and the
	// peak while it ran.
	rssBefore, peak int64 // kB
	peakHow         string
}

const exportHead = "  %-5s %-36s %8s %10s %8s %7s %9s\n"
const exportRow = "  %-5s %-36s %8.2f %10.0f %8.1f %7.2f %9s\n"

// export has the whole dataflow written as CSV by the engine's shell and
// as SDMX-CSV by cpcj, in alternating rounds, and returns the ratio of
// their rates and the largest growth of the server's peak memory.
func (r *engineRun) export(ctx context.Context, srv *proc, db string) (float64, int64, error) {
	baseName := "sqlite3 -csv (same rows, same order)"
	fmt.Println()
	fmt.Printf("== export on %s: the whole dataflow %s as CSV\n", r.name, genFlow)
	if r.name == "sqlite" {
		fmt.Println("  baseline: 'sqlite3 -readonly -csv -header' selecting the current observations of the dataflow with")
		fmt.Println("  their series' codes, in cpcj's order (series key, period), from the same database file.")
	} else {
		baseName = "psql \\copy (…) TO STDOUT (same rows)"
		fmt.Println("  baseline: psql's \\copy (SELECT …) TO STDOUT WITH (FORMAT csv, HEADER): COPY of the current")
		fmt.Println("  observations with their series' codes, in cpcj's order, from the same schema.")
	}
	fmt.Printf("  cpcj: GET /sdmx/rest/data/%s/all?format=csv from the running server (SDMX-CSV 1.0), and, for\n", genFlow)
	fmt.Printf("  information, 'cpcj stats export --flow %s --format sdmx-csv' as a process of its own.\n", genFlow)
	fmt.Println("  Both read by this program through a pipe or the socket and counted; rows/s from start to last byte.")
	fmt.Println("  Server memory: its VmRSS before the export, and its peak (VmHWM, reset through /proc/<pid>/clear_refs")
	fmt.Println("  just before, and VmRSS sampled every 5 ms) during it.")
	fmt.Printf(exportHead, "round", "what", "seconds", "rows/s", "MB", "CPU s", "peak MiB")
	var base, served time.Duration
	var rows, growth int64
	for i := 1; i <= r.o.rounds; i++ {
		b, err := r.baseExport(ctx, db)
		if err != nil {
			return 0, 0, fmt.Errorf("baseline: %w", err)
		}
		r.printExport(i, baseName, b, fmt.Sprintf("%.1f", float64(b.maxRSS)/1024))
		c, err := httpExport(ctx, srv)
		if err != nil {
			return 0, 0, err
		}
		r.printExport(i, "cpcj serve, GET …/all?format=csv", c, "see below")
		if c.rows != b.rows {
			return 0, 0, fmt.Errorf("cpcj wrote %d rows, the baseline %d", c.rows, b.rows)
		}
		g := (c.peak - c.rssBefore) * 1024
		growth = max(growth, g)
		fmt.Printf("        server RSS before %.1f MiB, peak during the export %.1f MiB (%s): growth %.1f MB\n",
			float64(c.rssBefore)/1024, float64(c.peak)/1024, c.peakHow, float64(g)/1e6)
		e, err := r.cliExport(ctx, db)
		if err != nil {
			return 0, 0, err
		}
		r.printExport(i, "cpcj stats export (information)", e, fmt.Sprintf("%.1f", float64(e.maxRSS)/1024))
		if e.rows != b.rows {
			return 0, 0, fmt.Errorf("cpcj stats export wrote %d rows, the baseline %d", e.rows, b.rows)
		}
		base += b.wall
		served += c.wall
		rows += c.rows
		fmt.Printf("        ratio cpcj serve/baseline in this round: %.3f\n", b.wall.Seconds()/c.wall.Seconds())
	}
	ratio := float64(base) / float64(served)
	fmt.Printf("  all rounds: baseline %.0f rows/s, cpcj serve %.0f rows/s: ratio cpcj/baseline %.3f\n",
		float64(rows)/base.Seconds(), float64(rows)/served.Seconds(), ratio)
	return ratio, growth, nil
}

func (r *engineRun) printExport(round int, what string, e exportRun, peak string) {
	fmt.Printf(exportRow, strconv.Itoa(round), what, e.wall.Seconds(), float64(e.rows)/e.wall.Seconds(),
		float64(e.size)/1e6, e.cpu.Seconds(), peak)
}

// exportSQL selects what an SDMX-CSV export of the dataflow holds, in the
// same order.
func (r *engineRun) exportSQL(schema string) string {
	cols := []string{quoteSQL(stats.FlowRef(genFlow)) + ` AS "DATAFLOW"`}
	for i, d := range stats.Dimensions {
		cols = append(cols, "s."+seriesColumn[i]+` AS "`+d.ID+`"`)
	}
	cols = append(cols, `o.period AS "TIME_PERIOD"`, `o.value AS "OBS_VALUE"`, `o.obs_status AS "OBS_STATUS"`,
		`o.source AS "SOURCE_DETAIL"`, `o.comment AS "COMMENT"`, `o.derivation AS "DERIVATION"`)
	order := "s.series_key"
	if r.name == "postgres" {
		order += ` COLLATE "C"`
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + schema + "stat_obs o JOIN " + schema + "stat_series s ON s.id = o.series_id" +
		" WHERE s.flow = " + quoteSQL(genFlow) + " AND o.valid_to IS NULL ORDER BY " + order + ", o.period"
}

// seriesColumn are the dimension columns of stat_series, in key order.
var seriesColumn = []string{"freq", "ref_area", "indicator", "iccs", "sex", "age", "relationship", "cyber", "source_type", "unit_measure"}

// baseExport has the engine's shell write the rows as CSV to a pipe.
func (r *engineRun) baseExport(ctx context.Context, db string) (exportRun, error) {
	var cmd *exec.Cmd
	if r.name == "sqlite" {
		cmd = exec.CommandContext(ctx, r.o.sqlite3, "-readonly", "-csv", "-header", db, r.exportSQL(""))
	} else {
		schema := r.schemas[len(r.schemas)-1]
		cmd = r.psqlCmd(ctx, `\copy (`+r.exportSQL(`"`+schema+`".`)+`) TO STDOUT WITH (FORMAT csv, HEADER true)`)
	}
	return pipeExport(cmd, filepath.Join(r.dir, "baseline-export.log"))
}

// cliExport runs "cpcj stats export" and reads what it writes.
func (r *engineRun) cliExport(ctx context.Context, db string) (exportRun, error) {
	cmd := exec.CommandContext(ctx, r.bin, "stats", "export", "--flow", genFlow, "--format", "sdmx-csv")
	cmd.Env = serverEnv(map[string]string{"CPCJ_DATABASE_URL": db, "CPCJ_LOG_LEVEL": "warn"})
	return pipeExport(cmd, filepath.Join(r.dir, "cpcj-export.log"))
}

// pipeExport runs cmd and counts what it writes to its standard output.
func pipeExport(cmd *exec.Cmd, logFile string) (exportRun, error) {
	f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return exportRun{}, err
	}
	defer f.Close()
	cmd.Stderr = f
	out, err := cmd.StdoutPipe()
	if err != nil {
		return exportRun{}, err
	}
	t := time.Now()
	if err := cmd.Start(); err != nil {
		return exportRun{}, err
	}
	peak := watchPeak(cmd.Process.Pid)
	size, lines, rerr := countLines(out)
	werr := cmd.Wait()
	wall := time.Since(t)
	maxRSS := peak()
	if rerr != nil || werr != nil {
		return exportRun{}, fmt.Errorf("%s: %v %v (output in %s)", filepath.Base(cmd.Path), rerr, werr, logFile)
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return exportRun{timed: timed{wall: wall, cpu: cpu, maxRSS: maxRSS}, size: size, rows: lines - 1}, nil
}

// httpExport fetches the whole dataflow as SDMX-CSV from the server and
// watches the server's memory meanwhile.
func httpExport(ctx context.Context, srv *proc) (exportRun, error) {
	var e exportRun
	var err error
	if e.rssBefore, err = procStatus(srv.pid(), "VmRSS"); err != nil {
		return e, err
	}
	// Writing 5 to clear_refs resets the peak (VmHWM) to the current RSS.
	reset := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", srv.pid()), []byte("5"), 0) == nil
	var sampled int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			if rss, err := procStatus(srv.pid(), "VmRSS"); err == nil {
				sampled = max(sampled, rss)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	cpu0, _ := procCPU(srv.pid())
	client := newClient()
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+srv.addr+"/sdmx/rest/data/"+genFlow+"/all?format=csv", nil)
	if err != nil {
		return e, err
	}
	t := time.Now()
	resp, err := client.Do(req)
	if err == nil {
		if resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %d", resp.StatusCode)
		} else {
			var lines int64
			e.size, lines, err = countLines(resp.Body)
			e.rows = lines - 1
		}
		resp.Body.Close()
	}
	e.wall = time.Since(t)
	close(done)
	wg.Wait()
	if err != nil {
		return e, fmt.Errorf("GET …/all?format=csv: %w", err)
	}
	cpu1, _ := procCPU(srv.pid())
	e.cpu = cpu1 - cpu0
	e.peak, e.peakHow = sampled, "VmRSS sampled every 5 ms"
	if hwm, err := procStatus(srv.pid(), "VmHWM"); err == nil && reset {
		e.peak, e.peakHow = max(sampled, hwm), "VmHWM after a reset, and samples"
	}
	return e, nil
}
