package server_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/config"
	"github.com/cpcj/cpcj/internal/notify"
	"github.com/cpcj/cpcj/internal/server"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/web"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// maxBody is the body limit of the test server.
const maxBody = 1 << 20

// publicCSRF is the double-submit token a signed-out browser holds in its
// cpcj_csrf cookie and sends back in forms.
const publicCSRF = "public-csrf-token-0123456789abcdef"

// password is every test account's password.
const password = "correct horse battery staple"

// Keys of the test accounts. Each holds one role; the FRA accounts are the
// other State whose records the others must not see.
const (
	adminKey       = "admin"
	secretariatKey = "secretariat"
	focalPointKey  = "focal_point"
	expertKey      = "expert"
	donorKey       = "donor"
	fraFocalKey    = "focal_point_fra"
	fraExpertKey   = "expert_fra"
)

var testUsers = []struct {
	key string
	u   account.User
}{
	{adminKey, account.User{Email: "ada.admin@cpcj.test", Name: "Ada Admin", Role: access.Admin}},
	{secretariatKey, account.User{Email: "sam.secretariat@cpcj.test", Name: "Sam Secretariat", Role: access.Secretariat}},
	{focalPointKey, account.User{Email: "faith.focal@cpcj.test", Name: "Faith Focal-Kenya", Role: access.FocalPoint, State: "KEN"}},
	{expertKey, account.User{Email: "eli.expert@cpcj.test", Name: "Eli Expert-Kenya", Role: access.Expert, State: "KEN"}},
	{donorKey, account.User{Email: "dag.donor@cpcj.test", Name: "Dag Donor-Norway", Role: access.Donor, Contributor: "NOR"}},
	{fraFocalKey, account.User{Email: "fleur.fraisier@fra.cpcj.test", Name: "Fleur Fraisier", Role: access.FocalPoint, State: "FRA"}},
	{fraExpertKey, account.User{Email: "gaston.garrigue@fra.cpcj.test", Name: "Gaston Garrigue", Role: access.Expert, State: "FRA"}},
}

// everyone is the keys of all test accounts.
var everyone = []string{adminKey, secretariatKey, focalPointKey, expertKey, donorKey, fraFocalKey, fraExpertKey}

// actor is a test account with its credentials: an API token and a
// signed-in browser session.
type actor struct {
	key     string
	user    account.User
	token   string // API token
	session string // session cookie
	csrf    string // the session's CSRF token
}

// String names the actor by its key; nil is the public.
func (a *actor) String() string {
	if a == nil {
		return "public"
	}
	return a.key
}

// harness is a cpcj server over a fresh database, with an account of every
// role.
type harness struct {
	db       *store.DB
	srv      *server.Server
	ts       *httptest.Server
	client   *http.Client
	accounts *account.Service
	logs     *logRecorder
	actors   map[string]*actor
}

