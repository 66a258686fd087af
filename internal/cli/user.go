package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/config"
	"github.com/cpcj/cpcj/internal/notify"
)

func user(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageErr("use: cpcj user add|list|password|token [flags]")
	}
	switch args[0] {
	case "add":
		return userAdd(ctx, env, args[1:])
	case "list":
		return userList(ctx, env, args[1:])
	case "password":
		return userPassword(ctx, env, args[1:])
	case "token":
		return userToken(ctx, env, args[1:])
	}
	return usageErr("unknown user command %q: use add, list, password or token", args[0])
}

// accountsFor opens the database and an account service for a command.
func accountsFor(ctx context.Context, env Env, dbURL string) (*account.Service, func(), error) {
	db, err := openDB(ctx, dbURL)
	if err != nil {
		return nil, nil, err
	}
	if err := requireSchema(ctx, db); err != nil {
		db.Close()
		return nil, nil, err
	}
	// Notifications are written to the database, and their e-mail queued
	// when a mail server is configured; a running server delivers it.
	notes := &notify.Service{Store: db, Mail: env.Getenv("CPCJ_SMTP_URL") != "", BaseURL: env.Getenv("CPCJ_BASE_URL"), Log: newLogger(env.Stderr, "text", "warn"), Now: time.Now}
	return account.NewService(db, notes, newLogger(env.Stderr, "text", "warn")), func() { db.Close() }, nil
}

// readPassword reads a password from the first line of stdin.
func readPassword(env Env) (string, error) {
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		if err != nil {
			return "", fmt.Errorf("read password from stdin: %w", err)
		}
		return "", fmt.Errorf("the password read from stdin is empty")
	}
	return line, nil
}

func userAdd(ctx context.Context, env Env, args []string) error {
	fs, s := flags(env, "user add", "--email E --name N --role R [--state ISO3] [--contributor C] [--password-stdin]",
		"Creates an account. Without --password-stdin a strong password is made and printed once.")
	var dbURL, email, name, role, st, contributor string
	var pwStdin bool
	config.BindDatabase(s, &dbURL)
	fs.StringVar(&email, "email", "", "e-mail address, used to sign in")
	fs.StringVar(&name, "name", "", "the person's name")
	fs.StringVar(&role, "role", "", "admin, secretariat, focal_point, expert or donor")
	fs.StringVar(&st, "state", "", "ISO alpha-3 code of the State, for focal points and experts")
	fs.StringVar(&contributor, "contributor", "", "contributor code, for donors")
	fs.BoolVar(&pwStdin, "password-stdin", false, "read the password from the first line of stdin")
	if err := parse(env, s, args); err != nil {
		return err
	}
	if email == "" || name == "" || role == "" {
		return usageErr("--email, --name and --role are required, e.g. cpcj user add --email you@example.org --name \"Your Name\" --role admin")
	}
	r, err := access.ParseRole(role)
	if err != nil {
		return usageErr("--role: %s", strings.TrimPrefix(err.Error(), "role: "))
	}
	pw := ""
	if pwStdin {
		if pw, err = readPassword(env); err != nil {
			return err
		}
	} else {
		pw = account.NewSecret(15)
	}
	acc, closeDB, err := accountsFor(ctx, env, dbURL)
	if err != nil {
		return err
	}
	defer closeDB()
	u, err := acc.CreateUser(ctx, access.System("cpcj user add"), account.User{Email: email, Name: name, Role: r, State: st, Contributor: contributor}, pw)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "created account %d: %s (%s)\n", u.ID, u.Email, describeRole(u))
	if !pwStdin {
		fmt.Fprintf(env.Stdout, "password: %s\n(shown once; the user can change it on their account page)\n", pw)
	}
	return nil
}

func describeRole(u account.User) string {
	switch {
	case u.State != "":
		return string(u.Role) + " for " + u.State
	case u.Contributor != "":
		return string(u.Role) + " for " + u.Contributor
	}
	return string(u.Role)
}

func userList(ctx context.Context, env Env, args []string) error {
	fs, s := flags(env, "user list", "[--database URL]", "Lists the accounts.")
	var dbURL string
	config.BindDatabase(s, &dbURL)
	if err := parse(env, s, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	acc, closeDB, err := accountsFor(ctx, env, dbURL)
	if err != nil {
		return err
	}
	defer closeDB()
	users, total, err := acc.Store.Users(ctx, access.System("cpcj user list"), account.UserFilter{Limit: 1000})
	if err != nil {
		return err
	}
	if total == 0 {
		fmt.Fprintln(env.Stdout, "no accounts yet: create the first administrator with cpcj user add --role admin")
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tE-MAIL\tNAME\tROLE\tSTATUS")
	for _, u := range users {
		status := "active"
		if u.Disabled {
			status = "disabled"
		}
		if u.Sample {
			status += ", sample"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, describeRole(u), status)
	}
	return tw.Flush()
}

func userPassword(ctx context.Context, env Env, args []string) error {
	fs, s := flags(env, "user password", "--email E [--password-stdin]",
		"Sets a new password for an account and ends its sessions. Without --password-stdin a strong password is made and printed once.")
	var dbURL, email string
	var pwStdin bool
	config.BindDatabase(s, &dbURL)
	fs.StringVar(&email, "email", "", "the account's e-mail address")
	fs.BoolVar(&pwStdin, "password-stdin", false, "read the password from the first line of stdin")
	if err := parse(env, s, args); err != nil {
		return err
	}
	if email == "" {
		return usageErr("--email is required")
	}
	acc, closeDB, err := accountsFor(ctx, env, dbURL)
	if err != nil {
		return err
	}
	defer closeDB()
	u, _, err := acc.Store.Credentials(ctx, strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return err
	}
	pw := account.NewSecret(15)
	if pwStdin {
		if pw, err = readPassword(env); err != nil {
			return err
		}
	}
	if err := acc.ResetPassword(ctx, access.System("cpcj user password"), u.ID, pw); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "new password set for %s; their sessions were ended\n", u.Email)
	if !pwStdin {
		fmt.Fprintf(env.Stdout, "password: %s\n", pw)
	}
	return nil
}

func userToken(ctx context.Context, env Env, args []string) error {
	fs, s := flags(env, "user token", "--email E --name N [--days D]",
		"Makes an API token for an account, for a machine client that acts as that user, and prints it once.")
	var dbURL, email, name string
	var days int
	config.BindDatabase(s, &dbURL)
	fs.StringVar(&email, "email", "", "the account's e-mail address")
	fs.StringVar(&name, "name", "", "what the token is for, e.g. \"nightly statistics upload\"")
	fs.IntVar(&days, "days", 90, "days until the token expires; 0 for never")
	if err := parse(env, s, args); err != nil {
		return err
	}
	if email == "" || name == "" {
		return usageErr("--email and --name are required")
	}
	acc, closeDB, err := accountsFor(ctx, env, dbURL)
	if err != nil {
		return err
	}
	defer closeDB()
	u, _, err := acc.Store.Credentials(ctx, strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return err
	}
	if u.Disabled {
		return fmt.Errorf("the account %s is disabled", u.Email)
	}
	t, secret, err := acc.CreateTokenFor(ctx, access.System("cpcj user token"), u.ID, name, time.Duration(days)*24*time.Hour)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s\n", secret)
	fmt.Fprintf(env.Stderr, "token %d %q for %s (%s); shown once, keep it secret\n", t.ID, t.Name, u.Email, describeRole(u))
	return nil
}
