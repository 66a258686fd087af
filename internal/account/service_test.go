package account_test

import (
	"bytes"
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
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

var root = access.System("account test")

// notes is a fake Notifier that remembers what it was told.
type notes struct {
	mu       sync.Mutex
	subjects map[int64][]string
	err      error // returned by Notify, when set
}

func (n *notes) Notify(_ context.Context, userID int64, subject, _, _ string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.subjects == nil {
		n.subjects = map[int64][]string{}
	}
	n.subjects[userID] = append(n.subjects[userID], subject)
	return n.err
}

func (n *notes) of(userID int64) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Join(n.subjects[userID], "; ")
}

// tokenSpy is the real store, remembering the hash it was given for a token.
type tokenSpy struct {
	*store.DB
	hash string
}

func (s *tokenSpy) CreateToken(ctx context.Context, by access.Actor, tk account.Token, hash string) (account.Token, error) {
	s.hash = hash
	return s.DB.CreateToken(ctx, by, tk, hash)
}

// fixture is a Service over a real database, with one clock for both.
type fixture struct {
	svc   *account.Service
	db    *store.DB
	spy   *tokenSpy
	notes *notes
	log   *bytes.Buffer
	now   time.Time
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	f := &fixture{db: db, spy: &tokenSpy{DB: db}, notes: &notes{}, log: &bytes.Buffer{},
		now: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	f.svc = account.NewService(f.spy, f.notes, slog.New(slog.NewTextHandler(f.log, nil)))
	f.svc.Now = func() time.Time { return f.now }
	db.SetClock(f.svc.Now)
	return f
}

func (f *fixture) advance(d time.Duration) { f.now = f.now.Add(d) }

const pw = "a long enough password"

// user creates an account with the password pw.
func (f *fixture) user(t *testing.T, email string, role access.Role, state string) account.User {
	t.Helper()
	u, err := f.svc.CreateUser(t.Context(), root, account.User{Email: email, Name: "N " + email, Role: role, State: state}, pw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// signIn signs in from a fixed address and returns the session token.
func (f *fixture) signIn(t *testing.T, email, password string) string {
	t.Helper()
	_, tok, err := f.svc.SignIn(t.Context(), email, password, "192.0.2.1", "test")
	if err != nil {
		t.Fatalf("sign in %s: %v", email, err)
	}
	return tok
}

func wantKind(t *testing.T, err error, k fail.Kind) *fail.Error {
	t.Helper()
	if !fail.Is(err, k) {
		t.Fatalf("err = %v (%s), want %s", err, fail.KindOf(err), k)
	}
	return fail.As(err)
}

func TestCreateUser(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		u, err := f.svc.CreateUser(t.Context(), root, account.User{Email: " Ama@Example.ORG ", Name: " Ama ", Role: access.FocalPoint, State: "ken"}, pw)
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "ama@example.org" || u.Name != "Ama" || u.State != "KEN" {
			t.Errorf("created %+v, want normalized fields", u)
		}
		if _, hash, _ := db.Credentials(t.Context(), u.Email); !strings.HasPrefix(hash, "$argon2id$") {
			t.Errorf("stored hash %q", hash)
		} else if ok, _ := account.VerifyPassword(pw, hash); !ok {
			t.Error("the stored hash does not verify the password")
		}
		if got := f.notes.of(u.ID); got != "Your cpcj account was created" {
			t.Errorf("notified %q", got)
		}
		fp := u.Actor()
		tests := []struct {
			name  string
			by    access.Actor
			u     account.User
			pw    string
			kind  fail.Kind
			field string
		}{
			{"public", access.Anonymous, account.User{Email: "b@example.org", Name: "B", Role: access.Admin}, pw, fail.Unauthorized, ""},
			{"focal point", fp, account.User{Email: "b@example.org", Name: "B", Role: access.Expert, State: "KEN"}, pw, fail.Forbidden, ""},
			{"short password", root, account.User{Email: "b@example.org", Name: "B", Role: access.Admin}, "short", fail.Invalid, "password"},
			{"password is the e-mail", root, account.User{Email: "bee.bee@example.org", Name: "B", Role: access.Admin}, "Bee.Bee@example.org", fail.Invalid, "password"},
			{"expert without a State", root, account.User{Email: "b@example.org", Name: "B", Role: access.Expert}, pw, fail.Invalid, "state"},
			{"role as typed", root, account.User{Email: "b@example.org", Name: "B", Role: "focal-point"}, pw, fail.Invalid, "role"},
			{"unknown State", root, account.User{Email: "b@example.org", Name: "B", Role: access.Expert, State: "XYZ"}, pw, fail.Invalid, "state"},
			{"existing e-mail", root, account.User{Email: "AMA@example.org", Name: "B", Role: access.Admin}, pw, fail.Conflict, "email"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := f.svc.CreateUser(t.Context(), tt.by, tt.u, tt.pw)
				if e := wantKind(t, err, tt.kind); e.Field != tt.field {
					t.Errorf("field %q, want %q", e.Field, tt.field)
				}
			})
		}
		if n, _ := db.CountUsers(t.Context()); n != 1 {
			t.Errorf("%d accounts, want 1", n)
		}
	})
}

