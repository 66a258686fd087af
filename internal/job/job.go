// Package job runs background work from a table in the database, so that
// any of several servers can pick up a job and none holds work of its own.
// A job that fails is retried with growing delays until its attempts run
// out; a periodic job schedules its next run when it finishes.
package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"time"
)

// Job is one unit of background work.
type Job struct {
	ID          int64
	Kind        string
	Payload     json.RawMessage
	Dedupe      string // at most one unfinished job per non-empty key
	RunAt       time.Time
	Attempts    int // including the one under way
	MaxAttempts int
}

// Store keeps the job table.
type Store interface {
	// Enqueue adds a job unless an unfinished one has the same Dedupe key;
	// it reports whether the job was added.
	Enqueue(ctx context.Context, j Job) (bool, error)
	// Claim leases the next due job of one of the kinds (any kind when
	// kinds is nil) to worker until now+lease. A job whose lease ran out on
	// its last attempt is marked failed instead of run again.
	Claim(ctx context.Context, worker string, kinds []string, now time.Time, lease time.Duration) (Job, bool, error)
	// Finish records the outcome of a job the worker holds: done when runErr
	// is nil, pending again at retryAt when retryAt is set, failed
	// otherwise. A non-nil next is enqueued in the same transaction. If the
	// worker's lease ran out and another took the job over, nothing is
	// recorded and ErrLeaseLost is returned.
	Finish(ctx context.Context, id int64, worker string, runErr error, retryAt time.Time, next *Job) error
	// CountJobs returns the number of jobs by status.
	CountJobs(ctx context.Context) (map[string]int, error)
	// Expedite brings the pending job with the dedupe key forward to now.
	Expedite(ctx context.Context, dedupe string, now time.Time) error
}

// ErrLeaseLost says a job's outcome came too late: its lease had run out
// and another worker had taken the job over.
var ErrLeaseLost = errors.New("job lease lost")

// Handler does the work of one kind of job.
type Handler func(ctx context.Context, j Job) error

// Observer is told about each run, for metrics.
type Observer func(kind string, err error, took time.Duration)

type periodic struct {
	every time.Duration
}

// Runner claims due jobs and runs them.
type Runner struct {
	store    Store
	log      *slog.Logger
	handlers map[string]Handler
	periodic map[string]periodic
	worker   string
	observe  Observer
	now      func() time.Time
	// Poll is how often the runner looks for due jobs when idle.
	Poll time.Duration
	// Lease is how long a claimed job is held before another worker may
	// take it over (after a crash).
	Lease time.Duration
	wake  chan struct{}
	mu    sync.Mutex
}

// NewRunner returns a runner over the store.
func NewRunner(st Store, log *slog.Logger, observe Observer) *Runner {
	host, _ := os.Hostname()
	return &Runner{
		store: st, log: log, observe: observe,
		handlers: map[string]Handler{}, periodic: map[string]periodic{},
		worker: fmt.Sprintf("%s:%d", host, os.Getpid()),
		now:    time.Now, Poll: time.Second, Lease: 5 * time.Minute,
		wake: make(chan struct{}, 1),
	}
}

// Handle registers the handler for a kind of job.
func (r *Runner) Handle(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[kind] = h
}

// Every registers a handler that runs every interval.
func (r *Runner) Every(kind string, every time.Duration, h Handler) {
	r.Handle(kind, h)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.periodic[kind] = periodic{every: every}
}

// Enqueue adds a job to run now (or at j.RunAt) and wakes the runner.
func (r *Runner) Enqueue(ctx context.Context, j Job) error {
	if j.RunAt.IsZero() {
		j.RunAt = r.now()
	}
	if _, err := r.store.Enqueue(ctx, j); err != nil {
		return fmt.Errorf("enqueue %s: %w", j.Kind, err)
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return nil
}

// kinds lists the kinds of job the runner has handlers for.
func (r *Runner) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.handlers))
	for k := range r.handlers {
		out = append(out, k)
	}
	return out
}

// Soon brings a scheduled job (a periodic one, by its kind) forward to now
// and wakes the runner: new work has arrived for it.
func (r *Runner) Soon(ctx context.Context, dedupe string) error {
	if err := r.store.Expedite(ctx, dedupe, r.now()); err != nil {
		return fmt.Errorf("expedite %s: %w", dedupe, err)
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return nil
}

// Run works until ctx is done. It first makes sure every periodic job is
// scheduled.
func (r *Runner) Run(ctx context.Context) {
	r.mu.Lock()
	var periodic []string
	for kind := range r.periodic {
		periodic = append(periodic, kind)
	}
	r.mu.Unlock()
	for _, kind := range periodic {
		if _, err := r.store.Enqueue(ctx, Job{Kind: kind, Dedupe: kind, RunAt: r.now()}); err != nil {
			r.log.ErrorContext(ctx, "schedule periodic job", "kind", kind, "err", err)
		}
	}
	for {
		for r.RunOne(ctx) {
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-time.After(r.Poll):
		}
	}
}

// RunOne claims and runs one due job; it reports whether there was one.
func (r *Runner) RunOne(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false
	}
	// Only kinds this runner can do: a server without a mail server, or an
	// older one during an upgrade, must leave other servers' jobs alone.
	j, ok, err := r.store.Claim(ctx, r.worker, r.kinds(), r.now(), r.Lease)
	if err != nil {
		if ctx.Err() == nil {
			r.log.ErrorContext(ctx, "claim job", "err", err)
		}
		return false
	}
	if !ok {
		return false
	}
	r.mu.Lock()
	h, known := r.handlers[j.Kind]
	p, isPeriodic := r.periodic[j.Kind]
	r.mu.Unlock()

	start := r.now()
	var runErr error
	if !known {
		runErr = fmt.Errorf("no handler for job kind %q", j.Kind)
	} else {
		runErr = r.safeRun(ctx, h, j)
	}
	took := r.now().Sub(start)
	if r.observe != nil {
		r.observe(j.Kind, runErr, took)
	}

	var retryAt time.Time
	var next *Job
	switch {
	case isPeriodic:
		// A periodic job is not retried: its next run comes soon anyway.
		next = &Job{Kind: j.Kind, Dedupe: j.Kind, RunAt: r.now().Add(p.every), Payload: j.Payload}
	case runErr != nil && known && j.Attempts < j.MaxAttempts:
		retryAt = r.now().Add(Backoff(j.Attempts))
	}
	if runErr != nil {
		r.log.WarnContext(ctx, "job failed", "job", j.ID, "kind", j.Kind, "attempt", j.Attempts, "err", runErr, "retry_at", retryAt)
	} else {
		r.log.DebugContext(ctx, "job done", "job", j.ID, "kind", j.Kind, "took", took)
	}
	// The outcome is recorded even if ctx was cancelled meanwhile, so that
	// a finished job is not run again after a shutdown.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	switch err := r.store.Finish(fctx, j.ID, r.worker, runErr, retryAt, next); {
	case errors.Is(err, ErrLeaseLost):
		r.log.WarnContext(ctx, "job outcome not recorded: its lease ran out and another worker took it over", "job", j.ID, "kind", j.Kind, "took", took)
	case err != nil:
		r.log.ErrorContext(ctx, "record job outcome", "job", j.ID, "err", err)
	}
	return true
}

func (r *Runner) safeRun(ctx context.Context, h Handler, j Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return h(ctx, j)
}

// Backoff is the delay before retry n+1: 10 s, 20 s, 40 s, … up to an hour.
func Backoff(attempt int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}
