package account

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/fail"
)

// Sign-in limits: failed attempts allowed in a window, per account and per
// client address. An address may try more than an account because many
// users can share one (an office behind a proxy).
const (
	FailureWindow     = 15 * time.Minute
	MaxAccountFailure = 5
	MaxAddressFailure = 30
)

// Session lifetimes. A session ends when it has been idle for IdleTimeout
// or, in any case, SessionLifetime after sign-in.
const (
	SessionLifetime = 12 * time.Hour
	IdleTimeout     = 2 * time.Hour
	touchEvery      = 5 * time.Minute
)

// TokenPrefix starts every API token, so that secret scanners recognise one.
const TokenPrefix = "cpcj_"

// Notifier tells a user about something that happened to their account.
type Notifier interface {
	Notify(ctx context.Context, userID int64, subject, body, link string) error
}

// Service holds the account rules over a Store. The API and the UI both use
// it.
type Service struct {
	Store  Store
	Notify Notifier
	Log    *slog.Logger
	Now    func() time.Time
	// hashing limits concurrent Argon2id computations, each of which takes
	// 19 MiB, so a burst of sign-ins cannot exhaust memory.
	hashing chan struct{}
}

// NewService returns a Service.
func NewService(st Store, n Notifier, log *slog.Logger) *Service {
	return &Service{Store: st, Notify: n, Log: log, Now: time.Now, hashing: make(chan struct{}, 4)}
}

func (s *Service) hash(ctx context.Context, pw string) (string, error) {
	select {
	case s.hashing <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-s.hashing }()
	return HashPassword(pw)
}

func (s *Service) verify(ctx context.Context, pw, hash string) (bool, error) {
	select {
	case s.hashing <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-s.hashing }()
	return VerifyPassword(pw, hash)
}

// dummyHash is verified against when the account does not exist, so that
// the answer takes as long as for a wrong password. It is made on first
// use, not when the program starts.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("no account has this password")
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return h
})

// SignIn checks the credentials and opens a session. It returns the session
// token for the cookie. Wrong e-mail and wrong password get the same answer.
func (s *Service) SignIn(ctx context.Context, email, password, address, userAgent string) (User, string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	now := s.Now()
	since := now.Add(-FailureWindow)
	accountKey, addressKey := "signin:account:"+email, "signin:address:"+address
	// Every attempt is counted before the password is checked, and the
	// count decides: so parallel attempts cannot all slip under the limit.
	// A success takes its attempt back.
	for _, k := range []struct {
		key, msgKey string
		limit       int
		what        string
	}{{accountKey, "signin.too_many.account", MaxAccountFailure, "this account"}, {addressKey, "signin.too_many.address", MaxAddressFailure, "your address"}} {
		n, first, err := s.Store.AddFailure(ctx, k.key, now, since)
		if err != nil {
			return User{}, "", err
		}
		if n > k.limit {
			wait := first.Add(FailureWindow).Sub(now)
			mins := max(1, int(math.Ceil(wait.Minutes())))
			return User{}, "", &fail.Error{Kind: fail.TooMany, RetryAfter: max(1, int(math.Ceil(wait.Seconds()))),
				Message: fmt.Sprintf("Too many failed sign-in attempts for %s. Try again in %d minute%s.", k.what, mins, plural(mins)),
				Key:     k.msgKey, Args: []any{"n", mins}}
		}
	}
	// An overlong password cannot be right (none is stored) and is not
	// worth hashing.
	tooLong := len(password) > MaxPasswordLen
	if tooLong {
		password = ""
	}
	u, hash, err := s.Store.Credentials(ctx, email)
	switch {
	case fail.Is(err, fail.NotFound):
		hash = dummyHash()
	case err != nil:
		return User{}, "", err
	}
	ok, err := s.verify(ctx, password, hash)
	if err != nil {
		return User{}, "", err
	}
	if !ok || tooLong || u.ID == 0 || u.Disabled {
		s.Log.InfoContext(ctx, "sign-in failed", "email", email, "address", address)
		return User{}, "", fail.New(fail.Unauthorized, "The e-mail address or password is not right.")
	}
	if err := s.Store.ClearFailures(ctx, accountKey); err != nil {
		return User{}, "", err
	}
	if err := s.Store.ForgiveFailure(ctx, addressKey); err != nil {
		return User{}, "", err
	}
	token := NewSecret(32)
	sess := Session{Hash: HashSecret(token), UserID: u.ID, CSRF: NewSecret(24), CreatedAt: now,
		ExpiresAt: now.Add(SessionLifetime), SeenAt: now, Address: address, UserAgent: truncate(userAgent, 300)}
	if err := s.Store.CreateSession(ctx, u, sess); err != nil {
		return User{}, "", err
	}
	return u, token, nil
}

