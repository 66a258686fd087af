package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ratioTarget is the share of the baseline's requests per second that cpcj
// should reach.
const ratioTarget = 0.5

// baselineServeArg, as the first argument, runs this program as the
// baseline server.
const baselineServeArg = "-baseline-serve"

// measureThroughput loads cpcj and the baseline in alternating rounds and
// returns the number of failed requests.
func measureThroughput(ctx context.Context, o options, bin, tmp string) (int64, error) {
	fmt.Println()
	fmt.Printf("== throughput: GET %s, %d connections, ", o.path, o.connections)
	if o.requests > 0 {
		fmt.Printf("%d requests per round\n", o.requests)
	} else {
		fmt.Printf("%s per round\n", o.duration)
	}
	dir := filepath.Join(tmp, "load")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}

	srv, err := startServer(ctx, o, exec.Command(bin, "serve"), dir, "cpcj")
	if err != nil {
		return 0, err
	}
	defer srv.stop()
	body, ctype, err := fetch(ctx, "http://"+srv.addr+o.path)
	if err != nil {
		return 0, fmt.Errorf("cpcj: %w", err)
	}
	bodyFile := filepath.Join(dir, "body")
	if err := os.WriteFile(bodyFile, body, 0o644); err != nil {
		return 0, err
	}

	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	base, err := startBaseline(ctx, self, dir, bodyFile, ctype)
	if err != nil {
		return 0, err
	}
	defer base.stop()
	bbody, bctype, err := fetch(ctx, "http://"+base.addr+o.path)
	if err != nil {
		return 0, fmt.Errorf("baseline: %w", err)
	}
	if !bytes.Equal(body, bbody) || bctype != ctype {
		return 0, fmt.Errorf("the baseline does not answer the bytes cpcj answers")
	}
	fmt.Printf("  cpcj (pid %d, %s, CPCJ_LOG_LEVEL=%s) and the baseline (pid %d, a bare net/http handler in its own\n"+
		"  process) both answer the same %d-byte body, Content-Type %s.\n",
		srv.pid(), o.engine, o.logLevel, base.pid(), len(body), ctype)
	fmt.Println("  The load generator (this process) keeps one keep-alive connection per goroutine, each with its own")
	fmt.Println("  http.Transport; every answer must be 200 with the full body. Rounds alternate to spread drift evenly.")

	spec := func(p *proc, d time.Duration, n int) loadSpec {
		return loadSpec{url: "http://" + p.addr + o.path, wantLen: len(body), connections: o.connections, duration: d, requests: n}
	}
	var failed int64
	if o.warmup > 0 {
		for _, p := range []*proc{base, srv} {
			r := load(ctx, spec(p, o.warmup, 0))
			failed += r.errors
			fmt.Printf("  warm-up %-8s %s: %d requests, %d errors\n", p.name, o.warmup, r.requests, r.errors)
		}
	}
	var rb, rc []result
	fmt.Println()
	printHead()
	for i := 1; i <= o.rounds; i++ {
		for _, p := range []*proc{base, srv} {
			if ctx.Err() != nil {
				return failed, ctx.Err()
			}
			r := measured(ctx, p, spec(p, o.duration, o.requests))
			r.round = i
			printRow(strconv.Itoa(i), r)
			if p == base {
				rb = append(rb, r)
			} else {
				rc = append(rc, r)
			}
		}
	}
	b, c := merge("baseline", rb), merge("cpcj", rc)
	printRow("all", b)
	printRow("all", c)
	failed += b.errors + c.errors
	for _, r := range []result{b, c} {
		if r.errors > 0 {
			fmt.Printf("  %s: first error: %s\n", r.server, r.firstErr)
		}
	}
	fmt.Println("  conns: TCP connections opened (Go's Transport may open a second one for a goroutine now and then).")
	fmt.Println("  µs CPU/req: the server process's user+system CPU time per request. srv %, gen %, other %: CPU")
	fmt.Println("  used by the server, by the load generator and by everything else (the kernel's interrupt work")
	fmt.Println("  for the loopback traffic, some 10%, and other processes), in % of one core (100% per core);")
	fmt.Println("  an 'other' well above 20% means other work on the machine disturbed that round.")

	fmt.Println()
	ratio := c.rps() / b.rps()
	verdict := "MET"
	if ratio < ratioTarget {
		verdict = "NOT MET"
	}
	var per []float64
	fmt.Printf("  ratio cpcj/baseline requests per second: %.3f (all rounds together)\n  per round:", ratio)
	for i := range rc {
		per = append(per, rc[i].rps()/rb[i].rps())
		fmt.Printf(" %.3f", per[i])
	}
	slices.Sort(per)
	fmt.Printf("; median %.3f\n", medianFloat(per))
	fmt.Printf("  target: at least %.2f: %s\n", ratioTarget, verdict)
	perReq := func(r result) float64 { return r.srvCPU.Seconds() / float64(r.requests) }
	fmt.Printf("  server CPU per request: baseline %.1f µs, cpcj %.1f µs (cpcj costs %.2f× the baseline's CPU per request)\n",
		perReq(b)*1e6, perReq(c)*1e6, perReq(c)/perReq(b))
	fmt.Printf("  p50 latency: baseline %.3f ms, cpcj %.3f ms; p99: baseline %.3f ms, cpcj %.3f ms\n",
		ms(pct(b.lat, .5)), ms(pct(c.lat, .5)), ms(pct(b.lat, .99)), ms(pct(c.lat, .99)))
	for _, p := range []*proc{srv, base} {
		hwm, err1 := procStatus(p.pid(), "VmHWM")
		rss, err2 := procStatus(p.pid(), "VmRSS")
		if err1 != nil || err2 != nil {
			fmt.Printf("  %s memory: unavailable (%v %v)\n", p.name, err1, err2)
			continue
		}
		fmt.Printf("  %-8s peak RSS (VmHWM) %.1f MiB, current RSS %.1f MiB\n", p.name, float64(hwm)/1024, float64(rss)/1024)
	}
	if srv.exited() || base.exited() {
		return failed, fmt.Errorf("a server exited during the run:\n%s\n%s", srv.tail(), base.tail())
	}

	if o.cpuprofile != "" {
		n := o.requests
		if n <= 0 {
			n = int(rc[len(rc)-1].requests)
		}
		if err := profile(ctx, o, dir, bodyFile, ctype, n, spec); err != nil {
			return failed, fmt.Errorf("profile: %w", err)
		}
	}
	return failed, nil
}