// A notification that cannot be written does not undo the change.
func TestNotifyFailureIsLogged(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.notes.err = errors.New("notification table on fire")
		u := f.user(t, "a@example.org", access.Admin, "")
		if _, err := db.User(t.Context(), root, u.ID); err != nil {
			t.Errorf("the account is gone: %v", err)
		}
		if !strings.Contains(f.log.String(), "notification table on fire") {
			t.Errorf("log %q does not hold the error", f.log)
		}
	})
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		u := f.user(t, "fp@example.org", access.FocalPoint, "KEN")
		ctx := audit.WithMeta(t.Context(), audit.Meta{Address: "192.0.2.1"})
		got, tok, err := f.svc.SignIn(ctx, "  FP@Example.org ", pw, "192.0.2.1", strings.Repeat("agent ", 100))
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != u.ID || len(tok) != 43 {
			t.Errorf("SignIn = %+v, %q", got, tok)
		}
		a, err := f.svc.FromSession(t.Context(), tok)
		if err != nil {
			t.Fatal(err)
		}
		if a.UserID != u.ID || a.Email != u.Email || a.Role != access.FocalPoint || a.State != "KEN" || len(a.SessionCSRF) < 30 {
			t.Errorf("actor %+v", a)
		}
		rs, err := db.AuditRecords(t.Context(), root, audit.Filter{Limit: 1})
		if err != nil || rs[0].Action != "sign_in" || rs[0].Actor != u.Email {
			t.Errorf("last audit record %+v, %v; want the sign-in", rs, err)
		}

		// Wrong password and unknown e-mail get the very same answer.
		_, _, wrong := f.svc.SignIn(t.Context(), u.Email, "not the password", "192.0.2.2", "")
		_, _, unknown := f.svc.SignIn(t.Context(), "nobody@example.org", pw, "192.0.2.2", "")
		_, _, huge := f.svc.SignIn(t.Context(), u.Email, strings.Repeat("p", 10000), "192.0.2.2", "")
		_, _, empty := f.svc.SignIn(t.Context(), u.Email, "", "192.0.2.2", "")
		for _, err := range []error{wrong, unknown, huge, empty} {
			if e := wantKind(t, err, fail.Unauthorized); e.Message != fail.As(wrong).Message {
				t.Errorf("message %q differs from %q", e.Message, fail.As(wrong).Message)
			}
		}
		if strings.Contains(fail.As(unknown).Message, "nobody") {
			t.Errorf("message %q says too much", fail.As(wrong).Message)
		}
	})
}

