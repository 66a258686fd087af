package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// wholeTrail returns the whole audit trail, oldest first.
func wholeTrail(t *testing.T, db *store.DB) []audit.Record {
	t.Helper()
	rs, err := db.AuditRecords(t.Context(), root, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(rs)
	return rs
}

// lastRecord returns the newest audit record.
func lastRecord(t *testing.T, db *store.DB) audit.Record {
	t.Helper()
	rs, err := db.AuditRecords(t.Context(), root, audit.Filter{Limit: 1})
	if err != nil || len(rs) != 1 {
		t.Fatalf("AuditRecords = %v, %v", rs, err)
	}
	return rs[0]
}

func TestAuditRecordsEveryChange(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		ctx := audit.WithMeta(t.Context(), audit.Meta{RequestID: "req-42", Address: "192.0.2.7"})
		now := db.Now()
		adminBy := c.admin.Actor()
		var tk account.Token
		tests := []struct {
			name    string
			change  func() error
			want    audit.Record // the fields compared
			before  bool         // a before digest is expected
			after   bool         // an after digest is expected
			summary string       // part of the summary
		}{
			{"create account", func() error {
				_, err := db.CreateUser(ctx, adminBy, account.User{Email: "new@example.org", Name: "New", Role: access.Expert, State: "KEN"}, fakeHash)
				return err
			}, audit.Record{ActorID: c.admin.ID, Actor: c.admin.Email, Role: "admin", Action: "create", Entity: "account"}, false, true, "new@example.org, expert for KEN"},
			{"update account", func() error {
				u := c.donor
				u.Disabled = true
				_, err := db.UpdateUser(ctx, adminBy, u)
				return err
			}, audit.Record{ActorID: c.admin.ID, Actor: c.admin.Email, Role: "admin", Action: "update", Entity: "account", EntityID: fmt.Sprint(c.donor.ID)}, true, true, "donor for NORAD, disabled"},
			{"set password", func() error {
				return db.SetPassword(ctx, c.sec.Actor(), c.sec.ID, "secret-hash-value")
			}, audit.Record{ActorID: c.sec.ID, Actor: c.sec.Email, Role: "secretariat", Action: "set_password", Entity: "account", EntityID: fmt.Sprint(c.sec.ID)}, false, false, "password changed"},
			{"sign in", func() error {
				return db.CreateSession(ctx, c.fpKEN, account.Session{Hash: "s", UserID: c.fpKEN.ID, CSRF: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour), SeenAt: now})
			}, audit.Record{ActorID: c.fpKEN.ID, Actor: c.fpKEN.Email, Role: "focal_point", Action: "sign_in", Entity: "account", EntityID: fmt.Sprint(c.fpKEN.ID)}, false, false, "signed in"},
			{"sign out", func() error {
				return db.DeleteSession(ctx, c.fpKEN.Actor(), "s")
			}, audit.Record{ActorID: c.fpKEN.ID, Actor: c.fpKEN.Email, Role: "focal_point", Action: "sign_out", Entity: "account", EntityID: fmt.Sprint(c.fpKEN.ID)}, false, false, "signed out"},
			{"create token", func() error {
				var err error
				tk, err = db.CreateToken(ctx, c.expNOR.Actor(), account.Token{Name: "nightly", Prefix: "cpcj_abcdef", CreatedAt: now}, "token-hash")
				return err
			}, audit.Record{ActorID: c.expNOR.ID, Actor: c.expNOR.Email, Role: "expert", Action: "create", Entity: "api_token"}, false, true, `token "nightly" (cpcj_abcdef…)`},
			{"revoke token", func() error {
				return db.RevokeToken(ctx, c.admin.Actor(), tk.ID)
			}, audit.Record{ActorID: c.admin.ID, Actor: c.admin.Email, Role: "admin", Action: "revoke", Entity: "api_token"}, true, true, "nightly"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				n := auditCount(t, db)
				if err := tt.change(); err != nil {
					t.Fatal(err)
				}
				if got := auditCount(t, db); got != n+1 {
					t.Fatalf("%d records written, want 1", got-n)
				}
				r := lastRecord(t, db)
				if tt.want.EntityID == "" {
					tt.want.EntityID = r.EntityID // a new id, checked below
				}
				got := audit.Record{ActorID: r.ActorID, Actor: r.Actor, Role: r.Role, Action: r.Action, Entity: r.Entity, EntityID: r.EntityID}
				if got != tt.want {
					t.Errorf("record\n %+v\nwant\n %+v", got, tt.want)
				}
				if r.Seq != n+1 || r.RequestID != "req-42" || r.Address != "192.0.2.7" {
					t.Errorf("seq %d, request %q, address %q", r.Seq, r.RequestID, r.Address)
				}
				if (r.Before != "") != tt.before || (r.After != "") != tt.after {
					t.Errorf("digests before %q after %q, want before %v after %v", r.Before, r.After, tt.before, tt.after)
				}
				if !strings.Contains(r.Summary, tt.summary) {
					t.Errorf("summary %q, want it to contain %q", r.Summary, tt.summary)
				}
				if strings.Contains(r.Summary, "hash") {
					t.Errorf("summary %q mentions a hash", r.Summary)
				}
			})
		}
		if tk.ID == 0 || lastRecord(t, db).EntityID != fmt.Sprint(tk.ID) {
			t.Errorf("revoke record names token %s, want %d", lastRecord(t, db).EntityID, tk.ID)
		}
	})
}

