package job_test

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/job"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{0, 10 * time.Second},
		{1, 10 * time.Second},
		{2, 20 * time.Second},
		{3, 40 * time.Second},
		{4, 80 * time.Second},
		{8, 1280 * time.Second},
		{9, 2560 * time.Second},
		{10, time.Hour},
		{11, time.Hour},
		{1 << 20, time.Hour},
	}
	for _, tt := range tests {
		if got := job.Backoff(tt.attempt); got != tt.want {
			t.Errorf("Backoff(%d) = %v, want %v", tt.attempt, got, tt.want)
		}
	}
	for n := 1; n < 100; n++ {
		if job.Backoff(n+1) < job.Backoff(n) {
			t.Errorf("Backoff(%d) < Backoff(%d)", n+1, n)
		}
	}
}

// run is one observed run.
type run struct {
	kind string
	err  error
}

// rig is a runner over a real database, with a clock the test moves.
type rig struct {
	r    *job.Runner
	db   *store.DB
	now  time.Time
	mu   sync.Mutex
	runs []run
}

func newRig(t *testing.T, db *store.DB) *rig {
	g := &rig{db: db, now: time.Date(2026, 9, 1, 6, 0, 0, 0, time.UTC)}
	g.r = job.NewRunner(db, slog.New(slog.DiscardHandler), func(kind string, err error, _ time.Duration) {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.runs = append(g.runs, run{kind, err})
	})
	g.r.SetClock(func() time.Time { return g.now })
	db.SetClock(func() time.Time { return g.now })
	return g
}

// at moves the clock to t0+d and runs one job, reporting whether there was one.
func (g *rig) at(t0 time.Time, d time.Duration) bool {
	g.now = t0.Add(d)
	return g.r.RunOne(context.Background())
}

func (g *rig) lastRun(t *testing.T) run {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.runs) == 0 {
		t.Fatal("nothing ran")
	}
	return g.runs[len(g.runs)-1]
}

func (g *rig) counts(t *testing.T, want map[string]int) {
	t.Helper()
	got, err := g.db.CountJobs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	full := map[string]int{"pending": 0, "running": 0, "done": 0, "failed": 0}
	maps.Copy(full, want)
	if !maps.Equal(got, full) {
		t.Errorf("jobs by status %v, want %v", got, full)
	}
}

func TestRunOneDone(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g := newRig(t, db)
		var got job.Job
		g.r.Handle("greet", func(_ context.Context, j job.Job) error { got = j; return nil })
		if g.r.RunOne(t.Context()) {
			t.Fatal("ran a job from an empty table")
		}
		if err := g.r.Enqueue(t.Context(), job.Job{Kind: "greet", Payload: []byte(`{"to":"KEN"}`)}); err != nil {
			t.Fatal(err)
		}
		if !g.r.RunOne(t.Context()) {
			t.Fatal("the job enqueued for now did not run")
		}
		if got.Kind != "greet" || string(got.Payload) != `{"to":"KEN"}` || got.Attempts != 1 || got.MaxAttempts != 5 {
			t.Errorf("handler got %+v (payload %s)", got, got.Payload)
		}
		if r := g.lastRun(t); r.kind != "greet" || r.err != nil {
			t.Errorf("observed %+v", r)
		}
		g.counts(t, map[string]int{"done": 1})
		if g.r.RunOne(t.Context()) {
			t.Error("a done job ran again")
		}
	})
}

func TestRunOneRetriesThenFails(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g := newRig(t, db)
		t0 := g.now
		var attempts []int
		g.r.Handle("flaky", func(_ context.Context, j job.Job) error {
			attempts = append(attempts, j.Attempts)
			return errors.New("mail server down")
		})
		if err := g.r.Enqueue(t.Context(), job.Job{Kind: "flaky", MaxAttempts: 3}); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			at  time.Duration
			ran bool
		}{
			{0, true},
			{9 * time.Second, false}, // first retry after Backoff(1) = 10 s
			{10 * time.Second, true},
			{29 * time.Second, false}, // then after Backoff(2) = 20 s more
			{30 * time.Second, true},  // the last attempt
			{24 * time.Hour, false},
		}
		for _, s := range steps {
			if ran := g.at(t0, s.at); ran != s.ran {
				t.Fatalf("at +%v: ran %v, want %v", s.at, ran, s.ran)
			}
		}
		if len(attempts) != 3 || attempts[0] != 1 || attempts[2] != 3 {
			t.Errorf("attempts %v, want [1 2 3]", attempts)
		}
		if r := g.lastRun(t); r.err == nil || !strings.Contains(r.err.Error(), "mail server down") {
			t.Errorf("observed %+v", r)
		}
		g.counts(t, map[string]int{"failed": 1})
	})
}

func TestRunOneRetrySucceeds(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g := newRig(t, db)
		t0 := g.now
		calls := 0
		g.r.Handle("once-flaky", func(context.Context, job.Job) error {
			calls++
			if calls == 1 {
				return errors.New("not yet")
			}
			return nil
		})
		if err := g.r.Enqueue(t.Context(), job.Job{Kind: "once-flaky"}); err != nil {
			t.Fatal(err)
		}
		if !g.at(t0, 0) || !g.at(t0, job.Backoff(1)) {
			t.Fatal("the job and its retry did not run")
		}
		g.counts(t, map[string]int{"done": 1})
	})
}