func TestSignInAccountLimit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		u := f.user(t, "fp@example.org", access.FocalPoint, "KEN")
		f.user(t, "other@example.org", access.Secretariat, "")
		t0 := f.now
		for i := range account.MaxAccountFailure {
			// Each attempt from another address: the limit is the account's.
			_, _, err := f.svc.SignIn(t.Context(), u.Email, "wrong password", fmt.Sprint("192.0.2.", i), "")
			wantKind(t, err, fail.Unauthorized)
		}
		_, _, err := f.svc.SignIn(t.Context(), u.Email, pw, "198.51.100.1", "")
		e := wantKind(t, err, fail.TooMany)
		if e.RetryAfter != 900 || !strings.Contains(e.Message, "15 minutes") || !strings.Contains(e.Message, "this account") {
			t.Errorf("refusal %+v", e)
		}
		// Any spelling of the address is the same account.
		_, _, err = f.svc.SignIn(t.Context(), " FP@EXAMPLE.ORG", pw, "198.51.100.1", "")
		wantKind(t, err, fail.TooMany)
		// Another account is not held back.
		f.signIn(t, "other@example.org", pw)

		f.now = t0.Add(14*time.Minute + 30*time.Second)
		_, _, err = f.svc.SignIn(t.Context(), u.Email, pw, "198.51.100.1", "")
		if e := wantKind(t, err, fail.TooMany); e.RetryAfter != 30 || !strings.Contains(e.Message, "1 minute.") {
			t.Errorf("refusal half a minute before the end: %+v", e)
		}
		f.now = t0.Add(account.FailureWindow)
		f.signIn(t, u.Email, pw)
	})
}

func TestSignInSuccessClearsAccountCount(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		u := f.user(t, "fp@example.org", access.FocalPoint, "KEN")
		for range 2 {
			for range account.MaxAccountFailure - 1 {
				_, _, err := f.svc.SignIn(t.Context(), u.Email, "wrong password", "192.0.2.1", "")
				wantKind(t, err, fail.Unauthorized)
			}
			// Without clearing, the second round would pass the limit.
			f.signIn(t, u.Email, pw)
		}
	})
}

func TestSignInAddressLimit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		u := f.user(t, "fp@example.org", access.FocalPoint, "KEN")
		const office = "203.0.113.9"
		fail1 := func(i int) {
			t.Helper()
			_, _, err := f.svc.SignIn(t.Context(), fmt.Sprintf("guess%d@example.org", i), "guess", office, "")
			wantKind(t, err, fail.Unauthorized)
		}
		for i := range account.MaxAddressFailure - 1 {
			fail1(i)
		}
		// A success from the address clears its account's count only.
		if _, _, err := f.svc.SignIn(t.Context(), u.Email, pw, office, ""); err != nil {
			t.Fatalf("sign-in below the address limit: %v", err)
		}
		fail1(account.MaxAddressFailure)
		_, _, err := f.svc.SignIn(t.Context(), u.Email, pw, office, "")
		if e := wantKind(t, err, fail.TooMany); !strings.Contains(e.Message, "your address") || e.RetryAfter != 900 {
			t.Errorf("refusal %+v", e)
		}
		// The account itself may still sign in from elsewhere.
		if _, _, err := f.svc.SignIn(t.Context(), u.Email, pw, "198.51.100.1", ""); err != nil {
			t.Errorf("sign-in from another address: %v", err)
		}
	})
}

func TestSignInDisabled(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		u := f.user(t, "fp@example.org", access.FocalPoint, "KEN")
		tok := f.signIn(t, u.Email, pw)
		_, _, wrong := f.svc.SignIn(t.Context(), u.Email, "wrong password", "192.0.2.1", "")
		u.Disabled = true
		if _, err := f.svc.UpdateUser(t.Context(), root, u); err != nil {
			t.Fatal(err)
		}
		_, _, err := f.svc.SignIn(t.Context(), u.Email, pw, "192.0.2.1", "")
		if e := wantKind(t, err, fail.Unauthorized); e.Message != fail.As(wrong).Message {
			t.Errorf("a disabled account is told %q, unlike a wrong password", e.Message)
		}
		_, err = f.svc.FromSession(t.Context(), tok)
		wantKind(t, err, fail.Unauthorized)
	})
}