// FromSession returns the actor for a session cookie's token, or
// Unauthorized when the session is unknown, expired or idle too long.
func (s *Service) FromSession(ctx context.Context, token string) (access.Actor, error) {
	now := s.Now()
	hash := HashSecret(token)
	u, sess, err := s.Store.SessionUser(ctx, hash, now.Add(-IdleTimeout))
	if err != nil {
		return access.Anonymous, err
	}
	if now.Sub(sess.SeenAt) > touchEvery {
		if err := s.Store.TouchSession(ctx, hash, now); err != nil {
			return access.Anonymous, err
		}
	}
	a := u.Actor()
	a.SessionCSRF = sess.CSRF
	return a, nil
}

// FromToken returns the actor for an API token.
func (s *Service) FromToken(ctx context.Context, token string) (access.Actor, error) {
	if !strings.HasPrefix(token, TokenPrefix) {
		return access.Anonymous, fail.New(fail.Unauthorized, "The API token is not valid.")
	}
	u, err := s.Store.TokenUser(ctx, HashSecret(token), s.Now())
	if err != nil {
		if fail.Is(err, fail.NotFound) {
			return access.Anonymous, fail.New(fail.Unauthorized, "The API token is not valid, has expired or was revoked.")
		}
		return access.Anonymous, err
	}
	a := u.Actor()
	a.ViaToken = true
	return a, nil
}

// SignOut ends the session of the token.
func (s *Service) SignOut(ctx context.Context, by access.Actor, token string) error {
	return s.Store.DeleteSession(ctx, by, HashSecret(token))
}

// CreateUser adds an account. Only admins may; the store checks the scope.
func (s *Service) CreateUser(ctx context.Context, by access.Actor, u User, password string) (User, error) {
	if err := access.Check(by, access.ManageUsers, u.State); err != nil {
		return User{}, err
	}
	u.Normalize()
	if err := u.Validate(); err != nil {
		return User{}, err
	}
	if err := CheckPassword(password, u.Email); err != nil {
		return User{}, err
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return User{}, err
	}
	created, err := s.Store.CreateUser(ctx, by, u, hash)
	if err != nil {
		return User{}, err
	}
	s.notify(ctx, created.ID, "Your cpcj account was created",
		fmt.Sprintf("An account was created for you with the role %s. Sign in with the e-mail address %s.", created.Role, created.Email), "/account")
	return created, nil
}

// UpdateUser changes an account's name, role, scope or disabled flag.
func (s *Service) UpdateUser(ctx context.Context, by access.Actor, u User) (User, error) {
	if err := access.Check(by, access.ManageUsers, u.State); err != nil {
		return User{}, err
	}
	u.Normalize()
	if err := u.Validate(); err != nil {
		return User{}, err
	}
	return s.Store.UpdateUser(ctx, by, u)
}

// ChangePassword sets a new password for the signed-in user after checking
// the current one, and ends their other sessions.
func (s *Service) ChangePassword(ctx context.Context, by access.Actor, sessionToken, current, next string) error {
	if err := access.Check(by, access.UseAccount, ""); err != nil {
		return err
	}
	_, hash, err := s.Store.Credentials(ctx, by.Email)
	if err != nil {
		return err
	}
	ok, err := s.verify(ctx, current, hash)
	if err != nil {
		return err
	}
	if !ok {
		return fail.Field("current", "the current password is not right")
	}
	if err := CheckPassword(next, by.Email); err != nil {
		return err
	}
	if current == next {
		return fail.Field("password", "the new password is the same as the current one")
	}
	newHash, err := s.hash(ctx, next)
	if err != nil {
		return err
	}
	if err := s.Store.SetPassword(ctx, by, by.UserID, newHash); err != nil {
		return err
	}
	keep := ""
	if sessionToken != "" {
		keep = HashSecret(sessionToken)
	}
	if err := s.Store.DeleteOtherSessions(ctx, by.UserID, keep); err != nil {
		return err
	}
	s.notify(ctx, by.UserID, "Your cpcj password was changed",
		"The password of your account was changed and your other sessions were signed out. If you did not do this, tell your administrator at once.", "/account")
	return nil
}

