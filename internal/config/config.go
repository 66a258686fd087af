// Package config reads cpcj's settings from flags and environment
// variables. A flag wins over its variable, and the variable over the
// default. Invalid settings are refused at start with a message that names
// the setting.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/mail"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting of the server.
type Config struct {
	DatabaseURL     string
	Addr            string
	BaseURL         string
	LogFormat       string
	LogLevel        string
	SMTPURL         string
	MailFrom        string
	MaxBodyBytes    int64
	MaxUploadBytes  int64 // for the routes that take files (collection uploads)
	DBMaxConns      int
	TrustProxy      bool
	ShutdownTimeout time.Duration
	NoMigrate       bool
	Migrate         bool
	Demo            bool
}

// setting describes one flag and its environment variable.
type setting struct {
	flag, env, usage string
	set              func(string) error
	def              string
}

// Settings binds the settings of a command to a flag set. Commands that
// only need the database bind just that.
type Settings struct {
	fs       *flag.FlagSet
	settings []*setting
	explicit map[string]bool
}

// New returns settings bound to fs.
func New(fs *flag.FlagSet) *Settings { return &Settings{fs: fs} }

func (s *Settings) add(name, env, def, usage string, set func(string) error) {
	st := &setting{flag: name, env: env, usage: usage, set: set, def: def}
	s.settings = append(s.settings, st)
	s.fs.Func(name, fmt.Sprintf("%s (env %s, default %q)", usage, env, def), func(v string) error {
		if err := set(v); err != nil {
			return err
		}
		if s.explicit == nil {
			s.explicit = map[string]bool{}
		}
		s.explicit[name] = true
		return nil
	})
}

// String binds a string setting.
func (s *Settings) String(p *string, name, env, def, usage string) {
	*p = def
	s.add(name, env, def, usage, func(v string) error { *p = v; return nil })
}

// Bool binds a boolean setting.
func (s *Settings) Bool(p *bool, name, env string, def bool, usage string) {
	*p = def
	st := &setting{flag: name, env: env, usage: usage, def: strconv.FormatBool(def), set: func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", v)
		}
		*p = b
		return nil
	}}
	s.settings = append(s.settings, st)
	s.fs.BoolFunc(name, fmt.Sprintf("%s (env %s)", usage, env), func(v string) error {
		if err := st.set(v); err != nil {
			return err
		}
		if s.explicit == nil {
			s.explicit = map[string]bool{}
		}
		s.explicit[name] = true
		return nil
	})
}

// Int binds an integer setting.
func (s *Settings) Int(p *int, name, env string, def int, usage string) {
	*p = def
	s.add(name, env, strconv.Itoa(def), usage, func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("want a whole number, got %q", v)
		}
		*p = n
		return nil
	})
}

// Bytes binds a size setting such as 1MiB or 65536.
func (s *Settings) Bytes(p *int64, name, env, def, usage string) {
	n, err := ParseBytes(def)
	if err != nil {
		panic(err)
	}
	*p = n
	s.add(name, env, def, usage, func(v string) error {
		n, err := ParseBytes(v)
		if err != nil {
			return err
		}
		*p = n
		return nil
	})
}

// Duration binds a duration setting such as 30s.
func (s *Settings) Duration(p *time.Duration, name, env string, def time.Duration, usage string) {
	*p = def
	s.add(name, env, def.String(), usage, func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("want a duration such as 30s or 2m, got %q", v)
		}
		*p = d
		return nil
	})
}

// Parse parses the arguments, then fills every setting not given as a flag
// from its environment variable.
func (s *Settings) Parse(args []string, getenv func(string) string) error {
	if err := s.fs.Parse(args); err != nil {
		return err
	}
	for _, st := range s.settings {
		if s.explicit[st.flag] {
			continue
		}
		if v := getenv(st.env); v != "" {
			if err := st.set(v); err != nil {
				return fmt.Errorf("%s: %w", st.env, err)
			}
		}
	}
	return nil
}

// PrintEnv lists the settings and their variables, for help output.
func (s *Settings) PrintEnv(w io.Writer) {
	list := append([]*setting(nil), s.settings...)
	sort.Slice(list, func(i, j int) bool { return list[i].env < list[j].env })
	for _, st := range list {
		fmt.Fprintf(w, "  %-24s --%-18s %s\n", st.env, st.flag, st.usage)
	}
}

// DefaultDatabase is the SQLite file used when nothing else is set.
const DefaultDatabase = "cpcj.db"

// BindDatabase binds the database setting alone, for commands that need
// nothing else.
func BindDatabase(s *Settings, p *string) {
	s.String(p, "database", "CPCJ_DATABASE_URL", DefaultDatabase, "SQLite file path, or postgres:// URL")
}