// The digest after one change is the digest before the next change of the
// same record, so that an auditor can tell nothing happened in between.
func TestAuditDigestsLink(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		u := addUser(t, db, account.User{Email: "link@example.org", Name: "Link", Role: access.Secretariat})
		created := lastRecord(t, db)
		stored, err := db.User(t.Context(), root, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if created.After != audit.Digest(stored) {
			t.Errorf("create: after digest is not the digest of the stored account")
		}
		u.Name = "Link Two"
		if _, err := db.UpdateUser(t.Context(), c.admin.Actor(), u); err != nil {
			t.Fatal(err)
		}
		first := lastRecord(t, db)
		u.Locale = "ar"
		if _, err := db.UpdateUser(t.Context(), c.admin.Actor(), u); err != nil {
			t.Fatal(err)
		}
		second := lastRecord(t, db)
		if first.Before != created.After || second.Before != first.After || first.Before == first.After {
			t.Errorf("digests do not link: create→%.8s, update %.8s→%.8s, update %.8s→%.8s",
				created.After, first.Before, first.After, second.Before, second.After)
		}

		// Tokens come with times from the caller's clock, not the store's.
		at := time.Date(2026, 2, 3, 4, 5, 6, 789123456, time.FixedZone("EAT", 3*3600))
		exp := at.Add(time.Hour)
		tk, err := db.CreateToken(t.Context(), c.donor.Actor(), account.Token{Name: "n", Prefix: "p", CreatedAt: at, ExpiresAt: &exp}, "h")
		if err != nil {
			t.Fatal(err)
		}
		made := lastRecord(t, db)
		if err := db.RevokeToken(t.Context(), c.donor.Actor(), tk.ID); err != nil {
			t.Fatal(err)
		}
		if revoked := lastRecord(t, db); revoked.Before != made.After {
			t.Errorf("token digests do not link: create→%.8s, revoke %.8s→", made.After, revoked.Before)
		}
	})
}

func TestAuditFailedChangeWritesNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		failing := []struct {
			name string
			run  func() error
		}{
			{"duplicate e-mail", func() error {
				_, err := db.CreateUser(t.Context(), root, account.User{Email: c.sec.Email, Name: "Dup", Role: access.Admin}, fakeHash)
				return err
			}},
			{"unknown State", func() error {
				_, err := db.CreateUser(t.Context(), root, account.User{Email: "x@example.org", Name: "X", Role: access.Expert, State: "ZZZ"}, fakeHash)
				return err
			}},
			{"forbidden update", func() error {
				_, err := db.UpdateUser(t.Context(), c.sec.Actor(), c.donor)
				return err
			}},
			{"unknown token", func() error { return db.RevokeToken(t.Context(), c.donor.Actor(), 999) }},
			{"unknown account's password", func() error { return db.SetPassword(t.Context(), root, 999, "h") }},
		}
		for _, f := range failing {
			t.Run(f.name, func(t *testing.T) {
				before := lastRecord(t, db)
				if err := f.run(); err == nil {
					t.Fatal("the change succeeded")
				}
				if after := lastRecord(t, db); after != before {
					t.Errorf("a failed change wrote record %d", after.Seq)
				}
				auditCount(t, db)
			})
		}
	})
}

