package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// loadSpec is one round of load on one server.
type loadSpec struct {
	url         string
	wantLen     int // every answer must be 200 with a body of this length
	connections int
	duration    time.Duration
	requests    int // if above 0, the round ends after this many requests
}

// result is what one round measured.
type result struct {
	server   string
	round    int
	requests int64 // answered 200 with the expected body
	errors   int64
	firstErr string
	elapsed  time.Duration
	lat      []time.Duration // sorted latencies of the successful requests
	dials    int64           // TCP connections opened
	srvCPU   time.Duration   // the server process's CPU time during the round
	genCPU   time.Duration   // the load generator's CPU time during the round
	// othCPU is the CPU time that the rest of the machine used during the
	// round: other processes, which disturb the measurement.
	othCPU time.Duration
}

func (r result) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// pct returns the q-quantile (nearest rank) of the sorted latencies.
func pct(lat []time.Duration, q float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	i := int(q*float64(len(lat))+0.5) - 1
	return lat[min(max(i, 0), len(lat)-1)]
}

// worker is one connection of the load generator: a goroutine with an
// http.Transport of its own, which keeps its one connection alive.
type worker struct {
	client *http.Client
	tr     *http.Transport
	lat    []time.Duration
	errs   int64
	first  string
}

func newWorker(dials *atomic.Int64) *worker {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConns:        4,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     2 * time.Minute,
		DisableCompression:  true, // neither server compresses; ask for identity
		ForceAttemptHTTP2:   false,
	}
	return &worker{tr: tr, client: &http.Client{Transport: tr, Timeout: 30 * time.Second}, lat: make([]time.Duration, 0, 1<<15)}
}

func (w *worker) fail(msg string) {
	w.errs++
	if w.first == "" {
		w.first = msg
	}
}

// load runs one round and returns its figures (without the CPU times).
func load(ctx context.Context, s loadSpec) result {
	var dials, issued atomic.Int64
	workers := make([]*worker, s.connections)
	for i := range workers {
		workers[i] = newWorker(&dials)
	}
	var wg sync.WaitGroup
	begin := make(chan struct{})
	for _, w := range workers {
		wg.Go(func() {
			buf := make([]byte, 32<<10)
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
			<-begin
			deadline := time.Now().Add(s.duration)
			for ctx.Err() == nil {
				if s.requests > 0 {
					if issued.Add(1) > int64(s.requests) {
						break
					}
				} else if !time.Now().Before(deadline) {
					break
				}
				t := time.Now()
				resp, err := w.client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						w.fail(err.Error())
					}
					continue
				}
				n, err := readAll(resp.Body, buf)
				resp.Body.Close()
				d := time.Since(t)
				switch {
				case err != nil:
					w.fail("reading the body: " + err.Error())
				case resp.StatusCode != http.StatusOK:
					w.fail(fmt.Sprintf("status %d", resp.StatusCode))
				case n != s.wantLen:
					w.fail(fmt.Sprintf("body of %d bytes, want %d", n, s.wantLen))
				default:
					w.lat = append(w.lat, d)
				}
			}
		})
	}
	start := time.Now()
	close(begin)
	wg.Wait()
	r := result{elapsed: time.Since(start), dials: dials.Load()}
	n := 0
	for _, w := range workers {
		n += len(w.lat)
	}
	r.lat = make([]time.Duration, 0, n)
	for _, w := range workers {
		r.lat = append(r.lat, w.lat...)
		r.errors += w.errs
		if r.firstErr == "" {
			r.firstErr = w.first
		}
		w.tr.CloseIdleConnections()
	}
	r.requests = int64(len(r.lat))
	slices.Sort(r.lat)
	return r
}

// readAll reads a body through buf and returns its length.
func readAll(r io.Reader, buf []byte) (int, error) {
	n := 0
	for {
		m, err := r.Read(buf)
		n += m
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// measured runs a round on p and adds the CPU times.
func measured(ctx context.Context, p *proc, s loadSpec) result {
	srv0, _ := procCPU(p.pid())
	gen0, all0 := selfCPU(), machineBusy()
	r := load(ctx, s)
	srv1, _ := procCPU(p.pid())
	r.genCPU, r.srvCPU = selfCPU()-gen0, srv1-srv0
	r.othCPU = max(machineBusy()-all0-r.genCPU-r.srvCPU, 0)
	r.server = p.name
	return r
}

// merge adds rounds of one server together.
func merge(name string, rs []result) result {
	m := result{server: name}
	for _, r := range rs {
		m.requests += r.requests
		m.errors += r.errors
		m.elapsed += r.elapsed
		m.dials += r.dials
		m.srvCPU += r.srvCPU
		m.genCPU += r.genCPU
		m.othCPU += r.othCPU
		m.lat = append(m.lat, r.lat...)
		if m.firstErr == "" {
			m.firstErr = r.firstErr
		}
	}
	slices.Sort(m.lat)
	return m
}

const tableHead = "  %-5s %-8s %8s %7s %7s %7s %7s %6s %5s %9s %6s %6s %6s\n"
const tableRow = "  %-5s %-8s %8d %7.0f %7.3f %7.3f %7.1f %6d %5d %9.1f %6.0f %6.0f %6.0f\n"

func printHead() {
	fmt.Printf(tableHead, "round", "server", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "errors", "conns", "µs CPU/req", "srv %", "gen %", "other %")
}

func printRow(label string, r result) {
	perReq := 0.0
	if r.requests > 0 {
		perReq = float64(r.srvCPU) / float64(time.Microsecond) / float64(r.requests)
	}
	share := func(d time.Duration) float64 { return 100 * d.Seconds() / r.elapsed.Seconds() }
	fmt.Printf(tableRow, label, r.server, r.requests, r.rps(), ms(pct(r.lat, .50)), ms(pct(r.lat, .99)), ms(pct(r.lat, 1)),
		r.errors, r.dials, perReq, share(r.srvCPU), share(r.genCPU), share(r.othCPU))
}