func TestFromSession(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		u := f.user(t, "fp@example.org", access.FocalPoint, "KEN")
		t0 := f.now
		use := func(tok string, at time.Duration) error {
			t.Helper()
			f.now = t0.Add(at)
			_, err := f.svc.FromSession(t.Context(), tok)
			return err
		}

		t.Run("idle", func(t *testing.T) {
			f.now = t0
			tok := f.signIn(t, u.Email, pw)
			for _, at := range []time.Duration{time.Hour, 2*time.Hour + 59*time.Minute} {
				if err := use(tok, at); err != nil {
					t.Fatalf("at %v: %v", at, err)
				}
			}
			wantKind(t, use(tok, 4*time.Hour+59*time.Minute+time.Second), fail.Unauthorized)
		})
		t.Run("seen is written at most every five minutes", func(t *testing.T) {
			f.now = t0
			tok := f.signIn(t, u.Email, pw)
			if err := use(tok, 4*time.Minute); err != nil {
				t.Fatal(err)
			}
			wantKind(t, use(tok, account.IdleTimeout+time.Second), fail.Unauthorized)
		})
		t.Run("lifetime", func(t *testing.T) {
			f.now = t0
			tok := f.signIn(t, u.Email, pw)
			for h := time.Hour; h < account.SessionLifetime; h += time.Hour {
				if err := use(tok, h); err != nil {
					t.Fatalf("at %v: %v", h, err)
				}
			}
			wantKind(t, use(tok, account.SessionLifetime), fail.Unauthorized)
		})
		t.Run("unknown and signed out", func(t *testing.T) {
			f.now = t0
			tok := f.signIn(t, u.Email, pw)
			_, err := f.svc.FromSession(t.Context(), tok+"x")
			wantKind(t, err, fail.Unauthorized)
			_, err = f.svc.FromSession(t.Context(), "")
			wantKind(t, err, fail.Unauthorized)
			a, err := f.svc.FromSession(t.Context(), tok)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.svc.SignOut(t.Context(), a, tok); err != nil {
				t.Fatal(err)
			}
			_, err = f.svc.FromSession(t.Context(), tok)
			wantKind(t, err, fail.Unauthorized)
		})
	})
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		u := f.user(t, "fp@example.org", access.FocalPoint, "KEN")
		here := f.signIn(t, u.Email, pw)
		elsewhere := f.signIn(t, u.Email, pw)
		other := f.user(t, "other@example.org", access.Secretariat, "")
		otherTok := f.signIn(t, other.Email, pw)
		by, err := f.svc.FromSession(t.Context(), here)
		if err != nil {
			t.Fatal(err)
		}
		const next = "an even longer new password"
		refusals := []struct {
			name, current, next, field string
		}{
			{"wrong current password", "not the password", next, "current"},
			{"same as before", pw, pw, "password"},
			{"too short", pw, "short", "password"},
			{"the e-mail address", pw, "FP@example.org", "password"},
		}
		for _, tt := range refusals {
			err := f.svc.ChangePassword(t.Context(), by, here, tt.current, tt.next)
			if e := wantKind(t, err, fail.Invalid); e.Field != tt.field {
				t.Errorf("%s: field %q, want %q", tt.name, e.Field, tt.field)
			}
		}
		if _, err := f.svc.FromSession(t.Context(), elsewhere); err != nil {
			t.Fatalf("a refused change ended a session: %v", err)
		}
		wantKind(t, f.svc.ChangePassword(t.Context(), access.Anonymous, "", pw, next), fail.Unauthorized)

		if err := f.svc.ChangePassword(t.Context(), by, here, pw, next); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.FromSession(t.Context(), here); err != nil {
			t.Errorf("the current session ended: %v", err)
		}
		_, err = f.svc.FromSession(t.Context(), elsewhere)
		wantKind(t, err, fail.Unauthorized)
		if _, err := f.svc.FromSession(t.Context(), otherTok); err != nil {
			t.Errorf("another user's session ended: %v", err)
		}
		_, _, err = f.svc.SignIn(t.Context(), u.Email, pw, "192.0.2.1", "")
		wantKind(t, err, fail.Unauthorized)
		f.signIn(t, u.Email, next)
		if got := f.notes.of(u.ID); !strings.Contains(got, "Your cpcj password was changed") {
			t.Errorf("notified %q", got)
		}
	})
}

func TestResetPassword(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		u := f.user(t, "fp@example.org", access.FocalPoint, "KEN")
		sec := f.user(t, "sec@example.org", access.Secretariat, "")
		tok := f.signIn(t, u.Email, pw)
		const next = "set by the administrator"
		wantKind(t, f.svc.ResetPassword(t.Context(), sec.Actor(), u.ID, next), fail.Forbidden)
		wantKind(t, f.svc.ResetPassword(t.Context(), root, u.ID, "short"), fail.Invalid)
		wantKind(t, f.svc.ResetPassword(t.Context(), root, 424242, next), fail.NotFound)
		if _, err := f.svc.FromSession(t.Context(), tok); err != nil {
			t.Fatalf("a refused reset ended the session: %v", err)
		}
		if err := f.svc.ResetPassword(t.Context(), root, u.ID, next); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.FromSession(t.Context(), tok)
		wantKind(t, err, fail.Unauthorized)
		f.signIn(t, u.Email, next)
	})
}