// When the audit record cannot be written, the change it records is not
// made either: both are one transaction.
func TestAuditChangeAndRecordAreOneTransaction(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		head := lastRecord(t, db)
		// A row squatting on the next seq makes the audit insert fail after
		// the account insert succeeded.
		if _, err := db.RawExec(t.Context(), `INSERT INTO audit (seq, at, actor_id, actor, role, action, entity, entity_id,
			before_digest, after_digest, summary, request_id, address, prev_hash, hash)
			VALUES (?, ?, 0, 'x', 'x', 'x', 'x', 'x', '', '', '', '', '', '', '')`, head.Seq+1, db.Now()); err != nil {
			t.Fatal(err)
		}
		_, err := db.CreateUser(t.Context(), root, account.User{Email: "ghost@example.org", Name: "Ghost", Role: access.Admin}, fakeHash)
		if err == nil {
			t.Fatal("the change succeeded without its audit record")
		}
		if _, _, err := db.Credentials(t.Context(), "ghost@example.org"); !fail.Is(err, fail.NotFound) {
			t.Errorf("the account was created without its audit record: %v", err)
		}
		if _, err := db.RawExec(t.Context(), "DELETE FROM audit WHERE seq = ?", head.Seq+1); err != nil {
			t.Fatal(err)
		}
		if n := auditCount(t, db); n != head.Seq {
			t.Errorf("the trail has %d records, want %d", n, head.Seq)
		}
	})
}

func TestAuditRecordsFilter(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		base := auditCount(t, db) // what the migrations recorded
		t0 := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
		now := t0
		db.SetClock(func() time.Time { return now })
		c := newCast(t, db) // base+1 to base+7, all at t0
		now = t0.Add(time.Hour)
		u := c.fpKEN
		u.Name = "Renamed"
		if _, err := db.UpdateUser(t.Context(), c.admin.Actor(), u); err != nil {
			t.Fatal(err)
		}
		seqs := func(offsets ...int64) []int64 {
			var out []int64
			for _, o := range offsets {
				out = append(out, base+o)
			}
			return out
		}
		tests := []struct {
			name string
			by   access.Actor
			f    audit.Filter
			want []int64
			kind fail.Kind
		}{
			{"newest first, limited", root, audit.Filter{Limit: 3}, seqs(8, 7, 6), ""},
			{"entity and id", c.sec.Actor(), audit.Filter{Entity: "account", EntityID: fmt.Sprint(c.fpKEN.ID)}, seqs(8, 3), ""},
			{"actor, any case", root, audit.Filter{Actor: "ADMIN@EXAMPLE"}, seqs(8), ""},
			{"from", root, audit.Filter{From: t0.Add(time.Minute), Entity: "account"}, seqs(8), ""},
			{"to", root, audit.Filter{To: t0.Add(time.Minute), Entity: "account", Limit: 2}, seqs(7, 6), ""},
			{"before", root, audit.Filter{Before: base + 3, Entity: "account"}, seqs(2, 1), ""},
			{"focal point", c.fpKEN.Actor(), audit.Filter{}, nil, fail.Forbidden},
			{"donor", c.donor.Actor(), audit.Filter{}, nil, fail.Forbidden},
			{"public", access.Anonymous, audit.Filter{}, nil, fail.Unauthorized},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rs, err := db.AuditRecords(t.Context(), tt.by, tt.f)
				wantKind(t, err, tt.kind)
				var got []int64
				for _, r := range rs {
					got = append(got, r.Seq)
				}
				if fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("seqs %v, want %v", got, tt.want)
				}
			})
		}
		loads, err := db.AuditRecords(t.Context(), c.sec.Actor(), audit.Filter{Entity: "participant"})
		if err != nil || len(loads) != 1 || loads[0].Action != "load" || loads[0].Actor != "cpcj migrate" {
			t.Errorf("participant records %+v, %v; want the one load", loads, err)
		}
	})
}

func TestVerifyAuditIntact(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// The migrations that load reference data record it.
		base := auditCount(t, db)
		if base < 1 {
			t.Errorf("fresh database: %d records, want the participants' load at least", base)
		}
		c := newCast(t, db)
		u := c.expKEN
		u.Name = "Changed"
		if _, err := db.UpdateUser(t.Context(), c.admin.Actor(), u); err != nil {
			t.Fatal(err)
		}
		if n := auditCount(t, db); n != base+8 {
			t.Errorf("%d records, want %d", n, base+8)
		}
		rs := wholeTrail(t, db)
		for i, r := range rs {
			if r.Seq != int64(i+1) {
				t.Fatalf("record %d has seq %d", i, r.Seq)
			}
			if i > 0 && r.PrevHash != rs[i-1].Hash {
				t.Errorf("record %d does not link to its predecessor", r.Seq)
			}
			if r.Hash != r.ComputeHash() {
				t.Errorf("record %d: stored hash is not its hash", r.Seq)
			}
		}
	})
}

