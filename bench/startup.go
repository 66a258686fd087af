package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

// startupTarget is the start-up time to stay under.
const startupTarget = time.Second

// measureStartup starts cpcj on an empty database several times and
// reports the time from process start until /readyz answers 200.
func measureStartup(ctx context.Context, o options, bin, tmp string) error {
	fmt.Println()
	fmt.Println("== start-up: process start until GET /readyz answers 200")
	if o.engine == "sqlite" {
		fmt.Println("  Each run: a new empty SQLite file, so the migrations run and the reference data (the participants, …) is loaded.")
	} else {
		fmt.Println("  Each run: the given PostgreSQL database with --migrate; it is empty only on the first run.")
	}
	fmt.Printf("  /readyz polled every %s; run 0 warms the file cache and is not counted.\n", o.poll)
	var took []time.Duration
	for i := 0; i <= o.startupRuns; i++ {
		d, own, err := startOnce(ctx, o, bin, tmp, i)
		if err != nil {
			return err
		}
		note := ""
		if i == 0 {
			note = "  (not counted)"
		} else {
			took = append(took, d)
		}
		fmt.Printf("  run %d: ready after %7.1f ms   (cpcj's own log: serving after %s)%s\n", i, ms(d), own, note)
	}
	slices.Sort(took)
	med := median(took)
	verdict := "MET"
	if med >= startupTarget {
		verdict = "NOT MET"
	}
	fmt.Printf("  start-up over %d runs: median %.1f ms, min %.1f ms, max %.1f ms (spread %.1f ms)\n",
		len(took), ms(med), ms(took[0]), ms(took[len(took)-1]), ms(took[len(took)-1]-took[0]))
	fmt.Printf("  target: median under %s: %s\n", startupTarget, verdict)
	return nil
}

// startOnce starts cpcj once and returns the time until it was ready, and
// the start-up figure cpcj logged itself.
func startOnce(ctx context.Context, o options, bin, tmp string, i int) (time.Duration, string, error) {
	dir := filepath.Join(tmp, fmt.Sprintf("startup-%d", i))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, "", err
	}
	addr, err := freeAddr()
	if err != nil {
		return 0, "", err
	}
	set := map[string]string{
		"CPCJ_DATABASE_URL": filepath.Join(dir, "cpcj.db"),
		"CPCJ_ADDR":         addr,
		"CPCJ_LOG_LEVEL":    "info",
		"CPCJ_LOG_FORMAT":   "json",
	}
	if o.engine == "postgres" {
		set["CPCJ_DATABASE_URL"] = o.database
		set["CPCJ_MIGRATE"] = "true"
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = serverEnv(set)
	p, err := start("cpcj", cmd, addr, filepath.Join(dir, "server.log"))
	if err != nil {
		return 0, "", err
	}
	defer p.stop()
	d, err := waitReady(ctx, p, "http://"+addr+"/readyz", p.started, o.poll, time.Minute)
	if err != nil {
		return 0, "", err
	}
	return d, loggedStartup(p.log), nil
}

// loggedStartup finds the start-up time in cpcj's "cpcj serving" log line.
func loggedStartup(file string) string {
	f, err := os.Open(file)
	if err != nil {
		return "?"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line struct {
			Msg     string `json:"msg"`
			Startup string `json:"startup"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "cpcj serving" {
			return line.Startup
		}
	}
	return "?"
}

// median of a sorted list.
func median(d []time.Duration) time.Duration {
	n := len(d)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return d[n/2]
	}
	return (d[n/2-1] + d[n/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
