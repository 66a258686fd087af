package store_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// root is the command line's actor, which may create anyone.
var root = access.System("store test")

// fakeHash stands for a password hash: the store never looks inside one,
// and real hashes would cost Argon2id time for nothing.
const fakeHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$a2V5"

// addUser creates an account as the command line does.
func addUser(t *testing.T, db *store.DB, u account.User) account.User {
	t.Helper()
	if u.Name == "" {
		u.Name = "Someone " + u.Email
	}
	got, err := db.CreateUser(t.Context(), root, u, fakeHash)
	if err != nil {
		t.Fatalf("create %s: %v", u.Email, err)
	}
	return got
}

// cast is one account of each kind, in two States.
type cast struct {
	admin, sec, fpKEN, expKEN, fpNOR, expNOR, donor account.User
}

func (c cast) all() []account.User {
	return []account.User{c.admin, c.sec, c.fpKEN, c.expKEN, c.fpNOR, c.expNOR, c.donor}
}

func newCast(t *testing.T, db *store.DB) cast {
	t.Helper()
	return cast{
		admin:  addUser(t, db, account.User{Email: "admin@example.org", Role: access.Admin}),
		sec:    addUser(t, db, account.User{Email: "sec@example.org", Role: access.Secretariat}),
		fpKEN:  addUser(t, db, account.User{Email: "fp.ken@example.org", Role: access.FocalPoint, State: "KEN"}),
		expKEN: addUser(t, db, account.User{Email: "exp.ken@example.org", Role: access.Expert, State: "KEN"}),
		fpNOR:  addUser(t, db, account.User{Email: "fp.nor@example.org", Role: access.FocalPoint, State: "NOR"}),
		expNOR: addUser(t, db, account.User{Email: "exp.nor@example.org", Role: access.Expert, State: "NOR"}),
		donor:  addUser(t, db, account.User{Email: "donor@example.org", Role: access.Donor, Contributor: "NORAD"}),
	}
}

// wantKind fails the test unless err is of kind k; k "" wants no error.
func wantKind(t *testing.T, err error, k fail.Kind) {
	t.Helper()
	switch {
	case k == "" && err != nil:
		t.Fatalf("err = %v, want none", err)
	case k != "" && !fail.Is(err, k):
		t.Fatalf("err = %v (%s), want %s", err, fail.KindOf(err), k)
	}
}

func emails(us []account.User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Email)
	}
	return out
}

func TestCreateUserRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		at := time.Date(2026, 3, 1, 9, 30, 15, 123456789, time.UTC)
		db.SetClock(func() time.Time { return at })
		in := account.User{Email: "a.b@example.org", Name: "Ama Bé", Role: access.Expert, State: "KEN", Locale: "fr", Sample: true}
		created := addUser(t, db, in)
		if created.ID == 0 {
			t.Fatal("no id")
		}
		got, err := db.User(t.Context(), root, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := in
		want.ID = created.ID
		// Both engines keep microseconds.
		want.CreatedAt, want.UpdatedAt = at.Truncate(time.Microsecond), at.Truncate(time.Microsecond)
		if got != want {
			t.Errorf("read back\n %+v\nwant\n %+v", got, want)
		}
		u, hash, err := db.Credentials(t.Context(), "a.b@example.org")
		if err != nil || hash != fakeHash || u.ID != created.ID {
			t.Errorf("Credentials = %d, %q, %v", u.ID, hash, err)
		}
		_, _, err = db.Credentials(t.Context(), "nobody@example.org")
		wantKind(t, err, fail.NotFound)
		n, err := db.CountUsers(t.Context())
		if err != nil || n != 1 {
			t.Errorf("CountUsers = %d, %v; want 1", n, err)
		}
	})
}

