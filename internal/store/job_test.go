package store_test

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/job"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// jobRow is what the job table holds about one job beyond job.Job.
type jobRow struct {
	status, lockedBy, lastError string
	attempts                    int
}

func readJob(t *testing.T, db *store.DB, id int64) jobRow {
	t.Helper()
	var r jobRow
	err := db.RawQueryRow(t.Context(), "SELECT status, locked_by, last_error, attempts FROM job WHERE id = ?", id).
		Scan(&r.status, &r.lockedBy, &r.lastError, &r.attempts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func wantCounts(t *testing.T, db *store.DB, want map[string]int) {
	t.Helper()
	got, err := db.CountJobs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	full := map[string]int{"pending": 0, "running": 0, "done": 0, "failed": 0}
	maps.Copy(full, want)
	if !maps.Equal(got, full) {
		t.Errorf("jobs by status %v, want %v", got, full)
	}
}

func TestEnqueueDedupe(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t0 := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
		enqueue := func(j job.Job) bool {
			t.Helper()
			added, err := db.Enqueue(t.Context(), j)
			if err != nil {
				t.Fatal(err)
			}
			return added
		}
		if !enqueue(job.Job{Kind: "mail", Dedupe: "mail", RunAt: t0}) {
			t.Fatal("first job not added")
		}
		if enqueue(job.Job{Kind: "mail", Dedupe: "mail", RunAt: t0}) {
			t.Error("a second pending job with the same key was added")
		}
		// Jobs without a key never collide.
		for i := range 2 {
			if !enqueue(job.Job{Kind: "x", RunAt: t0}) {
				t.Errorf("job %d without a dedupe key was refused", i+1)
			}
		}
		j, ok, err := db.Claim(t.Context(), "w", nil, t0, time.Minute)
		if err != nil || !ok || j.Dedupe != "mail" {
			t.Fatalf("Claim = %+v, %v, %v", j, ok, err)
		}
		if enqueue(job.Job{Kind: "mail", Dedupe: "mail", RunAt: t0}) {
			t.Error("a job was added beside a running one with the same key")
		}
		if err := db.Finish(t.Context(), j.ID, "w", nil, time.Time{}, nil); err != nil {
			t.Fatal(err)
		}
		if !enqueue(job.Job{Kind: "mail", Dedupe: "mail", RunAt: t0}) {
			t.Error("a finished job still blocks its key")
		}
		wantCounts(t, db, map[string]int{"pending": 3, "done": 1})
	})
}

func TestClaim(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t0 := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
		for i, at := range []time.Time{t0.Add(time.Minute), t0, t0, t0.Add(time.Hour)} {
			if _, err := db.Enqueue(t.Context(), job.Job{Kind: fmt.Sprint("k", i), RunAt: at, Payload: []byte(fmt.Sprintf(`{"n":%d}`, i))}); err != nil {
				t.Fatal(err)
			}
		}
		var order []string
		for {
			j, ok, err := db.Claim(t.Context(), "w1", nil, t0.Add(30*time.Minute), time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			if j.Attempts != 1 || j.MaxAttempts != 5 || string(j.Payload) != fmt.Sprintf(`{"n":%s}`, strings.TrimPrefix(j.Kind, "k")) {
				t.Errorf("claimed %+v (payload %s)", j, j.Payload)
			}
			if r := readJob(t, db, j.ID); r.status != "running" || r.lockedBy != "w1" {
				t.Errorf("claimed job is %+v", r)
			}
			order = append(order, j.Kind)
		}
		// Due jobs by time, then by age; the future one waits.
		if got := strings.Join(order, " "); got != "k1 k2 k0" {
			t.Errorf("claimed %q, want k1 k2 k0", got)
		}
		if _, err := db.Enqueue(t.Context(), job.Job{Kind: "empty", RunAt: t0}); err != nil {
			t.Fatal(err)
		}
		j, _, _ := db.Claim(t.Context(), "w1", nil, t0, time.Minute)
		if string(j.Payload) != "{}" {
			t.Errorf("an empty payload is stored as %q, want {}", j.Payload)
		}
	})
}

func TestClaimExpiredLease(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t0 := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
		if _, err := db.Enqueue(t.Context(), job.Job{Kind: "slow", RunAt: t0}); err != nil {
			t.Fatal(err)
		}
		first, ok, err := db.Claim(t.Context(), "dead-worker", nil, t0, 5*time.Minute)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if _, ok, _ := db.Claim(t.Context(), "w2", nil, t0.Add(4*time.Minute), 5*time.Minute); ok {
			t.Fatal("a job under lease was claimed again")
		}
		again, ok, err := db.Claim(t.Context(), "w2", nil, t0.Add(6*time.Minute), 5*time.Minute)
		if err != nil || !ok {
			t.Fatalf("a job whose lease ran out was not claimed again: %v, %v", ok, err)
		}
		if again.ID != first.ID || again.Attempts != 2 {
			t.Errorf("claimed %+v again, want job %d at attempt 2", again, first.ID)
		}
		if r := readJob(t, db, again.ID); r.lockedBy != "w2" || r.status != "running" {
			t.Errorf("job after takeover %+v", r)
		}
	})
}

