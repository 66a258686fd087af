package notify_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/job"
	"github.com/cpcj/cpcj/internal/notify"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// fakeSender is a fake mail server: it accepts what refuse does not refuse.
type fakeSender struct {
	mu     sync.Mutex
	sent   []notify.Mail
	tries  int
	refuse func(m notify.Mail) error
}

func (s *fakeSender) Send(_ context.Context, m notify.Mail) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tries++
	if s.refuse != nil {
		if err := s.refuse(m); err != nil {
			return err
		}
	}
	s.sent = append(s.sent, m)
	return nil
}

func (s *fakeSender) to() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, m := range s.sent {
		out = append(out, m.To)
	}
	return out
}

type noteRig struct {
	svc  *notify.Service
	db   *store.DB
	mail *fakeSender
	now  time.Time
}

func newNoteRig(t *testing.T, db *store.DB, mail bool) *noteRig {
	g := &noteRig{db: db, mail: &fakeSender{}, now: time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)}
	g.svc = &notify.Service{Store: db, Mail: mail, Sender: g.mail, BaseURL: "https://cpcj.example.org/",
		Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return g.now }}
	db.SetClock(g.svc.Now)
	return g
}

// recipients creates n accounts, a0@example.org to a(n-1)@example.org.
func recipients(t *testing.T, db *store.DB, n int) []account.User {
	t.Helper()
	var us []account.User
	for i := range n {
		u, err := db.CreateUser(t.Context(), access.System("test"), account.User{Email: fmt.Sprintf("a%d@example.org", i), Name: "A", Role: access.Secretariat}, "hash")
		if err != nil {
			t.Fatal(err)
		}
		us = append(us, u)
	}
	return us
}

// due returns the outbox messages due at the rig's time plus d.
func (g *noteRig) due(t *testing.T, d time.Duration) []notify.Mail {
	t.Helper()
	ms, err := g.db.DueMail(t.Context(), g.now.Add(d), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestNotifyWithoutMail(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g := newNoteRig(t, db, false)
		u := recipients(t, db, 1)[0]
		if err := g.svc.Notify(t.Context(), u.ID, "Subject", "Body", "/account"); err != nil {
			t.Fatal(err)
		}
		list, err := db.Notifications(t.Context(), u.Actor(), false, 0)
		if err != nil || len(list) != 1 {
			t.Fatalf("Notifications = %+v, %v", list, err)
		}
		n := list[0]
		if n.Subject != "Subject" || n.Body != "Body" || n.Link != "/account" || !n.CreatedAt.Equal(g.now) || n.ReadAt != nil {
			t.Errorf("notification %+v", n)
		}
		if ms := g.due(t, 24*time.Hour); len(ms) != 0 {
			t.Errorf("outbox holds %+v without mail configured", ms)
		}
		if err := g.svc.Notify(t.Context(), 424242, "S", "B", ""); err == nil || !strings.Contains(err.Error(), "add notification") {
			t.Errorf("notifying no account: %v", err)
		}
	})
}

func TestNotifyWithMail(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g := newNoteRig(t, db, true)
		g.svc.Jobs = job.NewRunner(db, slog.New(slog.DiscardHandler), nil)
		// The periodic delivery job, as serve schedules it, an hour away.
		later := time.Now().Add(time.Hour)
		if _, err := db.Enqueue(t.Context(), job.Job{Kind: notify.DeliverJob, Dedupe: notify.DeliverJob, RunAt: later}); err != nil {
			t.Fatal(err)
		}
		us := recipients(t, db, 2)
		if err := g.svc.Notify(t.Context(), us[0].ID, "Your account", "It was created.", "/account"); err != nil {
			t.Fatal(err)
		}
		if err := g.svc.Notify(t.Context(), us[1].ID, "No link", "Plain.", ""); err != nil {
			t.Fatal(err)
		}
		ms := g.due(t, 0)
		if len(ms) != 2 {
			t.Fatalf("outbox holds %+v, want two messages", ms)
		}
		m := ms[0]
		if m.To != "a0@example.org" || m.Subject != "Your account" || m.Attempts != 0 {
			t.Errorf("message %+v", m)
		}
		if !strings.HasPrefix(m.Body, "It was created.\n\nhttps://cpcj.example.org/account\n\n-- \n") {
			t.Errorf("body %q, want the text, the full link, then the signature", m.Body)
		}
		if strings.Contains(ms[1].Body, "https://") {
			t.Errorf("body without a link holds one: %q", ms[1].Body)
		}
		// One delivery job, however many notifications, brought forward
		// to now.
		counts, err := db.CountJobs(t.Context())
		if err != nil || counts["pending"] != 1 {
			t.Errorf("jobs %v, %v; want one pending delivery", counts, err)
		}
		if j, ok, err := db.Claim(t.Context(), "w", []string{notify.DeliverJob}, time.Now().Add(time.Second), time.Minute); err != nil || !ok {
			t.Errorf("the delivery job is not due now: %v, %v", ok, err)
		} else if j.Kind != notify.DeliverJob {
			t.Errorf("claimed %s, want %s", j.Kind, notify.DeliverJob)
		}
		// The notification is in the application too.
		if n, _ := db.UnreadCount(t.Context(), us[0].Actor()); n != 1 {
			t.Errorf("%d unread, want 1", n)
		}
	})
}