func TestCreateUserRefused(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		tests := []struct {
			name  string
			by    access.Actor
			u     account.User
			kind  fail.Kind
			field string
		}{
			{"duplicate e-mail", root, account.User{Email: "sec@example.org", Name: "X", Role: access.Admin}, fail.Conflict, "email"},
			{"unknown State", root, account.User{Email: "x@example.org", Name: "X", Role: access.Expert, State: "XXX"}, fail.Invalid, "state"},
			{"secretariat", c.sec.Actor(), account.User{Email: "y@example.org", Name: "Y", Role: access.Admin}, fail.Forbidden, ""},
			{"focal point for own State", c.fpKEN.Actor(), account.User{Email: "z@example.org", Name: "Z", Role: access.Expert, State: "KEN"}, fail.Forbidden, ""},
			{"public", access.Anonymous, account.User{Email: "w@example.org", Name: "W", Role: access.Admin}, fail.Unauthorized, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := db.CreateUser(t.Context(), tt.by, tt.u, fakeHash)
				wantKind(t, err, tt.kind)
				if e := fail.As(err); e.Field != tt.field {
					t.Errorf("field = %q, want %q (%v)", e.Field, tt.field, err)
				}
			})
		}
		n, err := db.CountUsers(t.Context())
		if err != nil || n != len(c.all()) {
			t.Errorf("%d accounts after refusals, want %d (%v)", n, len(c.all()), err)
		}
	})
}

func TestUsersScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		everyone := emails(c.all())
		slices.Sort(everyone)
		tests := []struct {
			name string
			by   access.Actor
			want []string
			kind fail.Kind
		}{
			{"admin", c.admin.Actor(), everyone, ""},
			{"command line", root, everyone, ""},
			{"secretariat", c.sec.Actor(), everyone, ""},
			{"focal point sees own State", c.fpKEN.Actor(), []string{"exp.ken@example.org", "fp.ken@example.org"}, ""},
			{"other focal point", c.fpNOR.Actor(), []string{"exp.nor@example.org", "fp.nor@example.org"}, ""},
			{"expert", c.expKEN.Actor(), nil, fail.Forbidden},
			{"donor", c.donor.Actor(), nil, fail.Forbidden},
			{"public", access.Anonymous, nil, fail.Unauthorized},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, total, err := db.Users(t.Context(), tt.by, account.UserFilter{})
				wantKind(t, err, tt.kind)
				if !slices.Equal(emails(got), tt.want) || total != len(tt.want) {
					t.Errorf("got %v (total %d), want %v", emails(got), total, tt.want)
				}
			})
		}
	})
}

func TestUserScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		tests := []struct {
			name   string
			by     access.Actor
			target account.User
			kind   fail.Kind
		}{
			{"admin reads anyone", c.admin.Actor(), c.expNOR, ""},
			{"secretariat reads anyone", c.sec.Actor(), c.donor, ""},
			{"focal point reads own State", c.fpKEN.Actor(), c.expKEN, ""},
			// Not Forbidden: the account's existence must not leak.
			{"focal point, other State", c.fpKEN.Actor(), c.expNOR, fail.NotFound},
			{"focal point, programme-wide account", c.fpKEN.Actor(), c.admin, fail.NotFound},
			{"expert reads self", c.expKEN.Actor(), c.expKEN, ""},
			{"expert, own State's focal point", c.expKEN.Actor(), c.fpKEN, fail.NotFound},
			{"donor reads self", c.donor.Actor(), c.donor, ""},
			{"donor, anyone else", c.donor.Actor(), c.sec, fail.NotFound},
			{"public", access.Anonymous, c.admin, fail.NotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := db.User(t.Context(), tt.by, tt.target.ID)
				wantKind(t, err, tt.kind)
				if tt.kind == "" && got.Email != tt.target.Email {
					t.Errorf("got %s, want %s", got.Email, tt.target.Email)
				}
			})
		}
		_, err := db.User(t.Context(), c.admin.Actor(), 999999)
		wantKind(t, err, fail.NotFound)
	})
}

func TestUsersFilter(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		addUser(t, db, account.User{Email: "zed@example.org", Name: "Zed MÜLLER", Role: access.Expert, State: "KEN"})
		tests := []struct {
			name  string
			by    access.Actor
			f     account.UserFilter
			want  []string
			total int
		}{
			{"role", root, account.UserFilter{Role: access.FocalPoint}, []string{"fp.ken@example.org", "fp.nor@example.org"}, 2},
			{"state", root, account.UserFilter{State: "NOR"}, []string{"exp.nor@example.org", "fp.nor@example.org"}, 2},
			{"role and state", root, account.UserFilter{Role: access.Expert, State: "KEN"}, []string{"exp.ken@example.org", "zed@example.org"}, 2},
			{"query on e-mail", root, account.UserFilter{Query: "DONOR"}, []string{"donor@example.org"}, 1},
			{"query on name", root, account.UserFilter{Query: "zed m"}, []string{"zed@example.org"}, 1},
			{"page", root, account.UserFilter{Limit: 2, Offset: 1}, []string{"donor@example.org", "exp.ken@example.org"}, 8},
			{"filter cannot widen a focal point's scope", c.fpKEN.Actor(), account.UserFilter{State: "NOR"}, nil, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, total, err := db.Users(t.Context(), tt.by, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(emails(got), tt.want) || total != tt.total {
					t.Errorf("got %v (total %d), want %v (total %d)", emails(got), total, tt.want, tt.total)
				}
			})
		}
	})
}

