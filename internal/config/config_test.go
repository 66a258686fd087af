package config_test

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/config"
)

// valid returns settings that pass Validate.
func valid() config.Config {
	return config.Config{DatabaseURL: "cpcj.db", Addr: ":8080", LogFormat: "json", LogLevel: "info",
		MaxBodyBytes: 1 << 20, MaxUploadBytes: 100 << 20, DBMaxConns: 16, ShutdownTimeout: 20 * time.Second}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *config.Config)
		want   []string // parts of the error; none when valid
		hidden string   // must not appear in the error
	}{
		{"defaults", func(*config.Config) {}, nil, ""},
		{"postgres", func(c *config.Config) { c.DatabaseURL = "postgres://u:p@db/cpcj" }, nil, ""},
		{"smtp with sender", func(c *config.Config) {
			c.SMTPURL, c.MailFrom = "smtps://u:p@mail.example.org", "cpcj <no-reply@example.org>"
		}, nil, ""},
		{"no database", func(c *config.Config) { c.DatabaseURL = "" }, []string{"CPCJ_DATABASE_URL (--database)", "is empty"}, ""},
		{"other database URL", func(c *config.Config) { c.DatabaseURL = "mysql://cpcj:hunter2@db/cpcj" }, []string{"CPCJ_DATABASE_URL", "postgres://"}, "hunter2"},
		{"address without port", func(c *config.Config) { c.Addr = "localhost" }, []string{"CPCJ_ADDR (--addr)", `"localhost" is not host:port`}, ""},
		{"port not a number", func(c *config.Config) { c.Addr = ":http" }, []string{"CPCJ_ADDR", `port "http"`}, ""},
		{"port too large", func(c *config.Config) { c.Addr = ":65536" }, []string{"CPCJ_ADDR", "0 to 65535"}, ""},
		{"base URL without scheme", func(c *config.Config) { c.BaseURL = "cpcj.example.org" }, []string{"CPCJ_BASE_URL (--base-url)", "http:// or https://"}, ""},
		{"base URL of another scheme", func(c *config.Config) { c.BaseURL = "ftp://cpcj.example.org" }, []string{"CPCJ_BASE_URL"}, ""},
		{"base URL without host", func(c *config.Config) { c.BaseURL = "https://" }, []string{"CPCJ_BASE_URL"}, ""},
		{"log format", func(c *config.Config) { c.LogFormat = "xml" }, []string{"CPCJ_LOG_FORMAT (--log-format)", `"xml": use json or text`}, ""},
		{"log level", func(c *config.Config) { c.LogLevel = "verbose" }, []string{"CPCJ_LOG_LEVEL (--log-level)", "verbose"}, ""},
		{"smtp without sender", func(c *config.Config) { c.SMTPURL = "smtp://mail.example.org" }, []string{"CPCJ_MAIL_FROM (--mail-from)", "needed when CPCJ_SMTP_URL is set"}, ""},
		{"smtp with a bad sender", func(c *config.Config) {
			c.SMTPURL, c.MailFrom = "smtp://mail.example.org", "no-reply"
		}, []string{"CPCJ_MAIL_FROM", `"no-reply"`}, ""},
		{"smtp URL of another scheme", func(c *config.Config) {
			c.SMTPURL, c.MailFrom = "http://u:s3cret@mail.example.org", "a@example.org"
		}, []string{"CPCJ_SMTP_URL (--smtp-url)", "smtp:// or smtps://"}, "s3cret"},
		{"smtp URL without host", func(c *config.Config) { c.SMTPURL, c.MailFrom = "smtp://", "a@example.org" }, []string{"CPCJ_SMTP_URL"}, ""},
		{"body too small", func(c *config.Config) { c.MaxBodyBytes = 100 }, []string{"CPCJ_MAX_BODY (--max-body)", "100 bytes"}, ""},
		{"body too large", func(c *config.Config) { c.MaxBodyBytes = 2 << 30 }, []string{"CPCJ_MAX_BODY"}, ""},
		{"upload below body", func(c *config.Config) { c.MaxUploadBytes = 1000 }, []string{"CPCJ_MAX_UPLOAD (--max-upload)", "1000 bytes"}, ""},
		{"no connections", func(c *config.Config) { c.DBMaxConns = 0 }, []string{"CPCJ_DB_MAX_CONNS (--db-max-conns)"}, ""},
		{"shutdown timeout", func(c *config.Config) { c.ShutdownTimeout = 0 }, []string{"CPCJ_SHUTDOWN_TIMEOUT (--shutdown-timeout)", "positive"}, ""},
		{"migrate and not", func(c *config.Config) { c.NoMigrate, c.Migrate = true, true }, []string{"CPCJ_NO_MIGRATE", "contradicts --migrate"}, ""},
		{"every error at once", func(c *config.Config) {
			c.Addr, c.LogFormat, c.LogLevel, c.DBMaxConns = "x", "xml", "loud", -1
		}, []string{"CPCJ_ADDR", "CPCJ_LOG_FORMAT", "CPCJ_LOG_LEVEL", "CPCJ_DB_MAX_CONNS"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(&c)
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.hidden != "" && strings.Contains(err.Error(), tt.hidden) {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

func TestValidateDerivesBaseURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":          "http://localhost:8080",
		"0.0.0.0:80":     "http://localhost:80",
		"[::]:9000":      "http://localhost:9000",
		"127.0.0.1:8081": "http://127.0.0.1:8081",
		"[::1]:8082":     "http://[::1]:8082",
	} {
		c := valid()
		c.Addr = addr
		if err := c.Validate(); err != nil || c.BaseURL != want {
			t.Errorf("addr %s: base URL %q, %v; want %q", addr, c.BaseURL, err, want)
		}
	}
	c := valid()
	c.BaseURL = "https://cpcj.example.org/"
	if err := c.Validate(); err != nil || c.BaseURL != "https://cpcj.example.org" || !c.Secure() {
		t.Errorf("base URL %q, secure %v, %v", c.BaseURL, c.Secure(), err)
	}
	c = valid()
	if c.Validate(); c.Secure() {
		t.Error("http counts as secure")
	}
}

// parse binds the server settings and parses args with env.
func parse(t *testing.T, args []string, env map[string]string) (config.Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c config.Config
	s := config.New(fs)
	config.BindServe(s, &c)
	err := s.Parse(args, func(k string) string { return env[k] })
	return c, err
}

func TestFlagsAndEnvironment(t *testing.T) {
	c, err := parse(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != config.DefaultDatabase || c.Addr != ":8080" || c.MaxBodyBytes != 1<<20 || c.DBMaxConns != 16 ||
		c.ShutdownTimeout != 20*time.Second || c.TrustProxy || c.LogFormat != "json" {
		t.Errorf("defaults %+v", c)
	}

	env := map[string]string{
		"CPCJ_ADDR": ":7000", "CPCJ_DATABASE_URL": "env.db", "CPCJ_MAX_BODY": "64KiB", "CPCJ_DB_MAX_CONNS": "3",
		"CPCJ_TRUST_PROXY": "true", "CPCJ_SHUTDOWN_TIMEOUT": "5s", "CPCJ_DEMO": "false", "CPCJ_LOG_LEVEL": "debug",
	}
	c, err = parse(t, []string{"--addr", ":9000", "--max-body=2MiB", "--demo", "--trust-proxy=false"}, env)
	if err != nil {
		t.Fatal(err)
	}
	// A flag wins over its variable; a variable over the default.
	got := []any{c.Addr, c.MaxBodyBytes, c.Demo, c.TrustProxy, c.DatabaseURL, c.DBMaxConns, c.ShutdownTimeout, c.LogLevel}
	want := []any{":9000", int64(2 << 20), true, false, "env.db", 3, 5 * time.Second, "debug"}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("setting %d = %v, want %v", i, got[i], want[i])
		}
	}

	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad variable", nil, map[string]string{"CPCJ_DB_MAX_CONNS": "many"}, "CPCJ_DB_MAX_CONNS"},
		{"bad boolean variable", nil, map[string]string{"CPCJ_TRUST_PROXY": "yes please"}, "CPCJ_TRUST_PROXY"},
		{"bad size variable", nil, map[string]string{"CPCJ_MAX_BODY": "big"}, "CPCJ_MAX_BODY"},
		{"bad duration variable", nil, map[string]string{"CPCJ_SHUTDOWN_TIMEOUT": "20"}, "CPCJ_SHUTDOWN_TIMEOUT"},
		{"bad flag", []string{"--db-max-conns", "many"}, nil, "db-max-conns"},
		{"unknown flag", []string{"--colour"}, nil, "colour"},
	} {
		_, err := parse(t, tt.args, tt.env)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to name %s", tt.name, err, tt.want)
		}
	}
	// A bad variable is not an error when the flag overrides it.
	if _, err := parse(t, []string{"--db-max-conns", "4"}, map[string]string{"CPCJ_DB_MAX_CONNS": "many"}); err != nil {
		t.Errorf("flag over a bad variable: %v", err)
	}
	if _, err := parse(t, []string{"-h"}, nil); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}