func TestPeriodic(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g := newRig(t, db)
		t0 := g.now
		ticks := 0
		g.r.Every("tick", time.Hour, func(context.Context, job.Job) error {
			ticks++
			if ticks == 2 {
				return errors.New("this one fails")
			}
			return nil
		})
		if err := g.r.Enqueue(t.Context(), job.Job{Kind: "tick", Dedupe: "tick", Payload: []byte(`{"n":1}`)}); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			at  time.Duration
			ran bool
		}{
			{0, true},
			{59 * time.Minute, false},
			{time.Hour, true}, // fails, and is not retried: the next run is due anyway
			{time.Hour + job.Backoff(1), false},
			{2 * time.Hour, true},
		}
		for _, s := range steps {
			if ran := g.at(t0, s.at); ran != s.ran {
				t.Fatalf("at +%v: ran %v, want %v", s.at, ran, s.ran)
			}
		}
		if ticks != 3 {
			t.Errorf("%d ticks, want 3", ticks)
		}
		g.counts(t, map[string]int{"done": 2, "failed": 1, "pending": 1})
	})
}

func TestExpiredLeaseIsTakenOver(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g := newRig(t, db)
		t0 := g.now
		g.r.Lease = time.Minute
		var got job.Job
		g.r.Handle("slow", func(_ context.Context, j job.Job) error { got = j; return nil })
		if err := g.r.Enqueue(t.Context(), job.Job{Kind: "slow"}); err != nil {
			t.Fatal(err)
		}
		// A worker claims the job and dies without finishing it.
		if _, ok, err := db.Claim(t.Context(), "crashed-worker", nil, t0, 5*time.Minute); err != nil || !ok {
			t.Fatalf("Claim = %v, %v", ok, err)
		}
		if g.at(t0, 4*time.Minute) {
			t.Fatal("a job under another worker's lease was taken")
		}
		if !g.at(t0, 5*time.Minute+time.Second) {
			t.Fatal("the job was not taken over after its lease ran out")
		}
		if got.Attempts != 2 {
			t.Errorf("taken over at attempt %d, want 2", got.Attempts)
		}
		g.counts(t, map[string]int{"done": 1})
	})
}

func TestPanickingHandler(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g := newRig(t, db)
		t0 := g.now
		g.r.Handle("boom", func(context.Context, job.Job) error { panic("boom at line 1") })
		if err := g.r.Enqueue(t.Context(), job.Job{Kind: "boom", MaxAttempts: 2}); err != nil {
			t.Fatal(err)
		}
		if !g.at(t0, 0) {
			t.Fatal("did not run")
		}
		r := g.lastRun(t)
		if r.err == nil || !strings.Contains(r.err.Error(), "panic: boom at line 1") || !strings.Contains(r.err.Error(), "job_test.go") {
			t.Errorf("observed %v, want the panic and where it happened", r.err)
		}
		g.counts(t, map[string]int{"pending": 1})
		if !g.at(t0, job.Backoff(1)) {
			t.Fatal("the retry did not run")
		}
		g.counts(t, map[string]int{"failed": 1})
	})
}

// A runner leaves alone the kinds it has no handler for: another server
// (one with a mail server, or a newer one during an upgrade) does them.
func TestUnknownKindLeftForOthers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g := newRig(t, db)
		if err := g.r.Enqueue(t.Context(), job.Job{Kind: "nobody-here-handles-this"}); err != nil {
			t.Fatal(err)
		}
		if g.r.RunOne(t.Context()) {
			t.Fatal("the runner claimed a job it has no handler for")
		}
		g.counts(t, map[string]int{"pending": 1})
	})
}

// The outcome of a job is recorded even when the runner is being stopped,
// so that a finished job does not run again after a restart.
func TestOutcomeRecordedAfterCancel(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g := newRig(t, db)
		ctx, cancel := context.WithCancel(t.Context())
		g.r.Handle("last", func(context.Context, job.Job) error { cancel(); return nil })
		if err := g.r.Enqueue(ctx, job.Job{Kind: "last"}); err != nil {
			t.Fatal(err)
		}
		if !g.r.RunOne(ctx) {
			t.Fatal("did not run")
		}
		g.counts(t, map[string]int{"done": 1})
		if g.r.RunOne(ctx) {
			t.Error("ran with a cancelled context")
		}
	})
}

func TestRun(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := job.NewRunner(db, slog.New(slog.DiscardHandler), nil)
		r.Poll = time.Hour // only a wake-up may start the second job
		ticked, greeted := make(chan struct{}, 10), make(chan string, 10)
		r.Every("tick", time.Hour, func(context.Context, job.Job) error { ticked <- struct{}{}; return nil })
		r.Handle("greet", func(_ context.Context, j job.Job) error { greeted <- string(j.Payload); return nil })
		ctx, cancel := context.WithCancel(t.Context())
		stopped := make(chan struct{})
		go func() { r.Run(ctx); close(stopped) }()

		wait := func(what string, ch <-chan struct{}) {
			t.Helper()
			select {
			case <-ch:
			case <-time.After(10 * time.Second):
				t.Fatalf("%s did not happen", what)
			}
		}
		wait("the periodic job's first run", ticked)
		if err := r.Enqueue(ctx, job.Job{Kind: "greet", Payload: []byte(`"hello"`)}); err != nil {
			t.Fatal(err)
		}
		select {
		case p := <-greeted:
			if p != `"hello"` {
				t.Errorf("payload %s", p)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the enqueued job did not wake the runner")
		}
		cancel()
		wait("Run's return", stopped)
		if len(ticked) != 0 {
			t.Errorf("the hourly job ran %d more times", len(ticked))
		}
	})
}