// tamper changes the trail behind the application's back, with raw SQL.
// It gets the trail as it was and the seq of a record in its middle.
type tamper func(t *testing.T, db *store.DB, rs []audit.Record, mid int64)

func sqlTamper(query string, args ...any) tamper {
	return func(t *testing.T, db *store.DB, rs []audit.Record, mid int64) {
		t.Helper()
		bound := make([]any, len(args))
		for i, a := range args {
			bound[i] = a
			if a == midSeq {
				bound[i] = mid
			}
		}
		res, err := db.RawExec(t.Context(), query, bound...)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("%q changed %d rows, want 1", query, n)
		}
	}
}

type placeholder struct{}

// midSeq stands for the middle record's seq in sqlTamper's arguments.
var midSeq = placeholder{}

func TestVerifyAuditDetectsTampering(t *testing.T) {
	t.Parallel()
	// Where the problem is found, from the seqs of the middle and the last
	// record.
	type where func(mid, last int64) int64
	atMid := func(mid, _ int64) int64 { return mid }
	atFirst := func(int64, int64) int64 { return 1 }
	atLast := func(_, last int64) int64 { return last }
	tests := []struct {
		name   string
		tamper tamper
		seq    where  // the record the problem names
		reason string // part of its reason
	}{
		{"summary altered", sqlTamper("UPDATE audit SET summary = 'nothing to see' WHERE seq = ?", midSeq), atMid, "altered"},
		{"actor altered", sqlTamper("UPDATE audit SET actor = 'someone@else.org' WHERE seq = ?", midSeq), atMid, "altered"},
		{"entity id altered", sqlTamper("UPDATE audit SET entity_id = '999' WHERE seq = ?", midSeq), atMid, "altered"},
		{"digest altered", sqlTamper("UPDATE audit SET after_digest = '00' WHERE seq = ?", midSeq), atMid, "altered"},
		{"time altered", func(t *testing.T, db *store.DB, rs []audit.Record, mid int64) {
			sqlTamper("UPDATE audit SET at = ? WHERE seq = ?", rs[mid-1].At.Add(-24*time.Hour), midSeq)(t, db, rs, mid)
		}, atMid, "altered"},
		{"first record altered", sqlTamper("UPDATE audit SET summary = 'x' WHERE seq = 1"), atFirst, "altered"},
		{"altered and rehashed", func(t *testing.T, db *store.DB, rs []audit.Record, mid int64) {
			r := rs[mid-1]
			r.Summary = "nothing to see"
			r.Hash = r.ComputeHash()
			sqlTamper("UPDATE audit SET summary = ?, hash = ? WHERE seq = ?", r.Summary, r.Hash, midSeq)(t, db, rs, mid)
		}, func(mid, _ int64) int64 { return mid + 1 }, "was altered"},
		{"middle record deleted", sqlTamper("DELETE FROM audit WHERE seq = ?", midSeq), atMid, "missing"},
		{"first record deleted", sqlTamper("DELETE FROM audit WHERE seq = 1"), atFirst, "missing"},
		{"last record deleted", sqlTamper("DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)"), atLast, "chain head"},
		{"forged record appended", func(t *testing.T, db *store.DB, rs []audit.Record, mid int64) {
			prev := rs[len(rs)-1]
			r := audit.Record{Seq: prev.Seq + 1, At: prev.At.Add(time.Second), Actor: "intruder@example.org", Role: "admin",
				Action: "update", Entity: "account", EntityID: "1", Summary: "harmless", PrevHash: prev.Hash}
			r.Hash = r.ComputeHash()
			insertRecord(t, db, r)
		}, func(_, last int64) int64 { return last + 1 }, "beyond the chain head"},
		{"head altered", sqlTamper("UPDATE audit_head SET hash = 'forged' WHERE id = 1"), atLast, "chain head"},
		{"two records swapped", func(t *testing.T, db *store.DB, rs []audit.Record, mid int64) {
			sqlTamper("UPDATE audit SET seq = -1 WHERE seq = ?", midSeq)(t, db, rs, mid)
			sqlTamper("UPDATE audit SET seq = ? WHERE seq = ?", midSeq, mid+1)(t, db, rs, mid)
			sqlTamper("UPDATE audit SET seq = ? WHERE seq = -1", mid+1)(t, db, rs, mid)
		}, atMid, "altered"},
	}
	// One database per engine serves every case: the trail is put back as
	// it was after each.
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		newCast(t, db)
		rs := wholeTrail(t, db)
		if len(rs) < 5 {
			t.Fatalf("setup wrote %d records, want 5 or more", len(rs))
		}
		mid, last := rs[len(rs)/2].Seq, rs[len(rs)-1].Seq
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Cleanup(func() { putBack(t, db, rs) })
				tt.tamper(t, db, rs, mid)
				n, p, err := db.VerifyAudit(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if p == nil {
					t.Fatalf("tampering not detected (%d records checked)", n)
				}
				want := tt.seq(mid, last)
				if p.Seq != want || !strings.Contains(p.Reason, tt.reason) {
					t.Errorf("problem %v; want record %d, %q", p, want, tt.reason)
				}
				if !strings.Contains(p.Error(), fmt.Sprintf("audit record %d", want)) {
					t.Errorf("message %q does not name record %d", p.Error(), want)
				}
			})
		}
	})
}

