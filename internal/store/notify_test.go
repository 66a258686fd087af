package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/notify"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

func TestAddNotification(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		t0 := time.Date(2026, 8, 1, 9, 0, 0, 0, time.UTC)
		add := func(userID int64, subject string, mail bool) notify.Notification {
			t.Helper()
			n, err := db.AddNotification(t.Context(), notify.Notification{UserID: userID, Subject: subject, Body: "body of " + subject, Link: "/x", CreatedAt: t0}, mail, "mail body of "+subject)
			if err != nil {
				t.Fatal(err)
			}
			if n.ID == 0 {
				t.Fatal("no id")
			}
			return n
		}
		add(c.fpKEN.ID, "in the application only", false)
		add(c.fpKEN.ID, "by e-mail too", true)
		off := c.donor
		off.Disabled = true
		if _, err := db.UpdateUser(t.Context(), c.admin.Actor(), off); err != nil {
			t.Fatal(err)
		}
		add(c.donor.ID, "to a disabled account", true)

		due, err := db.DueMail(t.Context(), t0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) != 1 {
			t.Fatalf("outbox holds %+v, want the one e-mail", due)
		}
		if m := due[0]; m.To != c.fpKEN.Email || m.Subject != "by e-mail too" || m.Body != "mail body of by e-mail too" || m.Attempts != 0 {
			t.Errorf("outbox message %+v", m)
		}
		// Both kinds are shown in the application.
		list, err := db.Notifications(t.Context(), c.fpKEN.Actor(), false, 0)
		if err != nil || len(list) != 2 {
			t.Errorf("Notifications = %+v, %v", list, err)
		}
		if _, err := db.AddNotification(t.Context(), notify.Notification{UserID: 424242, Subject: "s", CreatedAt: t0}, true, "b"); err == nil {
			t.Error("a notification for no account was stored")
		}
	})
}

func TestNotificationsArePersonal(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		a, b := c.expKEN, c.expNOR
		t0 := time.Date(2026, 8, 1, 9, 0, 0, 0, time.UTC)
		var ids []int64
		for i, s := range []string{"first", "second", "third"} {
			n, err := db.AddNotification(t.Context(), notify.Notification{UserID: a.ID, Subject: s, CreatedAt: t0.Add(time.Duration(i) * time.Minute)}, false, "")
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, n.ID)
		}
		forB, err := db.AddNotification(t.Context(), notify.Notification{UserID: b.ID, Subject: "for B", CreatedAt: t0}, false, "")
		if err != nil {
			t.Fatal(err)
		}
		subjects := func(by access.Actor, unread bool, limit int) string {
			t.Helper()
			list, err := db.Notifications(t.Context(), by, unread, limit)
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, n := range list {
				s = append(s, n.Subject)
			}
			return strings.Join(s, ", ")
		}
		unread := func(by access.Actor) int {
			t.Helper()
			n, err := db.UnreadCount(t.Context(), by)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if got := subjects(a.Actor(), false, 0); got != "third, second, first" {
			t.Errorf("A sees %q, want newest first", got)
		}
		if got := subjects(a.Actor(), false, 2); got != "third, second" {
			t.Errorf("A's first two: %q", got)
		}
		if got := subjects(b.Actor(), false, 0); got != "for B" {
			t.Errorf("B sees %q", got)
		}
		if unread(a.Actor()) != 3 || unread(b.Actor()) != 1 || unread(access.Anonymous) != 0 {
			t.Errorf("unread: A %d, B %d, public %d", unread(a.Actor()), unread(b.Actor()), unread(access.Anonymous))
		}

		// B cannot mark A's notification, and learns nothing of it.
		wantKind(t, db.MarkRead(t.Context(), b.Actor(), ids[0]), fail.NotFound)
		wantKind(t, db.MarkRead(t.Context(), access.Anonymous, ids[0]), fail.Unauthorized)
		if unread(a.Actor()) != 3 {
			t.Fatal("another user marked A's notification read")
		}

		if err := db.MarkRead(t.Context(), a.Actor(), ids[1]); err != nil {
			t.Fatal(err)
		}
		// Marking a read one again is no error.
		if err := db.MarkRead(t.Context(), a.Actor(), ids[1]); err != nil {
			t.Errorf("marking again: %v", err)
		}
		if got := subjects(a.Actor(), true, 0); got != "third, first" || unread(a.Actor()) != 2 {
			t.Errorf("unread after marking the second: %q", got)
		}
		list, _ := db.Notifications(t.Context(), a.Actor(), false, 0)
		for _, n := range list {
			if (n.ReadAt != nil) != (n.ID == ids[1]) {
				t.Errorf("notification %q read at %v", n.Subject, n.ReadAt)
			}
		}

		// Marking all is marking all of one's own.
		if err := db.MarkRead(t.Context(), a.Actor(), 0); err != nil {
			t.Fatal(err)
		}
		if unread(a.Actor()) != 0 || unread(b.Actor()) != 1 {
			t.Errorf("after marking all: A %d unread, B %d", unread(a.Actor()), unread(b.Actor()))
		}
		if err := db.MarkRead(t.Context(), b.Actor(), forB.ID); err != nil {
			t.Fatal(err)
		}
		_, err = db.Notifications(t.Context(), access.Anonymous, false, 0)
		wantKind(t, err, fail.Unauthorized)
	})
}

func TestOutbox(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		t0 := time.Date(2026, 8, 1, 9, 0, 0, 0, time.UTC)
		for i, u := range c.all()[:3] {
			if _, err := db.AddNotification(t.Context(), notify.Notification{UserID: u.ID, Subject: u.Email, CreatedAt: t0.Add(time.Duration(i) * time.Second)}, true, "b"); err != nil {
				t.Fatal(err)
			}
		}
		due := func(at time.Time, limit int) []notify.Mail {
			t.Helper()
			ms, err := db.DueMail(t.Context(), at, limit)
			if err != nil {
				t.Fatal(err)
			}
			return ms
		}
		if ms := due(t0.Add(-time.Second), 10); len(ms) != 0 {
			t.Errorf("%d messages due before they were written", len(ms))
		}
		ms := due(t0.Add(time.Minute), 2)
		if len(ms) != 2 || ms[0].To != c.admin.Email || ms[1].To != c.sec.Email {
			t.Fatalf("due %+v, want the first two in order", ms)
		}
		if err := db.MailSent(t.Context(), ms[0].ID, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		reason := strings.Repeat("r", 3000)
		if err := db.MailFailed(t.Context(), ms[1].ID, reason, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if ms := due(t0.Add(time.Minute), 10); len(ms) != 1 || ms[0].To != c.fpKEN.Email {
			t.Errorf("due after one sent and one failed: %+v", ms)
		}
		later := due(t0.Add(time.Hour), 10)
		if len(later) != 2 || later[0].To != c.sec.Email || later[0].Attempts != 1 {
			t.Errorf("due an hour later: %+v", later)
		}
		var lastErr string
		if err := db.RawQueryRow(t.Context(), "SELECT last_error FROM outbox WHERE id = ?", ms[1].ID).Scan(&lastErr); err != nil || len(lastErr) != 1000 {
			t.Errorf("last error of %d bytes (%v), want it cut to 1000", len(lastErr), err)
		}
	})
}