// newHarness starts a test server over db and makes the test accounts of
// the keys given. Hashing passwords is most of the cost of a harness, so
// tests ask only for the accounts they use.
func newHarness(t testing.TB, db *store.DB, keys ...string) *harness {
	t.Helper()
	logs := &logRecorder{}
	log := slog.New(logs)
	notes := &notify.Service{Store: db, Log: log, BaseURL: "http://cpcj.test", Now: time.Now}
	accounts := account.NewService(db, notes, log)
	cfg := config.Config{
		DatabaseURL:     "test",
		Addr:            ":0",
		BaseURL:         "http://cpcj.test",
		LogFormat:       "text",
		LogLevel:        "info",
		MaxBodyBytes:    maxBody,
		DBMaxConns:      4,
		ShutdownTimeout: 5 * time.Second,
	}
	srv, err := server.New(server.Deps{Config: cfg, DB: db, Accounts: accounts, Log: log, Metrics: server.NewMetrics(db), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	client := ts.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	h := &harness{db: db, srv: srv, ts: ts, client: client, accounts: accounts, logs: logs, actors: map[string]*actor{}}
	t.Cleanup(func() {
		if t.Failed() {
			for _, l := range logs.lines() {
				t.Log("server log: " + l)
			}
		}
	})

	// Hashing dominates set-up, so the accounts are made in parallel.
	ctx := context.Background()
	by := access.System("test harness")
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, len(testUsers))
	for _, tu := range testUsers {
		if !slices.Contains(keys, tu.key) {
			continue
		}
		wg.Go(func() {
			a, err := h.makeActor(ctx, by, tu.key, tu.u)
			if err != nil {
				errs <- fmt.Errorf("%s: %w", tu.key, err)
				return
			}
			mu.Lock()
			h.actors[tu.key] = a
			mu.Unlock()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return h
}

func (h *harness) makeActor(ctx context.Context, by access.Actor, key string, u account.User) (*actor, error) {
	u, err := h.accounts.CreateUser(ctx, by, u, password)
	if err != nil {
		return nil, err
	}
	a := &actor{key: key, user: u}
	if _, a.token, err = h.accounts.CreateToken(ctx, u.Actor(), key+" token", 0); err != nil {
		return nil, err
	}
	if a.session, a.csrf, err = h.signIn(ctx, u.Email); err != nil {
		return nil, err
	}
	return a, nil
}

// signIn opens a new session for the account and returns its cookie and
// CSRF token.
func (h *harness) signIn(ctx context.Context, email string) (session, csrf string, err error) {
	_, session, err = h.accounts.SignIn(ctx, email, password, "192.0.2.1", "harness")
	if err != nil {
		return "", "", err
	}
	a, err := h.accounts.FromSession(ctx, session)
	if err != nil {
		return "", "", err
	}
	return session, a.SessionCSRF, nil
}

// freshSession returns a copy of the actor with a session of its own, for
// requests that end their session.
func (h *harness) freshSession(t testing.TB, a *actor) *actor {
	t.Helper()
	if a == nil {
		return nil
	}
	b := *a
	var err error
	if b.session, b.csrf, err = h.signIn(context.Background(), a.user.Email); err != nil {
		t.Fatal(err)
	}
	return &b
}

// auth says how a request proves who makes it.
type auth int

const (
	viaSession auth = iota // the session cookie, and CSRF token for unsafe methods
	viaToken               // Authorization: Bearer
)

// call is one request to the test server.
type call struct {
	method string
	path   string
	as     *actor // nil for the public
	via    auth
	// body is sent as is, with ctype as Content-Type (application/json by
	// default).
	body  string
	ctype string
	// form is sent as an HTML form, with the CSRF token added unless
	// noCSRF.
	form   url.Values
	noCSRF bool
	header map[string]string
}

// response is a response with its body read.
type response struct {
	status int
	header http.Header
	body   string
}

func (r response) String() string {
	body := r.body
	if len(body) > 600 {
		body = body[:600] + "…"
	}
	return fmt.Sprintf("%d %s\n%s", r.status, r.header.Get("Content-Type"), body)
}

// do sends the call and reads the response; it does not follow redirects.
func (h *harness) do(t testing.TB, c call) response {
	t.Helper()
	return h.send(t, h.request(t, c))
}

// request prepares the call's request.
func (h *harness) request(t testing.TB, c call) *http.Request {
	t.Helper()
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	ctype := c.ctype
	switch {
	case c.form != nil:
		form := url.Values{}
		for k, v := range c.form {
			form[k] = v
		}
		if !c.noCSRF {
			if c.as != nil {
				form.Set("csrf", c.as.csrf)
			} else {
				form.Set("csrf", publicCSRF)
			}
		}
		body = strings.NewReader(form.Encode())
		ctype = "application/x-www-form-urlencoded"
	case c.body != "":
		body = strings.NewReader(c.body)
		if ctype == "" {
			ctype = "application/json"
		}
	}
	req, err := http.NewRequest(method, h.ts.URL+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	unsafe := method != http.MethodGet && method != http.MethodHead
	switch {
	case c.as == nil:
		req.AddCookie(&http.Cookie{Name: "cpcj_csrf", Value: publicCSRF})
	case c.via == viaToken:
		req.Header.Set("Authorization", "Bearer "+c.as.token)
	default:
		req.AddCookie(&http.Cookie{Name: web.SessionCookie(false), Value: c.as.session})
		if unsafe && c.form == nil && !c.noCSRF {
			req.Header.Set("X-CSRF-Token", c.as.csrf)
		}
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	return req
}

// send sends a prepared request.
func (h *harness) send(t testing.TB, req *http.Request) response {
	t.Helper()
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// get is a GET as the actor (nil for the public), by session.
func (h *harness) get(t testing.TB, path string, as *actor) response {
	t.Helper()
	return h.do(t, call{path: path, as: as})
}

var staticRe = regexp.MustCompile(`/static/(style\.[0-9a-f]+\.css)`)

// staticFile returns the hashed name of the style sheet.
func (h *harness) staticFile(t testing.TB) string {
	t.Helper()
	m := staticRe.FindStringSubmatch(h.get(t, "/signin", nil).body)
	if m == nil {
		t.Fatal("the sign-in page links no style sheet")
	}
	return m[1]
}

// problem is a problem document as a client reads it.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Instance  string `json:"instance"`
	RequestID string `json:"request_id"`
	Errors    []struct {
		Field  string `json:"field"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

// problemOf checks that r is a problem document with the status and, when
// field is not empty, that its first error names field.
func problemOf(t testing.TB, r response, status int, field string) problem {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d\n%s", r.status, status, r)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json\n%s", ct, r)
	}
	var p problem
	if err := json.Unmarshal([]byte(r.body), &p); err != nil {
		t.Fatalf("problem document: %v\n%s", err, r)
	}
	if p.Status != status || p.Title == "" || p.Type == "" || p.Detail == "" || p.RequestID == "" {
		t.Errorf("problem document %+v lacks status %d, title, type, detail or request id", p, status)
	}
	if field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != field) {
		t.Errorf("errors = %+v, want the first to name %q\n%s", p.Errors, field, r)
	}
	if status == http.StatusUnauthorized && r.header.Get("WWW-Authenticate") == "" {
		t.Errorf("401 without WWW-Authenticate")
	}
	return p
}

// decodeJSON reads a JSON response body into v, failing the test on a
// status other than want.
func decodeJSON(t testing.TB, r response, want int, v any) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d\n%s", r.status, want, r)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("decode %T: %v\n%s", v, err, r)
	}
}

// logRecorder keeps what the server logs at warning level and above, so
// that tests can show it and check that nothing failed inside.
type logRecorder struct {
	mu      sync.Mutex
	records []string
	errors  int
	attrs   []slog.Attr
	parent  *logRecorder // set on handlers made by WithAttrs
}

func (l *logRecorder) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelWarn
}

func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
	for _, a := range l.attrs {
		fmt.Fprintf(&b, " %s", a)
	}
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s", a)
		return true
	})
	root := l.root()
	root.mu.Lock()
	defer root.mu.Unlock()
	root.records = append(root.records, b.String())
	if r.Level >= slog.LevelError {
		root.errors++
	}
	return nil
}

func (l *logRecorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logRecorder{attrs: append(append([]slog.Attr{}, l.attrs...), attrs...), parent: l.root()}
}

func (l *logRecorder) WithGroup(string) slog.Handler { return l }

func (l *logRecorder) root() *logRecorder {
	if l.parent != nil {
		return l.parent
	}
	return l
}

func (l *logRecorder) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.records...)
}

// errorCount is the number of errors logged so far.
func (l *logRecorder) errorCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.errors
}