// insertRecord writes an audit record as an intruder would.
func insertRecord(t *testing.T, db *store.DB, r audit.Record) {
	t.Helper()
	_, err := db.RawExec(t.Context(), `INSERT INTO audit (seq, at, actor_id, actor, role, action, entity, entity_id,
		before_digest, after_digest, summary, request_id, address, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, r.At, r.ActorID, r.Actor, r.Role, r.Action, r.Entity, r.EntityID,
		r.Before, r.After, r.Summary, r.RequestID, r.Address, r.PrevHash, r.Hash)
	if err != nil {
		t.Fatal(err)
	}
}

// putBack restores the trail and its head to rs.
func putBack(t *testing.T, db *store.DB, rs []audit.Record) {
	t.Helper()
	ctx := context.Background() // t.Context is done in cleanups
	if _, err := db.RawExec(ctx, "DELETE FROM audit"); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		_, err := db.RawExec(ctx, `INSERT INTO audit (seq, at, actor_id, actor, role, action, entity, entity_id,
			before_digest, after_digest, summary, request_id, address, prev_hash, hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Seq, r.At, r.ActorID, r.Actor, r.Role, r.Action, r.Entity, r.EntityID,
			r.Before, r.After, r.Summary, r.RequestID, r.Address, r.PrevHash, r.Hash)
		if err != nil {
			t.Fatal(err)
		}
	}
	end := rs[len(rs)-1]
	if _, err := db.RawExec(ctx, "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", end.Seq, end.Hash); err != nil {
		t.Fatal(err)
	}
	if _, p, err := db.VerifyAudit(ctx); p != nil || err != nil {
		t.Fatalf("trail not put back: %v, %v", p, err)
	}
}

// Many writers at once, on one database handle and on two (as two servers
// would be), leave one unbroken chain without gaps.
func TestAuditConcurrentWriters(t *testing.T) {
	t.Parallel()
	const writers = 20
	check := func(t *testing.T, db *store.DB, want int64) {
		t.Helper()
		n, p, err := db.VerifyAudit(t.Context())
		if err != nil || p != nil {
			t.Fatalf("VerifyAudit: %v, %v", p, err)
		}
		if n != want {
			t.Errorf("%d records, want %d", n, want)
		}
		for i, r := range wholeTrail(t, db) {
			if r.Seq != int64(i+1) {
				t.Fatalf("seq %d at position %d", r.Seq, i+1)
			}
		}
	}
	run := func(t *testing.T, dbs ...*store.DB) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for i := range writers {
			db := dbs[i%len(dbs)]
			wg.Go(func() {
				_, err := db.CreateUser(context.Background(), root, account.User{Email: fmt.Sprintf("w%d@example.org", i), Name: "W", Role: access.Secretariat}, fakeHash)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	}
	t.Run("one handle", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db *store.DB) {
			base := auditCount(t, db)
			run(t, db)
			check(t, db, base+writers)
		})
	})
	t.Run("two handles", func(t *testing.T) {
		for _, e := range storetest.Engines() {
			t.Run(string(e), func(t *testing.T) {
				url := storetest.URL(t, e)
				var dbs []*store.DB
				for range 2 {
					db, err := store.Open(t.Context(), url, store.Options{MaxOpenConns: 4})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { db.Close() })
					dbs = append(dbs, db)
				}
				if _, err := dbs[0].Migrate(t.Context()); err != nil {
					t.Fatal(err)
				}
				base := auditCount(t, dbs[1])
				run(t, dbs...)
				check(t, dbs[1], base+writers)
			})
		}
	})
}