func TestUpdateUser(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		moved := c.expKEN
		moved.Name, moved.State, moved.Locale = "Moved Expert", "NOR", "es"
		tests := []struct {
			name string
			by   access.Actor
			u    account.User
			kind fail.Kind
		}{
			{"secretariat", c.sec.Actor(), moved, fail.Forbidden},
			{"focal point, own State", c.fpKEN.Actor(), moved, fail.Forbidden},
			{"focal point, other State", c.fpNOR.Actor(), c.expKEN, fail.NotFound},
			{"expert on self", c.expKEN.Actor(), moved, fail.Forbidden},
			{"donor", c.donor.Actor(), c.donor, fail.Forbidden},
			{"public", access.Anonymous, moved, fail.NotFound},
			{"admin, unknown State", c.admin.Actor(), account.User{ID: c.expKEN.ID, Name: "X", Role: access.Expert, State: "XXX"}, fail.Invalid},
			{"admin, unknown account", c.admin.Actor(), account.User{ID: 424242, Name: "X", Role: access.Admin}, fail.NotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := db.UpdateUser(t.Context(), tt.by, tt.u)
				wantKind(t, err, tt.kind)
			})
		}
		got, err := db.User(t.Context(), root, c.expKEN.ID)
		if err != nil || got != c.expKEN {
			t.Fatalf("refused updates changed the account: %+v, %v", got, err)
		}

		later := time.Now().UTC().Add(time.Hour)
		db.SetClock(func() time.Time { return later })
		moved.Email = "ignored@example.org" // the address is not updatable
		out, err := db.UpdateUser(t.Context(), c.admin.Actor(), moved)
		if err != nil {
			t.Fatal(err)
		}
		got, err = db.User(t.Context(), root, c.expKEN.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got != out || got.Email != c.expKEN.Email || got.State != "NOR" || got.Name != "Moved Expert" || got.Locale != "es" ||
			!got.UpdatedAt.Equal(later.Truncate(time.Microsecond)) || !got.CreatedAt.Equal(c.expKEN.CreatedAt) {
			t.Errorf("after update %+v (returned %+v)", got, out)
		}
		// The moved expert is now out of the Kenyan focal point's sight.
		_, err = db.User(t.Context(), c.fpKEN.Actor(), c.expKEN.ID)
		wantKind(t, err, fail.NotFound)
	})
}

func TestDisablingEndsSessions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		now := db.Now()
		for _, u := range []account.User{c.expKEN, c.fpKEN} {
			s := account.Session{Hash: "h-" + u.Email, UserID: u.ID, CSRF: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour), SeenAt: now}
			if err := db.CreateSession(t.Context(), u, s); err != nil {
				t.Fatal(err)
			}
		}
		off := c.expKEN
		off.Disabled = true
		if _, err := db.UpdateUser(t.Context(), c.admin.Actor(), off); err != nil {
			t.Fatal(err)
		}
		idle := now.Add(-time.Hour)
		_, _, err := db.SessionUser(t.Context(), "h-"+c.expKEN.Email, idle)
		wantKind(t, err, fail.Unauthorized)
		var n int
		if err := db.RawQueryRow(t.Context(), "SELECT COUNT(*) FROM session WHERE account_id = ?", c.expKEN.ID).Scan(&n); err != nil || n != 0 {
			t.Errorf("%d sessions left for the disabled account (%v)", n, err)
		}
		if _, _, err := db.SessionUser(t.Context(), "h-"+c.fpKEN.Email, idle); err != nil {
			t.Errorf("another account's session ended too: %v", err)
		}
	})
}