// ResetPassword sets a password for any account, as an administrator does at
// the command line.
func (s *Service) ResetPassword(ctx context.Context, by access.Actor, userID int64, password string) error {
	if err := access.Check(by, access.ManageUsers, ""); err != nil {
		return err
	}
	u, err := s.Store.User(ctx, by, userID)
	if err != nil {
		return err
	}
	if err := CheckPassword(password, u.Email); err != nil {
		return err
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	if err := s.Store.SetPassword(ctx, by, userID, hash); err != nil {
		return err
	}
	if err := s.Store.DeleteOtherSessions(ctx, userID, ""); err != nil {
		return err
	}
	// An administrator resets a password after a compromise: the tokens
	// made with the old one must stop working too.
	return s.Store.RevokeTokens(ctx, by, userID)
}

// CreateToken issues an API token for the actor. The token itself is
// returned once and never stored.
func (s *Service) CreateToken(ctx context.Context, by access.Actor, name string, ttl time.Duration) (Token, string, error) {
	if err := access.Check(by, access.UseAccount, ""); err != nil {
		return Token{}, "", err
	}
	if by.ViaToken {
		// Otherwise a stolen token could make itself a successor that
		// outlives its expiry and its revocation.
		return Token{}, "", fail.New(fail.Forbidden, "An API token cannot make tokens: sign in to the site, or ask an administrator.")
	}
	return s.CreateTokenFor(ctx, by, by.UserID, name, ttl)
}

// CreateTokenFor issues an API token for an account: the actor's own, or,
// for an administrator at the command line, anyone's. The token acts with
// its owner's role and scope.
func (s *Service) CreateTokenFor(ctx context.Context, by access.Actor, owner int64, name string, ttl time.Duration) (Token, string, error) {
	if owner != by.UserID {
		if err := access.Check(by, access.ManageUsers, ""); err != nil {
			return Token{}, "", err
		}
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 || !utf8.ValidString(name) {
		return Token{}, "", fail.Field("name", "give the token a name of 1 to 100 characters, saying what uses it")
	}
	if ttl < 0 || ttl > 366*24*time.Hour {
		return Token{}, "", fail.Field("expires_in_days", "a token lives at most 366 days")
	}
	secret := TokenPrefix + NewSecret(32)
	now := s.Now()
	t := Token{UserID: owner, Name: name, Prefix: secret[:len(TokenPrefix)+6], CreatedAt: now}
	if ttl > 0 {
		exp := now.Add(ttl)
		t.ExpiresAt = &exp
	}
	t, err := s.Store.CreateToken(ctx, by, t, HashSecret(secret))
	if err != nil {
		return Token{}, "", err
	}
	s.notify(ctx, owner, "A new API token was created for your account",
		fmt.Sprintf("The API token %q (%s…) was created. If you did not do this, revoke it on your account page.", t.Name, t.Prefix), "/account")
	return t, secret, nil
}

func (s *Service) notify(ctx context.Context, userID int64, subject, body, link string) {
	if s.Notify == nil {
		return
	}
	// A notification that cannot be written must not undo the change it
	// reports; it is logged instead.
	if err := s.Notify.Notify(ctx, userID, subject, body, link); err != nil && !errors.Is(err, context.Canceled) {
		s.Log.ErrorContext(ctx, "notification not written", "user", userID, "subject", subject, "err", err)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// truncate cuts s to at most n bytes, at a character boundary, and drops
// bytes that are not UTF-8 (PostgreSQL refuses them).
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
