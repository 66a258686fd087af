package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/config"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/job"
	"github.com/cpcj/cpcj/internal/notify"
	"github.com/cpcj/cpcj/internal/server"
	"github.com/cpcj/cpcj/internal/store"
)

// Intervals of the periodic jobs.
const (
	cleanupEvery = 10 * time.Minute
	deliverEvery = time.Minute
	keepJobs     = 7 * 24 * time.Hour
)

func serve(ctx context.Context, env Env, args []string) error {
	fs, s := flags(env, "serve", "[flags]", "Runs the web server: the UI at /, the JSON API at /api/v1, health at /healthz and /readyz, metrics at /metrics, and the background jobs.")
	var cfg config.Config
	config.BindServe(s, &cfg)
	if err := parse(env, s, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := newLogger(env.Stderr, cfg.LogFormat, cfg.LogLevel)
	started := time.Now()

	db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{MaxOpenConns: cfg.DBMaxConns})
	if err != nil {
		return fmt.Errorf("open database %s: %w", config.Redact(cfg.DatabaseURL), err)
	}
	defer db.Close()
	if err := prepareSchema(ctx, db, cfg, env); err != nil {
		return err
	}

	metrics := server.NewMetrics(db)
	runner := job.NewRunner(db, log, metrics.ObserveJob)
	notes := &notify.Service{Store: db, Jobs: runner, BaseURL: cfg.BaseURL, Log: log, Now: time.Now}
	if cfg.SMTPURL != "" {
		smtp, err := notify.NewSMTP(cfg.SMTPURL, cfg.MailFrom)
		if err != nil {
			return fmt.Errorf("CPCJ_SMTP_URL: %w", err)
		}
		notes.Sender, notes.Mail = smtp, true
		runner.Every(notify.DeliverJob, deliverEvery, notes.Deliver)
	}
	runner.Every("session.cleanup", cleanupEvery, func(ctx context.Context, _ job.Job) error {
		now := time.Now()
		n, err := db.DeleteExpiredSessions(ctx, now, now.Add(-account.IdleTimeout), now.Add(-account.FailureWindow))
		if err != nil {
			return err
		}
		done, err := db.DeleteFinishedJobs(ctx, now.Add(-keepJobs))
		log.InfoContext(ctx, "cleanup", "sessions_removed", n, "jobs_removed", done)
		return err
	})
	accounts := account.NewService(db, notes, log)

	if cfg.Demo {
		if err := demoAccounts(ctx, env, accounts); err != nil {
			return fmt.Errorf("demo accounts: %w", err)
		}
	}

	srv, err := server.New(server.Deps{Config: cfg, DB: db, Accounts: accounts, Log: log, Metrics: metrics, Version: Version(), Notes: notes, Jobs: runner})
	if err != nil {
		return err
	}
	// Reminders of due dates; hourly, as each is sent once however often
	// the job runs.
	runner.Every(collect.RemindJob, time.Hour, srv.Collection().Remind)
	// Large files uploaded to the collection are read in the background.
	runner.Handle(collect.CheckJob, (&collect.Checker{Service: srv.Collection(), Store: db}).Run)
	hs := srv.HTTPServer()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("CPCJ_ADDR (--addr) %s: %w", cfg.Addr, err)
	}
	var wg sync.WaitGroup
	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	wg.Go(func() { runner.Run(jobsCtx) })

	log.Info("cpcj serving", "addr", ln.Addr().String(), "url", cfg.BaseURL, "engine", db.Engine(),
		"version", Version(), "startup", time.Since(started).Round(time.Millisecond).String())
	fmt.Fprintf(env.Stdout, "cpcj is running at %s (press Ctrl+C to stop)\n", cfg.BaseURL)
	if env.Ready != nil {
		env.Ready(ln.Addr().String())
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	select {
	case err := <-serveErr:
		stopJobs()
		wg.Wait()
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = hs.Shutdown(sctx)
	stopJobs()
	wg.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// prepareSchema migrates or checks the schema as the settings say: SQLite
// migrates by default, PostgreSQL only when asked, because several servers
// share it and an operator should decide when its schema changes.
func prepareSchema(ctx context.Context, db *store.DB, cfg config.Config, env Env) error {
	migrate := db.Engine() == store.SQLite && !cfg.NoMigrate || cfg.Migrate
	if migrate {
		if _, err := db.Migrate(ctx); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		return nil
	}
	have, want, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if have < want {
		return fmt.Errorf("the database schema is at version %d and this program needs %d: run 'cpcj migrate' (or start with --migrate)", have, want)
	}
	return nil
}

// demoRole is one sample account of serve --demo.
type demoRole struct {
	email, name string
	role        access.Role
	state       string
	contributor string
}

var demoRoles = []demoRole{
	{"admin@example.org", "Sample Administrator", access.Admin, "", ""},
	{"secretariat@example.org", "Sample Secretariat Officer", access.Secretariat, "", ""},
	{"focal.point@example.org", "Sample Focal Point (Kenya)", access.FocalPoint, "KEN", ""},
	{"expert@example.org", "Sample Expert (Kenya)", access.Expert, "KEN", ""},
	{"donor@example.org", "Sample Donor (Norway)", access.Donor, "", "NOR"},
}

// demoAccounts makes one sample account per role, or gives the existing
// sample accounts new passwords, and prints them.
func demoAccounts(ctx context.Context, env Env, acc *account.Service) error {
	by := access.System("cpcj serve --demo")
	fmt.Fprintln(env.Stdout, "SAMPLE ACCOUNTS for a demonstration (--demo). They are not real people; do not use --demo in production.")
	for _, d := range demoRoles {
		pw := account.NewSecret(12)
		u, _, err := acc.Store.Credentials(ctx, d.email)
		switch {
		case fail.Is(err, fail.NotFound):
			_, err = acc.CreateUser(ctx, by, account.User{Email: d.email, Name: d.name, Role: d.role, State: d.state, Contributor: d.contributor, Sample: true}, pw)
		case err == nil && u.Sample:
			err = acc.ResetPassword(ctx, by, u.ID, pw)
		case err == nil:
			fmt.Fprintf(env.Stdout, "  %-24s exists and is not a sample account: left alone\n", d.email)
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", d.email, err)
		}
		scope := ""
		if d.state != "" {
			scope = " for " + d.state
		} else if d.contributor != "" {
			scope = " for " + d.contributor
		}
		fmt.Fprintf(env.Stdout, "  %-24s password %s   (%s%s)\n", d.email, pw, d.role, scope)
	}
	return nil
}