func TestPrintEnv(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var c config.Config
	s := config.New(fs)
	config.BindServe(s, &c)
	var b strings.Builder
	s.PrintEnv(&b)
	out := b.String()
	for _, v := range []string{"CPCJ_ADDR", "CPCJ_DATABASE_URL", "CPCJ_SMTP_URL", "CPCJ_TRUST_PROXY", "--max-body"} {
		if !strings.Contains(out, v) {
			t.Errorf("help lacks %s:\n%s", v, out)
		}
	}
	if strings.Index(out, "CPCJ_ADDR") > strings.Index(out, "CPCJ_TRUST_PROXY") {
		t.Error("variables are not sorted")
	}
}

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"65536", 65536, true},
		{"512B", 512, true},
		{"64KiB", 64 << 10, true},
		{"1MiB", 1 << 20, true},
		{" 2 GiB ", 2 << 30, true},
		{"1KB", 1000, true},
		{"3MB", 3e6, true},
		{"1GB", 1e9, true},
		{"", 0, false},
		{"MiB", 0, false},
		{"-1", 0, false},
		{"1.5MiB", 0, false},
		{"1 mib", 0, false},
		{"1TiB", 0, false},
		{"ten", 0, false},
		{"9223372036854775807", 1<<63 - 1, true},
		// Too large to count in bytes: refused, not wrapped around.
		{"9223372036854775808", 0, false},
		{"8589934592GiB", 0, false},
		{"17179869185GiB", 0, false}, // would wrap to exactly 1GiB
	}
	for _, tt := range tests {
		got, err := config.ParseBytes(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://cpcj:hunter2@db:5432/cpcj": "postgres://cpcj:xxxxx@db:5432/cpcj",
		"smtp://user:pw@mail:587":              "smtp://user:xxxxx@mail:587",
		"postgres://db/cpcj":                   "postgres://db/cpcj",
		"cpcj.db":                              "cpcj.db",
	} {
		if got := config.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