// medianFloat is the median of a sorted list.
func medianFloat(v []float64) float64 {
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// startServer starts a cpcj server (cmd runs "serve") on a new database and
// waits until it is ready.
func startServer(ctx context.Context, o options, cmd *exec.Cmd, dir, name string) (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	set := map[string]string{
		"CPCJ_DATABASE_URL": filepath.Join(dir, name+".db"),
		"CPCJ_ADDR":         addr,
		"CPCJ_LOG_LEVEL":    o.logLevel,
	}
	if o.engine == "postgres" {
		set["CPCJ_DATABASE_URL"] = o.database
		set["CPCJ_MIGRATE"] = "true"
	}
	cmd.Env = serverEnv(set)
	p, err := start(name, cmd, addr, filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	if _, err := waitReady(ctx, p, "http://"+addr+"/readyz", p.started, 10*time.Millisecond, time.Minute); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// startBaseline starts this program as the baseline server and waits
// until it tells its address.
func startBaseline(ctx context.Context, self, dir, bodyFile, ctype string, extra ...string) (*proc, error) {
	args := append([]string{baselineServeArg, "-file", bodyFile, "-content-type", ctype, "-addr", "127.0.0.1:0"}, extra...)
	cmd := exec.CommandContext(ctx, self, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	logFile := filepath.Join(dir, "baseline.log")
	f, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start baseline: %w", err)
	}
	p := &proc{name: "baseline", cmd: cmd, log: logFile, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			addr <- strings.TrimPrefix(sc.Text(), "listening on ")
		}
		io.Copy(io.Discard, out)
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	select {
	case p.addr = <-addr:
	case <-p.done:
		return nil, fmt.Errorf("baseline exited (%v): %s", p.err, p.tail())
	case <-time.After(30 * time.Second):
		p.stop()
		return nil, fmt.Errorf("baseline did not start")
	}
	return p, nil
}

// fetch GETs url and returns the body and Content-Type of a 200 answer.
func fetch(ctx context.Context, url string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s: status %d: %s", url, resp.StatusCode, body)
	}
	return body, resp.Header.Get("Content-Type"), nil
}

// baselineServe is the hidden baseline mode: a bare net/http server that
// answers every request with the bytes of a file. With -cpuprofile, it
// profiles from SIGUSR1 until SIGTERM, like bench/profiledserve.
func baselineServe(args []string) int {
	fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
	file := fs.String("file", "", "body to serve")
	ctype := fs.String("content-type", "application/json", "Content-Type")
	addr := fs.String("addr", "127.0.0.1:0", "address")
	cpuprofile := fs.String("cpuprofile", "", "CPU profile file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	body, err := os.ReadFile(*file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	length := strconv.Itoa(len(body))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", *ctype)
		w.Header().Set("Content-Length", length)
		w.Write(body)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		sig := make(chan os.Signal, 2)
		signal.Notify(sig, syscall.SIGUSR1, syscall.SIGTERM)
		go func() {
			for s := range sig {
				if s == syscall.SIGUSR1 {
					pprof.StartCPUProfile(f)
					continue
				}
				pprof.StopCPUProfile()
				f.Close()
				os.Exit(0)
			}
		}()
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// profile loads a profiled baseline and a profiled cpcj with the same
// number of requests, each profiled only while it is measured, so that
// the difference of the two profiles is what cpcj adds to the same work.
func profile(ctx context.Context, o options, dir, bodyFile, ctype string, n int, spec func(*proc, time.Duration, int) loadSpec) error {
	out, err := filepath.Abs(o.cpuprofile)
	if err != nil {
		return err
	}
	baseOut := strings.TrimSuffix(out, filepath.Ext(out)) + ".baseline" + filepath.Ext(out)
	if baseOut == out {
		baseOut = out + ".baseline"
	}
	fmt.Println()
	fmt.Printf("== CPU profiles: %d requests on each server, profiled while measured (figures include the profiler's cost)\n", n)
	bin, err := build(ctx, dir, "profiledserve", "./bench/profiledserve")
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	printHead()
	for _, which := range []string{"baseline", "cpcj"} {
		var p *proc
		if which == "baseline" {
			p, err = startBaseline(ctx, self, dir, bodyFile, ctype, "-cpuprofile", baseOut)
		} else {
			p, err = startServer(ctx, o, exec.Command(bin, "-cpuprofile", out), dir, "cpcj-prof")
		}
		if err != nil {
			return err
		}
		if o.warmup > 0 {
			load(ctx, spec(p, o.warmup, 0))
		}
		p.cmd.Process.Signal(syscall.SIGUSR1)
		time.Sleep(50 * time.Millisecond)
		r := measured(ctx, p, spec(p, o.duration, n))
		r.server = which
		printRow("prof", r)
		p.stop()
		if which == "cpcj" && p.err != nil {
			return fmt.Errorf("profiled server: %v: %s", p.err, p.tail())
		}
	}
	fmt.Printf("  profiles: %s (cpcj), %s (baseline). Read them with:\n", out, baseOut)
	fmt.Printf("    go tool pprof -top %s\n", out)
	fmt.Printf("    go tool pprof -top -diff_base %s %s   # what cpcj adds for the same requests\n", baseOut, out)
	return nil
}