func TestTokens(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		u := f.user(t, "exp@example.org", access.Expert, "NOR")
		by := u.Actor()
		tk, secret, err := f.svc.CreateToken(t.Context(), by, "  nightly upload ", 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, account.TokenPrefix) || len(secret) != len(account.TokenPrefix)+43 {
			t.Errorf("secret %q", secret)
		}
		if tk.Name != "nightly upload" || tk.Prefix != secret[:11] || tk.UserID != u.ID || tk.ExpiresAt == nil || !tk.ExpiresAt.Equal(f.now.Add(24*time.Hour)) {
			t.Errorf("token %+v", tk)
		}
		// The secret is handed out once: the store gets its hash only, and
		// the token's record holds no more than its prefix.
		if f.spy.hash != account.HashSecret(secret) || strings.Contains(f.spy.hash, secret[11:]) {
			t.Errorf("the store was given %q", f.spy.hash)
		}
		if strings.Contains(fmt.Sprintf("%+v", tk), secret[11:]) {
			t.Error("the token record holds the secret")
		}
		list, err := db.Tokens(t.Context(), by, u.ID)
		if err != nil || len(list) != 1 || strings.Contains(fmt.Sprintf("%+v", list), secret[11:]) {
			t.Errorf("Tokens = %+v, %v", list, err)
		}
		if got := f.notes.of(u.ID); !strings.Contains(got, "A new API token was created") {
			t.Errorf("notified %q", got)
		}

		a, err := f.svc.FromToken(t.Context(), secret)
		if err != nil {
			t.Fatal(err)
		}
		if a.UserID != u.ID || a.Role != access.Expert || a.State != "NOR" || a.SessionCSRF != "" {
			t.Errorf("actor %+v", a)
		}
		// The altered token differs in its last character, whatever that is.
		last := "A"
		if strings.HasSuffix(secret, last) {
			last = "B"
		}
		for name, bad := range map[string]string{
			"wrong prefix": "abcd_" + secret[5:],
			"no prefix":    secret[5:],
			"altered":      secret[:len(secret)-1] + last,
			"prefix only":  account.TokenPrefix,
			"empty":        "",
		} {
			_, err := f.svc.FromToken(t.Context(), bad)
			if !fail.Is(err, fail.Unauthorized) {
				t.Errorf("%s: err = %v, want unauthorized", name, err)
			}
		}

		f.advance(24 * time.Hour)
		_, err = f.svc.FromToken(t.Context(), secret)
		wantKind(t, err, fail.Unauthorized)

		forever, secret2, err := f.svc.CreateToken(t.Context(), by, "forever", 0)
		if err != nil || forever.ExpiresAt != nil {
			t.Fatalf("token without expiry: %+v, %v", forever, err)
		}
		f.advance(365 * 24 * time.Hour)
		if _, err := f.svc.FromToken(t.Context(), secret2); err != nil {
			t.Errorf("token without expiry after a year: %v", err)
		}
		if err := db.RevokeToken(t.Context(), by, forever.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.FromToken(t.Context(), secret2)
		wantKind(t, err, fail.Unauthorized)

		for _, tt := range []struct {
			name      string
			by        access.Actor
			tokenName string
			ttl       time.Duration
			kind      fail.Kind
		}{
			{"public", access.Anonymous, "x", time.Hour, fail.Unauthorized},
			{"no name", by, "  ", time.Hour, fail.Invalid},
			{"long name", by, strings.Repeat("n", 101), time.Hour, fail.Invalid},
			{"over a year", by, "x", 367 * 24 * time.Hour, fail.Invalid},
			{"negative", by, "x", -time.Hour, fail.Invalid},
		} {
			_, _, err := f.svc.CreateToken(t.Context(), tt.by, tt.tokenName, tt.ttl)
			if !fail.Is(err, tt.kind) {
				t.Errorf("%s: err = %v, want %s", tt.name, err, tt.kind)
			}
		}
	})
}