// BindServe binds every setting of the server.
func BindServe(s *Settings, c *Config) {
	BindDatabase(s, &c.DatabaseURL)
	s.String(&c.Addr, "addr", "CPCJ_ADDR", ":8080", "address to listen on, host:port")
	s.String(&c.BaseURL, "base-url", "CPCJ_BASE_URL", "", "public URL of the site, e.g. https://cpcj.example.org (default http://localhost and the port)")
	s.String(&c.LogFormat, "log-format", "CPCJ_LOG_FORMAT", "json", "log format: json or text")
	s.String(&c.LogLevel, "log-level", "CPCJ_LOG_LEVEL", "info", "log level: debug, info, warn or error")
	s.String(&c.SMTPURL, "smtp-url", "CPCJ_SMTP_URL", "", "mail server, smtp://user:password@host:587 or smtps://…; e-mail is off when empty")
	s.String(&c.MailFrom, "mail-from", "CPCJ_MAIL_FROM", "", "sender address of e-mail, e.g. cpcj <no-reply@example.org>")
	s.Bytes(&c.MaxBodyBytes, "max-body", "CPCJ_MAX_BODY", "1MiB", "largest request body accepted")
	s.Bytes(&c.MaxUploadBytes, "max-upload", "CPCJ_MAX_UPLOAD", "100MiB", "largest file accepted by the upload routes (statistics questionnaires)")
	s.Int(&c.DBMaxConns, "db-max-conns", "CPCJ_DB_MAX_CONNS", 16, "database connections per server")
	s.Bool(&c.TrustProxy, "trust-proxy", "CPCJ_TRUST_PROXY", false, "take the client address from X-Forwarded-For (only behind a proxy that sets it)")
	s.Duration(&c.ShutdownTimeout, "shutdown-timeout", "CPCJ_SHUTDOWN_TIMEOUT", 20*time.Second, "time given to requests in flight at shutdown")
	s.Bool(&c.NoMigrate, "no-migrate", "CPCJ_NO_MIGRATE", false, "do not migrate the SQLite schema at start")
	s.Bool(&c.Migrate, "migrate", "CPCJ_MIGRATE", false, "migrate the PostgreSQL schema at start")
	s.Bool(&c.Demo, "demo", "CPCJ_DEMO", false, "create one sample account per role and print their passwords")
}

// Validate checks the settings and fills derived defaults. Each error names
// the setting.
func (c *Config) Validate() error {
	var errs []error
	bad := func(env, flag, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s (--%s): %s", env, flag, fmt.Sprintf(format, args...)))
	}
	if c.DatabaseURL == "" {
		bad("CPCJ_DATABASE_URL", "database", "is empty: give a SQLite file path or a postgres:// URL")
	} else if strings.Contains(c.DatabaseURL, "://") && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		bad("CPCJ_DATABASE_URL", "database", "%q is neither a file path nor a postgres:// URL", redact(c.DatabaseURL))
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		bad("CPCJ_ADDR", "addr", "%q is not host:port (e.g. :8080 or 127.0.0.1:8080)", c.Addr)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		bad("CPCJ_ADDR", "addr", "port %q is not a number from 0 to 65535", port)
	}
	if c.BaseURL == "" {
		h := host
		if h == "" || h == "0.0.0.0" || h == "::" {
			h = "localhost"
		}
		c.BaseURL = "http://" + net.JoinHostPort(h, port)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("CPCJ_BASE_URL", "base-url", "%q is not an http:// or https:// URL", c.BaseURL)
	} else {
		c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		bad("CPCJ_LOG_FORMAT", "log-format", "%q: use json or text", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("CPCJ_LOG_LEVEL", "log-level", "%q: use debug, info, warn or error", c.LogLevel)
	}
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			bad("CPCJ_SMTP_URL", "smtp-url", "%q is not an smtp:// or smtps:// URL with a host", redact(c.SMTPURL))
		}
		if _, err := mail.ParseAddress(c.MailFrom); err != nil {
			bad("CPCJ_MAIL_FROM", "mail-from", "%q is not an e-mail address; it is needed when CPCJ_SMTP_URL is set", c.MailFrom)
		}
	}
	if c.MaxBodyBytes < 1024 || c.MaxBodyBytes > 1<<30 {
		bad("CPCJ_MAX_BODY", "max-body", "%d bytes: give between 1KiB and 1GiB", c.MaxBodyBytes)
	}
	if c.MaxUploadBytes < c.MaxBodyBytes || c.MaxUploadBytes > 4<<30 {
		bad("CPCJ_MAX_UPLOAD", "max-upload", "%d bytes: give between CPCJ_MAX_BODY and 4GiB", c.MaxUploadBytes)
	}
	if c.DBMaxConns < 1 || c.DBMaxConns > 1000 {
		bad("CPCJ_DB_MAX_CONNS", "db-max-conns", "%d: give between 1 and 1000", c.DBMaxConns)
	}
	if c.ShutdownTimeout <= 0 {
		bad("CPCJ_SHUTDOWN_TIMEOUT", "shutdown-timeout", "must be positive")
	}
	if c.NoMigrate && c.Migrate {
		bad("CPCJ_NO_MIGRATE", "no-migrate", "contradicts --migrate")
	}
	return errors.Join(errs...)
}

// Secure reports whether the site is served over TLS, so cookies must be
// Secure.
func (c *Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// redact hides the password in a URL: the user:password part and a
// password parameter. A URL that does not parse is not shown at all, since
// where its password is cannot be told.
func redact(s string) string {
	if !strings.Contains(s, "://") {
		return s // a file path
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(a URL that cannot be read)"
	}
	q := u.Query()
	for k := range q {
		if strings.EqualFold(k, "password") || strings.EqualFold(k, "sslpassword") {
			q.Set(k, "xxxxx")
		}
	}
	u.RawQuery = q.Encode()
	return u.Redacted()
}

// Redact hides the password in a database or mail server URL, for logs.
func Redact(s string) string { return redact(s) }

// ParseBytes reads a size such as 512, 64KiB, 1MiB or 2GiB.
func ParseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	// A size too large to count in bytes would wrap around to any value.
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("want a size such as 1MiB or 65536, got %q", s)
	}
	return n * mult, nil
}