func TestSetPassword(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		tests := []struct {
			name string
			by   access.Actor
			id   int64
			kind fail.Kind
		}{
			{"own", c.expKEN.Actor(), c.expKEN.ID, ""},
			{"admin sets anyone's", c.admin.Actor(), c.donor.ID, ""},
			{"secretariat, someone else's", c.sec.Actor(), c.donor.ID, fail.Forbidden},
			{"focal point, own State's expert", c.fpKEN.Actor(), c.expKEN.ID, fail.Forbidden},
			{"public", access.Anonymous, c.donor.ID, fail.Unauthorized},
			{"admin, unknown account", c.admin.Actor(), 424242, fail.NotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				hash := "new-hash-" + tt.name
				err := db.SetPassword(t.Context(), tt.by, tt.id, hash)
				wantKind(t, err, tt.kind)
				if tt.kind != "" || tt.id == 424242 {
					return
				}
				u, _ := db.User(t.Context(), root, tt.id)
				if _, got, _ := db.Credentials(t.Context(), u.Email); got != hash {
					t.Errorf("hash = %q, want %q", got, hash)
				}
			})
		}
		_, got, _ := db.Credentials(t.Context(), c.sec.Email)
		if got != fakeHash {
			t.Errorf("a refused change altered the hash: %q", got)
		}
	})
}

func TestSetLocale(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		if err := db.SetLocale(t.Context(), c.donor.Actor(), "ru"); err != nil {
			t.Fatal(err)
		}
		u, _ := db.User(t.Context(), root, c.donor.ID)
		if u.Locale != "ru" {
			t.Errorf("locale = %q, want ru", u.Locale)
		}
		wantKind(t, db.SetLocale(t.Context(), access.Anonymous, "ru"), fail.Unauthorized)
	})
}