func TestDeliver(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g := newNoteRig(t, db, true)
		// More than one batch of 50.
		us := recipients(t, db, 120)
		for _, u := range us {
			if err := g.svc.Notify(t.Context(), u.ID, "S", "B", ""); err != nil {
				t.Fatal(err)
			}
		}
		if err := g.svc.Deliver(t.Context(), job.Job{}); err != nil {
			t.Fatal(err)
		}
		if n := len(g.mail.to()); n != 120 {
			t.Errorf("%d sent, want 120", n)
		}
		if ms := g.due(t, 365*24*time.Hour); len(ms) != 0 {
			t.Errorf("%d messages still unsent", len(ms))
		}
		// Sent messages are not sent again.
		if err := g.svc.Deliver(t.Context(), job.Job{}); err != nil || g.mail.tries != 120 {
			t.Errorf("second delivery: %d tries, %v", g.mail.tries, err)
		}
	})
}

func TestDeliverFailureKeepsMessage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g := newNoteRig(t, db, true)
		t0 := g.now
		us := recipients(t, db, 3)
		for _, u := range us {
			if err := g.svc.Notify(t.Context(), u.ID, "S", "B", ""); err != nil {
				t.Fatal(err)
			}
		}
		g.mail.refuse = func(m notify.Mail) error {
			if m.To == "a1@example.org" {
				return errors.New("550 mailbox unavailable")
			}
			return nil
		}
		if err := g.svc.Deliver(t.Context(), job.Job{}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(g.mail.to(), " "); got != "a0@example.org a2@example.org" {
			t.Errorf("sent to %s", got)
		}
		if ms := g.due(t, job.Backoff(1)-time.Second); len(ms) != 0 {
			t.Errorf("refused message due again before its backoff: %+v", ms)
		}
		ms := g.due(t, job.Backoff(1))
		if len(ms) != 1 || ms[0].To != "a1@example.org" || ms[0].Attempts != 1 {
			t.Fatalf("due after the backoff: %+v, want the refused message at attempt 1", ms)
		}

		// Refused again, it waits longer.
		g.now = t0.Add(job.Backoff(1))
		if err := g.svc.Deliver(t.Context(), job.Job{}); err != nil {
			t.Fatal(err)
		}
		if ms := g.due(t, job.Backoff(2)-time.Second); len(ms) != 0 {
			t.Errorf("due again too soon: %+v", ms)
		}
		if ms := g.due(t, job.Backoff(2)); len(ms) != 1 || ms[0].Attempts != 2 {
			t.Fatalf("due after the second backoff: %+v", ms)
		}

		// When the server takes it, it is sent, once.
		g.mail.refuse = nil
		g.now = g.now.Add(job.Backoff(2))
		if err := g.svc.Deliver(t.Context(), job.Job{}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(g.mail.to(), " "); got != "a0@example.org a2@example.org a1@example.org" {
			t.Errorf("sent to %s", got)
		}
		if ms := g.due(t, 365*24*time.Hour); len(ms) != 0 {
			t.Errorf("still in the outbox: %+v", ms)
		}
	})
}

// A server that refuses everything does not keep Deliver busy: it stops
// after one pass and leaves the messages for later.
func TestDeliverServerDown(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g := newNoteRig(t, db, true)
		for _, u := range recipients(t, db, 3) {
			if err := g.svc.Notify(t.Context(), u.ID, "S", "B", ""); err != nil {
				t.Fatal(err)
			}
		}
		g.mail.refuse = func(notify.Mail) error { return errors.New("connection refused") }
		if err := g.svc.Deliver(t.Context(), job.Job{}); err != nil {
			t.Fatal(err)
		}
		if g.mail.tries != 3 {
			t.Errorf("%d tries, want one per message", g.mail.tries)
		}
		if ms := g.due(t, time.Hour); len(ms) != 3 {
			t.Errorf("%d messages kept, want 3", len(ms))
		}

		// A process that does not deliver leaves the outbox alone.
		g.svc.Sender = nil
		g.now = g.now.Add(time.Hour)
		if err := g.svc.Deliver(t.Context(), job.Job{}); err != nil || len(g.due(t, 0)) != 3 {
			t.Errorf("Deliver without a fakeSender: %v", err)
		}
	})
}
