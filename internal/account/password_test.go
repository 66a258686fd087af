package account_test

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/fail"
)

func TestHashPassword(t *testing.T) {
	const pw = "correct horse battery staple"
	h, err := account.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	// PHC string format, with the OWASP parameters, a 16-byte salt and a
	// 32-byte key.
	phc := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !phc.MatchString(h) {
		t.Errorf("hash %q is not in the expected PHC form", h)
	}
	if strings.Contains(h, pw) {
		t.Error("the hash contains the password")
	}
	h2, _ := account.HashPassword(pw)
	if h2 == h {
		t.Error("two hashes of one password are equal: no random salt")
	}
	for _, tt := range []struct {
		pw   string
		want bool
	}{{pw, true}, {"correct horse battery stapl", false}, {"Correct horse battery staple", false}, {"", false}, {pw + " ", false}} {
		ok, err := account.VerifyPassword(tt.pw, h)
		if err != nil || ok != tt.want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tt.pw, ok, err, tt.want)
		}
	}
}

// Hashes made with other parameters stay verifiable: the parameters are
// read from the hash, not assumed.
func TestVerifyPasswordReadsParameters(t *testing.T) {
	const pw = "an older password"
	salt := []byte("0123456789abcdef")
	b64 := base64.RawStdEncoding
	phc := func(m, t uint32, p uint8, keyLen uint32) string {
		key := argon2.IDKey([]byte(pw), salt, t, m, p, keyLen)
		return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, t, p, b64.EncodeToString(salt), b64.EncodeToString(key))
	}
	old := phc(8*1024, 1, 2, 16)
	if ok, err := account.VerifyPassword(pw, old); err != nil || !ok {
		t.Fatalf("hash with m=8192,t=1,p=2 and a 16-byte key: %v, %v", ok, err)
	}
	if ok, _ := account.VerifyPassword("wrong", old); ok {
		t.Error("a wrong password matched")
	}
	// The same key read with other parameters must not match.
	for _, swap := range []string{"m=8192,t=2,p=2", "m=9216,t=1,p=2", "m=8192,t=1,p=1"} {
		forged := strings.Replace(old, "m=8192,t=1,p=2", swap, 1)
		if ok, _ := account.VerifyPassword(pw, forged); ok {
			t.Errorf("the key matched under %s: the parameters are not used", swap)
		}
	}
}

func TestVerifyPasswordRefusesMalformed(t *testing.T) {
	good, err := account.HashPassword("a good password")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	for name, h := range map[string]string{
		"empty":          "",
		"bcrypt":         "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"argon2i":        with(1, "argon2i"),
		"old version":    with(2, "v=16"),
		"no version":     with(2, "x"),
		"bad parameters": with(3, "m=lots,t=2,p=1"),
		"bad salt":       with(4, "not base64!"),
		"bad key":        with(5, "not base64!"),
		"too few parts":  strings.Join(parts[:5], "$"),
	} {
		if ok, err := account.VerifyPassword("a good password", h); err == nil || ok {
			t.Errorf("%s: VerifyPassword = %v, %v; want an error", name, ok, err)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name, pw, email string
		ok              bool
	}{
		{"long enough", "twelve chars", "a@example.org", true},
		{"too short", "eleven char", "a@example.org", false},
		{"eleven characters in 22 bytes", "ééééééééééé", "a@example.org", false},
		{"counted in characters", "éééééééééééé", "a@example.org", true},
		{"longest", strings.Repeat("x", 256), "a@example.org", true},
		{"too long", strings.Repeat("x", 257), "a@example.org", false},
		// 128 characters of two bytes each are 256 bytes; one more is too many.
		{"too many bytes", strings.Repeat("é", 129), "a@example.org", false},
		{"the e-mail address", "Long.Name@Example.org", "long.name@example.org", false},
		{"empty", "", "a@example.org", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := account.CheckPassword(tt.pw, tt.email)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckPassword = %v, want ok %v", err, tt.ok)
			}
			if err != nil {
				if e := fail.As(err); e == nil || e.Kind != fail.Invalid || e.Field != "password" {
					t.Errorf("error %#v, want Invalid on password", err)
				}
			}
		})
	}
}

func TestSecrets(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s := account.NewSecret(32)
		if len(s) != 43 || strings.ContainsAny(s, "+/=") {
			t.Fatalf("secret %q: want 43 URL-safe characters", s)
		}
		if seen[s] {
			t.Fatal("a secret repeated")
		}
		seen[s] = true
	}
	// SHA-256 of "abc", from FIPS 180-2.
	if got := account.HashSecret("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("HashSecret(abc) = %s", got)
	}
}