func TestSessionLifetime(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		t0 := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
		now := t0
		db.SetClock(func() time.Time { return now })
		s := account.Session{Hash: "sess", UserID: c.fpKEN.ID, CSRF: "csrf-token", CreatedAt: t0, ExpiresAt: t0.Add(12 * time.Hour), SeenAt: t0, Address: "192.0.2.1", UserAgent: "test"}
		if err := db.CreateSession(t.Context(), c.fpKEN, s); err != nil {
			t.Fatal(err)
		}
		u, got, err := db.SessionUser(t.Context(), "sess", t0.Add(-time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if u.ID != c.fpKEN.ID || got.CSRF != "csrf-token" || got.UserID != c.fpKEN.ID || !got.ExpiresAt.Equal(s.ExpiresAt) || !got.SeenAt.Equal(t0) {
			t.Errorf("SessionUser = %+v, %+v", u, got)
		}
		_, _, err = db.SessionUser(t.Context(), "other", t0.Add(-time.Minute))
		wantKind(t, err, fail.Unauthorized)

		// Idle: last seen at t0, and the caller wants it seen after t0.
		_, _, err = db.SessionUser(t.Context(), "sess", t0)
		wantKind(t, err, fail.Unauthorized)
		if err := db.TouchSession(t.Context(), "sess", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.SessionUser(t.Context(), "sess", t0); err != nil {
			t.Errorf("touched session: %v", err)
		}

		// Expired, however recently seen.
		now = t0.Add(12 * time.Hour)
		_, _, err = db.SessionUser(t.Context(), "sess", t0)
		wantKind(t, err, fail.Unauthorized)
	})
}

func TestDeleteSessions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		now := db.Now()
		open := func(u account.User, hash string, seen time.Time, life time.Duration) {
			t.Helper()
			s := account.Session{Hash: hash, UserID: u.ID, CSRF: "c", CreatedAt: seen, ExpiresAt: seen.Add(life), SeenAt: seen}
			if err := db.CreateSession(t.Context(), u, s); err != nil {
				t.Fatal(err)
			}
		}
		count := func(where string, args ...any) int {
			t.Helper()
			var n int
			if err := db.RawQueryRow(t.Context(), "SELECT COUNT(*) FROM session WHERE "+where, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		open(c.expKEN, "a1", now, time.Hour)
		open(c.expKEN, "a2", now, time.Hour)
		open(c.expKEN, "a3", now, time.Hour)
		open(c.donor, "b1", now, time.Hour)

		// Someone else's session is not theirs to end.
		if err := db.DeleteSession(t.Context(), c.donor.Actor(), "a1"); err != nil {
			t.Fatal(err)
		}
		if count("hash = ?", "a1") != 1 {
			t.Fatal("a user ended another's session")
		}
		if err := db.DeleteSession(t.Context(), c.expKEN.Actor(), "a1"); err != nil {
			t.Fatal(err)
		}
		if count("hash = ?", "a1") != 0 {
			t.Error("sign-out left the session")
		}
		if err := db.DeleteOtherSessions(t.Context(), c.expKEN.ID, "a2"); err != nil {
			t.Fatal(err)
		}
		if count("account_id = ?", c.expKEN.ID) != 1 || count("hash = ?", "a2") != 1 || count("hash = ?", "b1") != 1 {
			t.Error("DeleteOtherSessions did not keep exactly the current session and other users' sessions")
		}

		// Clean-up takes expired and idle sessions, and stale counters.
		open(c.sec, "expired", now.Add(-2*time.Hour), time.Hour)
		open(c.sec, "idle", now.Add(-3*time.Hour), 12*time.Hour)
		open(c.sec, "fresh", now.Add(-time.Minute), 12*time.Hour)
		if _, _, err := db.AddFailure(t.Context(), "old", now.Add(-time.Hour), now.Add(-2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.AddFailure(t.Context(), "new", now, now.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		n, err := db.DeleteExpiredSessions(t.Context(), now, now.Add(-2*time.Hour), now.Add(-15*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 || count("account_id = ?", c.sec.ID) != 1 || count("hash = ?", "fresh") != 1 {
			t.Errorf("removed %d sessions, want the expired and the idle one", n)
		}
		var left []string
		for _, k := range []string{"old", "new"} {
			if n, _, _ := db.Failures(t.Context(), k, time.Time{}); n > 0 {
				left = append(left, k)
			}
		}
		if !slices.Equal(left, []string{"new"}) {
			t.Errorf("counters left: %v, want [new]", left)
		}
	})
}

func TestTokens(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
		db.SetClock(func() time.Time { return t0 })
		exp := t0.Add(24 * time.Hour)
		secret := "cpcj_the-secret-itself"
		tk, err := db.CreateToken(t.Context(), c.expKEN.Actor(), account.Token{Name: "upload", Prefix: "cpcj_the-se", CreatedAt: t0, ExpiresAt: &exp}, account.HashSecret(secret))
		if err != nil {
			t.Fatal(err)
		}
		if tk.ID == 0 || tk.UserID != c.expKEN.ID {
			t.Fatalf("token %+v", tk)
		}
		// Only the hash is kept: no column holds the secret.
		var hash, row string
		err = db.RawQueryRow(t.Context(), "SELECT hash, name || prefix || hash FROM api_token WHERE id = ?", tk.ID).Scan(&hash, &row)
		if err != nil || hash != account.HashSecret(secret) || strings.Contains(row, secret) {
			t.Errorf("stored %q, %q (%v)", hash, row, err)
		}
		_, err = db.CreateToken(t.Context(), access.Anonymous, account.Token{Name: "x", CreatedAt: t0}, "h")
		wantKind(t, err, fail.Unauthorized)

		u, err := db.TokenUser(t.Context(), account.HashSecret(secret), t0.Add(time.Hour))
		if err != nil || u.ID != c.expKEN.ID {
			t.Fatalf("TokenUser = %+v, %v", u, err)
		}
		_, err = db.TokenUser(t.Context(), account.HashSecret("cpcj_unknown"), t0)
		wantKind(t, err, fail.NotFound)
		_, err = db.TokenUser(t.Context(), account.HashSecret(secret), exp)
		wantKind(t, err, fail.NotFound)

		// Last use is written at most once a minute.
		lastUsed := func() time.Time {
			t.Helper()
			list, err := db.Tokens(t.Context(), c.expKEN.Actor(), c.expKEN.ID)
			if err != nil || len(list) != 1 || list[0].LastUsedAt == nil {
				t.Fatalf("Tokens = %+v, %v", list, err)
			}
			return *list[0].LastUsedAt
		}
		if got := lastUsed(); !got.Equal(t0.Add(time.Hour)) {
			t.Errorf("last used %v, want %v", got, t0.Add(time.Hour))
		}
		db.TokenUser(t.Context(), account.HashSecret(secret), t0.Add(time.Hour+30*time.Second))
		if got := lastUsed(); !got.Equal(t0.Add(time.Hour)) {
			t.Errorf("last used moved to %v within the minute", got)
		}
		db.TokenUser(t.Context(), account.HashSecret(secret), t0.Add(time.Hour+2*time.Minute))
		if got := lastUsed(); !got.Equal(t0.Add(time.Hour + 2*time.Minute)) {
			t.Errorf("last used %v after two minutes", got)
		}

		// Listing: own tokens, or anyone's for an admin.
		for _, tt := range []struct {
			name string
			by   access.Actor
			kind fail.Kind
		}{{"owner", c.expKEN.Actor(), ""}, {"admin", c.admin.Actor(), ""}, {"focal point", c.fpKEN.Actor(), fail.Forbidden}, {"secretariat", c.sec.Actor(), fail.Forbidden}} {
			list, err := db.Tokens(t.Context(), tt.by, c.expKEN.ID)
			wantKind(t, err, tt.kind)
			if tt.kind == "" && (len(list) != 1 || list[0].Name != "upload") {
				t.Errorf("%s: Tokens = %+v", tt.name, list)
			}
		}

		// Revoking: someone else's token is not found; the owner's works, once.
		wantKind(t, db.RevokeToken(t.Context(), c.fpKEN.Actor(), tk.ID), fail.NotFound)
		wantKind(t, db.RevokeToken(t.Context(), c.expKEN.Actor(), 424242), fail.NotFound)
		before := auditCount(t, db)
		if err := db.RevokeToken(t.Context(), c.expKEN.Actor(), tk.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.RevokeToken(t.Context(), c.expKEN.Actor(), tk.ID); err != nil {
			t.Fatal(err)
		}
		if n := auditCount(t, db) - before; n != 1 {
			t.Errorf("revoking twice wrote %d audit records, want 1", n)
		}
		_, err = db.TokenUser(t.Context(), account.HashSecret(secret), t0.Add(2*time.Hour))
		wantKind(t, err, fail.NotFound)

		// An admin may revoke anyone's; a disabled owner's token stops working.
		other, err := db.CreateToken(t.Context(), c.donor.Actor(), account.Token{Name: "n", Prefix: "p", CreatedAt: t0}, account.HashSecret("cpcj_donor"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.TokenUser(t.Context(), account.HashSecret("cpcj_donor"), t0); err != nil {
			t.Fatalf("token without expiry: %v", err)
		}
		off := c.donor
		off.Disabled = true
		if _, err := db.UpdateUser(t.Context(), c.admin.Actor(), off); err != nil {
			t.Fatal(err)
		}
		_, err = db.TokenUser(t.Context(), account.HashSecret("cpcj_donor"), t0)
		wantKind(t, err, fail.NotFound)
		if err := db.RevokeToken(t.Context(), c.admin.Actor(), other.ID); err != nil {
			t.Errorf("admin revoking a donor's token: %v", err)
		}
	})
}

func TestFailures(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
		window := 15 * time.Minute
		add := func(at time.Time) {
			t.Helper()
			if _, _, err := db.AddFailure(t.Context(), "k", at, at.Add(-window)); err != nil {
				t.Fatal(err)
			}
		}
		check := func(at time.Time, want int, wantStart time.Time) {
			t.Helper()
			n, start, err := db.Failures(t.Context(), "k", at.Add(-window))
			if err != nil || n != want || !start.Equal(wantStart) {
				t.Errorf("at %s: %d since %v (%v), want %d since %v", at.Format(time.Kitchen), n, start, err, want, wantStart)
			}
		}
		check(t0, 0, time.Time{})
		add(t0)
		add(t0.Add(time.Minute))
		add(t0.Add(2 * time.Minute))
		check(t0.Add(3*time.Minute), 3, t0)
		// The window is counted from its first failure, not slid along.
		check(t0.Add(window), 0, time.Time{})
		add(t0.Add(window + time.Second))
		check(t0.Add(window+time.Second), 1, t0.Add(window+time.Second))
		if n, _, _ := db.Failures(t.Context(), "other", t0.Add(-time.Hour)); n != 0 {
			t.Errorf("another key counts %d", n)
		}
		if err := db.ClearFailures(t.Context(), "k"); err != nil {
			t.Fatal(err)
		}
		check(t0.Add(window+time.Second), 0, time.Time{})
	})
}

// auditCount returns the number of records in the trail.
func auditCount(t *testing.T, db *store.DB) int64 {
	t.Helper()
	n, p, err := db.VerifyAudit(t.Context())
	if err != nil || p != nil {
		t.Fatalf("VerifyAudit: %v, %v", p, err)
	}
	return n
}