func TestFinish(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t0 := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
		db.SetClock(func() time.Time { return t0 })
		claim := func(kind string) job.Job {
			t.Helper()
			if _, err := db.Enqueue(t.Context(), job.Job{Kind: kind, Dedupe: kind, RunAt: t0}); err != nil {
				t.Fatal(err)
			}
			j, ok, err := db.Claim(t.Context(), "w", nil, t0, time.Minute)
			if err != nil || !ok || j.Kind != kind {
				t.Fatalf("Claim = %+v, %v, %v", j, ok, err)
			}
			return j
		}

		done := claim("done")
		if err := db.Finish(t.Context(), done.ID, "w", nil, time.Time{}, nil); err != nil {
			t.Fatal(err)
		}
		if r := readJob(t, db, done.ID); r.status != "done" || r.lastError != "" {
			t.Errorf("done job %+v", r)
		}

		retry := claim("retry")
		if err := db.Finish(t.Context(), retry.ID, "w", errors.New("smtp down"), t0.Add(10*time.Second), nil); err != nil {
			t.Fatal(err)
		}
		if r := readJob(t, db, retry.ID); r.status != "pending" || r.lastError != "smtp down" {
			t.Errorf("job to retry %+v", r)
		}
		if _, ok, _ := db.Claim(t.Context(), "w", nil, t0.Add(9*time.Second), time.Minute); ok {
			t.Error("a job was retried before its time")
		}
		if j, ok, _ := db.Claim(t.Context(), "w", nil, t0.Add(10*time.Second), time.Minute); !ok || j.ID != retry.ID || j.Attempts != 2 {
			t.Errorf("retry claimed %+v, %v", j, ok)
		}
		if err := db.Finish(t.Context(), retry.ID, "w", nil, time.Time{}, nil); err != nil {
			t.Fatal(err)
		}
		if r := readJob(t, db, retry.ID); r.status != "done" || r.lastError != "" {
			t.Errorf("retried job %+v, want done and its error cleared", r)
		}

		failed := claim("failed")
		long := errors.New(strings.Repeat("e", 5000))
		if err := db.Finish(t.Context(), failed.ID, "w", long, time.Time{}, nil); err != nil {
			t.Fatal(err)
		}
		if r := readJob(t, db, failed.ID); r.status != "failed" || len(r.lastError) != 2000 {
			t.Errorf("failed job: %s with an error of %d bytes", r.status, len(r.lastError))
		}

		// A worker whose lease ran out, and whose job another took over,
		// records nothing: the new holder's outcome counts.
		slow := claim("slow")
		taken, ok, err := db.Claim(t.Context(), "w2", nil, t0.Add(2*time.Minute), time.Minute)
		if err != nil || !ok || taken.ID != slow.ID {
			t.Fatalf("take-over Claim = %+v, %v, %v", taken, ok, err)
		}
		if err := db.Finish(t.Context(), slow.ID, "w", errors.New("late"), time.Time{}, nil); !errors.Is(err, job.ErrLeaseLost) {
			t.Errorf("late Finish = %v, want ErrLeaseLost", err)
		}
		if err := db.Finish(t.Context(), slow.ID, "w2", nil, time.Time{}, nil); err != nil {
			t.Fatal(err)
		}
		if r := readJob(t, db, slow.ID); r.status != "done" || r.lastError != "" {
			t.Errorf("job taken over %+v, want done by the new holder", r)
		}

		// A successor is enqueued with the outcome, even under the same key.
		periodic := claim("tick")
		next := job.Job{Kind: "tick", Dedupe: "tick", RunAt: t0.Add(time.Hour)}
		if err := db.Finish(t.Context(), periodic.ID, "w", nil, time.Time{}, &next); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := db.Claim(t.Context(), "w", nil, t0.Add(59*time.Minute), time.Minute); ok {
			t.Error("the successor ran early")
		}
		if j, ok, _ := db.Claim(t.Context(), "w", nil, t0.Add(time.Hour), time.Minute); !ok || j.Kind != "tick" || j.ID == periodic.ID {
			t.Errorf("successor %+v, %v", j, ok)
		}
		wantCounts(t, db, map[string]int{"done": 4, "failed": 1, "running": 1})

		// Clean-up removes what finished before the cut, and nothing unfinished.
		if n, err := db.DeleteFinishedJobs(t.Context(), t0); err != nil || n != 0 {
			t.Errorf("DeleteFinishedJobs at the finishing time = %d, %v; want 0", n, err)
		}
		n, err := db.DeleteFinishedJobs(t.Context(), t0.Add(time.Second))
		if err != nil || n != 5 {
			t.Errorf("DeleteFinishedJobs = %d, %v; want 5", n, err)
		}
		wantCounts(t, db, map[string]int{"running": 1})
	})
}

// Workers claiming at once never get the same job.
func TestClaimConcurrent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const jobs, workers = 30, 6
		t0 := time.Now().UTC()
		for i := range jobs {
			if _, err := db.Enqueue(t.Context(), job.Job{Kind: "k", Dedupe: fmt.Sprint(i), RunAt: t0}); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[int64]string{}
		var wg sync.WaitGroup
		for w := range workers {
			name := fmt.Sprint("w", w)
			wg.Go(func() {
				for {
					j, ok, err := db.Claim(t.Context(), name, nil, t0, time.Hour)
					if err != nil {
						t.Error(err)
						return
					}
					if !ok {
						return
					}
					mu.Lock()
					if other, dup := seen[j.ID]; dup {
						t.Errorf("job %d claimed by %s and %s", j.ID, other, name)
					}
					seen[j.ID] = name
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != jobs {
			t.Errorf("%d jobs claimed, want %d", len(seen), jobs)
		}
	})
}
