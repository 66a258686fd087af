// Package e2e tests cpcj as its users meet it: the real binary, serving a
// real database, driven through a headless Chromium.
//
// The test needs a Chromium or Chrome on PATH. Without one it is skipped,
// unless CPCJ_E2E=1 (as CI sets it), where a missing browser fails the run.
// With CPCJ_E2E_SCREENSHOTS=DIR it saves full-page screenshots of the main
// pages, at desktop and mobile widths, into DIR. With CPCJ_TEST_DATABASE_URL
// set it runs once more against PostgreSQL.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// The environment variables of the test.
const (
	envRequire = "CPCJ_E2E"             // "1": fail, not skip, without a browser
	envShots   = "CPCJ_E2E_SCREENSHOTS" // a directory for screenshots
)

// account is a user the test creates and signs in as.
type account struct {
	Email, Name, Role, State, Password string
	RoleText                           string // the role as the header shows it
}

func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped in -short mode")
	}
	browser := findBrowser(t)
	bin := buildCPCJ(t)

	engines := []store.Engine{store.SQLite}
	if os.Getenv(storetest.EnvURL) != "" {
		engines = append(engines, store.Postgres)
	}
	for i, engine := range engines {
		t.Run(string(engine), func(t *testing.T) {
			shots := ""
			if i == 0 { // the pages look the same on every engine
				shots = os.Getenv(envShots)
			}
			e := setup(t, bin, browser, engine, shots)
			e.run(t)
		})
	}
}

// findBrowser returns the path of Chromium or Chrome, or skips the test.
func findBrowser(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(envRequire) == "1" {
		t.Fatalf("%s=1 but no chromium, chromium-browser or google-chrome is on PATH", envRequire)
	}
	t.Skipf("no chromium, chromium-browser or google-chrome on PATH (set %s=1 to make this a failure)", envRequire)
	return ""
}

// buildCPCJ builds the cpcj binary into a temporary directory.
func buildCPCJ(t *testing.T) string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build cpcj: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "cpcj")
	cmd := exec.Command(goCmd, "build", "-o", bin, "./cmd/cpcj")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/cpcj: %v\n%s", err, out)
	}
	return bin
}

// env is one running server, its accounts, and a browser.
type env struct {
	bin     string
	db      string
	base    string          // the server's URL, without a final slash
	browser context.Context // a chromedp context whose browser runs
	shots   string          // where screenshots go; empty for none
	admin   *account
	focal   *account
}

func setup(t *testing.T, bin, browserPath string, engine store.Engine, shots string) *env {
	e := &env{bin: bin, db: storetest.URL(t, engine), shots: shots}
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e.admin = &account{Email: "amina.diallo@example.org", Name: "Amina Diallo", Role: "admin",
		Password: "correct horse battery staple", RoleText: "Administrator"}
	e.focal = &account{Email: "wanjiru.kamau@example.go.ke", Name: "Wanjiru Kamau", Role: "focal_point", State: "KEN",
		Password: "long enough passphrase 42", RoleText: "Focal point for KEN"}

	e.cli(t, "", "migrate", "--database", e.db)
	for _, a := range []*account{e.admin, e.focal} {
		args := []string{"user", "add", "--database", e.db, "--email", a.Email, "--name", a.Name, "--role", a.Role, "--password-stdin"}
		if a.State != "" {
			args = append(args, "--state", a.State)
		}
		e.cli(t, a.Password+"\n", args...)
	}
	e.serve(t, engine)
	e.startBrowser(t, browserPath)
	return e
}

// cpcjEnv is the environment of the cpcj processes: the test's, without
// any CPCJ_ setting that could point them elsewhere.
func cpcjEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CPCJ_") {
			out = append(out, kv)
		}
	}
	return out
}

// cli runs a cpcj command to its end.
func (e *env) cli(t *testing.T, stdin string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.bin, args...)
	cmd.Env = cpcjEnv()
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cpcj %s: %v\n%s", strings.Join(args[:min(2, len(args))], " "), err, out)
	}
}

// lockedBuffer collects a process's output while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serve starts cpcj serve on a free port and waits until it is ready.
func (e *env) serve(t *testing.T, engine store.Engine) {
	t.Helper()
	addr := freeAddr(t)
	e.base = "http://" + addr
	args := []string{"serve", "--addr", addr, "--base-url", e.base, "--database", e.db, "--log-format", "text", "--log-level", "warn"}
	if engine == store.Postgres {
		args = append(args, "--migrate")
	}
	cmd := exec.Command(e.bin, args...)
	cmd.Env = cpcjEnv()
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("cpcj serve did not stop within 15 s of SIGINT")
		}
		if t.Failed() {
			t.Logf("output of cpcj serve:\n%s", out.String())
		}
	})

	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("cpcj serve exited: %v\n%s", err, out.String())
		default:
		}
		res, err := httpClient.Get(e.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("cpcj serve was not ready within 30 s (last: %v)\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// httpClient is for the test's own requests to the server.
var httpClient = &http.Client{Timeout: 10 * time.Second}

// freeAddr returns a loopback address with a port free at the moment.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startBrowser launches a headless Chromium with a fresh profile. The
// flags keep it from reaching any host but the test server.
func (e *env) startBrowser(t *testing.T, path string) {
	t.Helper()
	profile, err := os.MkdirTemp("", "cpcj-e2e-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,AutofillServerCommunication"),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("lang", "en-GB"),
		chromedp.Flag("accept-lang", "en-GB,en"),
		chromedp.WindowSize(1280, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		os.RemoveAll(profile)
	})
	start, cancelStart := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelStart()
	errc := make(chan error, 1)
	go func() { errc <- chromedp.Do(ctx) }()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("start %s: %v", path, err)
		}
	case <-start.Done():
		t.Fatalf("%s did not start within 30 s", path)
	}
	e.browser = ctx
}

// actionTimeout bounds every browser action, waits included, so that a
// page that never shows what the test waits for fails the test quickly.
const actionTimeout = 20 * time.Second

// tab is a browser tab in a browser context of its own, so that it shares
// no cookies with other tabs.
type tab struct {
	t    *testing.T
	e    *env
	ctx  context.Context // the tab's; actions run in a child with a timeout
	base string
}

// newTab opens a tab with fresh cookies, closed when the test ends.
func (e *env) newTab(t *testing.T) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(e.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // opens the tab
		t.Fatalf("open a tab: %v", err)
	}
	b := &tab{t: t, e: e, ctx: ctx, base: e.base}
	b.do(chromedp.EmulateViewport(1280, 900))
	return b
}

// timed returns a context for one action.
func (b *tab) timed() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, actionTimeout)
}

// do runs actions, failing the test on an error.
func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.timed()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%v (at %s)", err, b.location())
	}
}

// run runs one action that returns a value, failing the test on an error.
func run[T any](b *tab, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := b.timed()
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%v (at %s)", err, b.location())
	}
	return v
}

// click clicks the element and waits for the page that loads; it returns
// that page's HTTP status.
func (b *tab) click(sel string) (int, error) {
	ctx, cancel := b.timed()
	defer cancel()
	res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		return 0, err
	}
	if res == nil {
		return 0, fmt.Errorf("no page loaded")
	}
	return int(res.Status), nil
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *tab, js string) T {
	b.t.Helper()
	return run(b, chromedp.Evaluate[T](js))
}

// location is the tab's URL, for messages.
func (b *tab) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	return u
}

// path is the tab's URL without the server part.
func (b *tab) path() string {
	b.t.Helper()
	return strings.TrimPrefix(run(b, chromedp.Location()), b.base)
}

// open navigates to a path of the server and returns the HTTP status.
func (b *tab) open(path string) int {
	b.t.Helper()
	res := run(b, chromedp.NavigateResponse(b.base+path))
	if res == nil {
		b.t.Fatalf("open %s: no response", path)
	}
	return int(res.Status)
}

// submit clicks a button that sends a form, or a link, and waits for the
// page that answers; it returns that page's HTTP status.
func (b *tab) submit(sel string) int {
	b.t.Helper()
	st, err := b.click(sel)
	if err != nil {
		b.t.Fatalf("click %s: %v (at %s)", sel, err, b.location())
	}
	return st
}

// text is the visible text of the first element the CSS selector matches.
func (b *tab) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(run(b, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible)))
}

// has reports whether an element matches the CSS selector now.
func (b *tab) has(sel string) bool {
	b.t.Helper()
	return eval[bool](b, fmt.Sprintf("document.querySelector(%s) !== null", jsString(sel)))
}

// fill types value into the field, replacing what it held.
func (b *tab) fill(sel, value string) {
	b.t.Helper()
	b.do(chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), value))
}

// signIn signs in on the sign-in page the tab shows.
func (b *tab) signInHere(a *account) int {
	b.t.Helper()
	b.do(chromedp.WaitVisible(chromedp.CSS("#email")))
	b.fill("#email", a.Email)
	b.fill("#password", a.Password)
	return b.submit(`main form[action="/signin"] button[type="submit"]`)
}

// signIn opens the sign-in page and signs in, landing on the home page.
func (b *tab) signIn(a *account) {
	b.t.Helper()
	if st := b.open("/signin"); st != http.StatusOK {
		b.t.Fatalf("GET /signin: status %d", st)
	}
	if st := b.signInHere(a); st != http.StatusOK {
		b.t.Fatalf("sign in as %s: status %d", a.Email, st)
	}
	b.wantSignedIn(a)
}

// wantSignedIn checks that the header names the user and their role.
func (b *tab) wantSignedIn(a *account) {
	b.t.Helper()
	if got := b.text(`header.site .session a[href="/account"]`); got != a.Name {
		b.t.Errorf("header shows %q as the user's name, want %q", got, a.Name)
	}
	if got := b.text("header.site .session .role"); got != a.RoleText {
		b.t.Errorf("header shows %q as the role, want %q", got, a.RoleText)
	}
}

// signOut presses the header's sign-out button.
func (b *tab) signOut() {
	b.t.Helper()
	if st := b.submit(`header.site form[action="/signout"] button`); st != http.StatusOK {
		b.t.Fatalf("sign out: status %d", st)
	}
}

// shoot saves full-page screenshots of the page at desktop and mobile
// widths, when screenshots are asked for.
func (b *tab) shoot(name string) {
	b.t.Helper()
	if b.e.shots == "" {
		return
	}
	sizes := []struct {
		suffix string
		action chromedp.Action[chromedp.Void]
	}{
		{"desktop", chromedp.EmulateViewport(1280, 900)},
		{"mobile", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(1))},
	}
	// Chromium draws a full-page capture of a right-to-left page shifted
	// sideways unless the viewport is emulated as a mobile one; at these
	// widths, with a device-width viewport, that lays out the same.
	rtl := eval[bool](b, `document.documentElement.dir === "rtl"`)
	for _, s := range sizes {
		if rtl && s.suffix == "desktop" {
			s.action = chromedp.EmulateViewport(1280, 900, chromedp.EmulateMobile)
		}
		b.do(s.action)
		// Let the page lay out at its new width before capturing it.
		run(b, chromedp.Evaluate[bool](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise))
		b.noSideScroll(name + " " + s.suffix)
		png := run(b, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(b.e.shots, name+"-"+s.suffix+".png"), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do(chromedp.EmulateViewport(1280, 900))
}

// noSideScroll checks that the page fits the width of the window: a page
// that scrolls sideways hides part of itself, on a phone above all. Wide
// tables may scroll inside their own box. On failure it names the elements
// that stick out furthest, which are the ones to fix.
func (b *tab) noSideScroll(what string) {
	b.t.Helper()
	over := eval[[]string](b, `(() => {
		const w = document.documentElement.clientWidth, sw = document.documentElement.scrollWidth;
		if (sw <= w) return [];
		const out = [];
		for (const el of document.querySelectorAll("body *")) {
			const r = el.getBoundingClientRect();
			if (r.width > 0 && (r.right >= sw - 1 || r.left < -1)) {
				out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + String(el.className).replace(/ /g, ".") : "") +
					" [" + Math.round(r.left) + "," + Math.round(r.right) + "]");
			}
		}
		return ["page " + sw + " px wide in a " + w + " px window", ...out.slice(-6)];
	})()`)
	if len(over) > 0 {
		b.t.Errorf("%s scrolls sideways: %s", what, strings.Join(over, "; "))
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

func (e *env) run(t *testing.T) {
	// The order matters where a test changes state: the password change
	// comes last, and the tests after it use the new password.
	t.Run("skip link is the first Tab stop", e.testSkipLink)
	t.Run("sign in lands on next", e.testSignInNext)
	t.Run("failed sign in", e.testFailedSignIn)
	t.Run("sign out", e.testSignOut)
	t.Run("signed-out account page leads back after sign in", e.testSignInRedirect)
	t.Run("forbidden page", e.testForbidden)
	t.Run("not found page", e.testNotFound)
	t.Run("navigation", e.testNavigation)
	t.Run("languages", e.testLanguages)
	t.Run("states filter", e.testStatesFilter)
	t.Run("API token", e.testAPIToken)
	t.Run("instrument status on a date", e.testInstrumentStatus)
	t.Run("a State's treaties", e.testStateTreaties)
	t.Run("status annex and its downloads", e.testAnnex)
	t.Run("treaty records and their rules", e.testTreatyRecords)
	t.Run("treaty pages in French and Arabic", e.testTreatyLanguages)
	t.Run("data explorer: build a view and download it", e.testExplorer)
	t.Run("a country's statistics", e.testStatsArea)
	t.Run("annual collection: round, workbook, query, publication, SDMX as of", e.testCollection)
	t.Run("pages fit a phone screen", e.testPhoneWidth)
	t.Run("accessibility (WCAG 2.1 AA, axe-core)", e.testAccessibility)
	t.Run("change password", e.testChangePassword)
	t.Run("screenshots", e.testScreenshots)
}

func (e *env) testSkipLink(t *testing.T) {
	b := e.newTab(t)
	b.open("/")
	b.do(chromedp.WaitVisible(chromedp.CSS("main h1")), chromedp.KeyEvent(kb.Tab))
	got := eval[string](b, `(() => { const a = document.activeElement; return a ? a.tagName + "." + a.className + " " + a.getAttribute("href") + " " + a.textContent.trim() : "" })()`)
	if want := "A.skip #main Skip to content"; got != want {
		t.Errorf("the first Tab focuses %q, want %q", got, want)
	}
	// Once focused, the link is on screen.
	top := eval[float64](b, `document.activeElement.getBoundingClientRect().top`)
	if top < 0 {
		t.Errorf("the focused skip link is off screen (top %v px)", top)
	}
	b.shoot("skip-link-focused")
	// Following it moves the focus to the content.
	b.do(chromedp.KeyEvent(kb.Enter))
	if got := eval[string](b, `document.activeElement.id`); got != "main" {
		t.Errorf("after following the skip link the focus is on #%s, want #main", got)
	}
}

func (e *env) testSignInNext(t *testing.T) {
	b := e.newTab(t)
	if st := b.open("/signin?next=" + url.QueryEscape("/states/KEN")); st != http.StatusOK {
		t.Fatalf("GET /signin: status %d", st)
	}
	if got := b.text("main h1"); got != "Sign in" {
		t.Errorf("h1 %q, want Sign in", got)
	}
	if st := b.signInHere(e.admin); st != http.StatusOK {
		t.Fatalf("sign in: status %d", st)
	}
	if got := b.path(); got != "/states/KEN" {
		t.Errorf("signing in with ?next=/states/KEN landed on %s", got)
	}
	if got := b.text("main h1"); got != "Kenya" {
		t.Errorf("h1 %q, want Kenya", got)
	}
	b.wantSignedIn(e.admin)
	if b.has(`header.site a[href="/signin"]`) {
		t.Error("the header still offers to sign in")
	}
}

func (e *env) testFailedSignIn(t *testing.T) {
	b := e.newTab(t)
	b.open("/signin")
	wrong := *e.focal
	wrong.Password = "not the password at all"
	st := b.signInHere(&wrong)
	if st != http.StatusUnauthorized {
		t.Errorf("a wrong password answers %d, want 401", st)
	}
	if got := b.text("#signin-error"); got != "The e-mail address or password is not right." {
		t.Errorf("error message %q", got)
	}
	if got := run(b, chromedp.Value(chromedp.CSS("#email"))); got != e.focal.Email {
		t.Errorf("the e-mail field holds %q after the failure, want %q", got, e.focal.Email)
	}
	if got := run(b, chromedp.Value(chromedp.CSS("#password"))); got != "" {
		t.Errorf("the password field is not emptied after the failure")
	}
	if got := eval[string](b, `document.querySelector("#email").getAttribute("aria-invalid")`); got != "true" {
		t.Errorf("the e-mail field has aria-invalid=%q, want true", got)
	}
	if !b.has(`header.site a[href="/signin"]`) {
		t.Error("after a failed sign-in the header does not offer to sign in")
	}
	b.shoot("signin-failed")
	// The right password still works after one failure.
	if st := b.signInHere(e.focal); st != http.StatusOK {
		t.Fatalf("sign in after a failure: status %d", st)
	}
	b.wantSignedIn(e.focal)
}

func (e *env) testSignOut(t *testing.T) {
	b := e.newTab(t)
	b.signIn(e.focal)
	b.open("/account")
	b.signOut()
	if got := b.path(); got != "/?done=signed_out" {
		t.Errorf("signing out led to %s, want /?done=signed_out", got)
	}
	if got := b.text("main .notice"); got != "You are signed out." {
		t.Errorf("notice %q", got)
	}
	if !b.has(`header.site a[href="/signin"]`) || b.has(`header.site a[href="/account"]`) {
		t.Error("after signing out the header still shows the account")
	}
	// The session is gone: the account page asks to sign in again.
	b.open("/account")
	if got := b.path(); !strings.HasPrefix(got, "/signin") {
		t.Errorf("after signing out /account shows %s, want the sign-in page", got)
	}
}

func (e *env) testSignInRedirect(t *testing.T) {
	b := e.newTab(t)
	if st := b.open("/account"); st != http.StatusOK {
		t.Errorf("GET /account signed out ends with status %d, want 200 (the sign-in page)", st)
	}
	if got, want := b.path(), "/signin?next="+url.QueryEscape("/account"); got != want {
		t.Errorf("signed out, /account led to %s, want %s", got, want)
	}
	if got := b.text("main h1"); got != "Sign in" {
		t.Errorf("h1 %q, want Sign in", got)
	}
	if st := b.signInHere(e.admin); st != http.StatusOK {
		t.Fatalf("sign in: status %d", st)
	}
	if got := b.path(); got != "/account" {
		t.Errorf("after signing in the browser is on %s, want /account", got)
	}
	if got := b.text("main h1"); got != "Your account" {
		t.Errorf("h1 %q, want Your account", got)
	}
	b.wantSignedIn(e.admin)
	if got := eval[string](b, `document.querySelector('header.site a[href="/account"]').getAttribute("aria-current")`); got != "page" {
		t.Errorf("the header's account link has aria-current=%q on the account page, want page", got)
	}
}

func (e *env) testForbidden(t *testing.T) {
	b := e.newTab(t)
	b.signIn(e.focal)
	if b.has(`header.site nav a[href="/audit"]`) {
		t.Error("the navigation offers the audit trail to a focal point")
	}
	if st := b.open("/audit"); st != http.StatusForbidden {
		t.Errorf("a focal point opening /audit gets status %d, want 403", st)
	}
	if got := b.text("main h1"); got != "Not allowed" {
		t.Errorf("h1 %q, want Not allowed", got)
	}
	body := b.text("main")
	if !strings.Contains(body, "ask an administrator") {
		t.Errorf("the 403 page does not say what to do:\n%s", body)
	}
	if !b.has(`main a[href="/"]`) {
		t.Error("the 403 page has no link to the home page")
	}
	if b.has(`main a[href^="/signin"]`) {
		t.Error("the 403 page offers a signed-in user to sign in")
	}
	b.wantSignedIn(e.focal)
	b.shoot("error-403")
	// The link home works.
	if st, err := b.click(`main a[href="/"]`); err != nil || st != http.StatusOK {
		t.Errorf("following the home link: status %d, %v", st, err)
	} else if got := b.path(); got != "/" {
		t.Errorf("the home link led to %s", got)
	}
}

func (e *env) testNotFound(t *testing.T) {
	b := e.newTab(t)
	if st := b.open("/no/such/page"); st != http.StatusNotFound {
		t.Errorf("GET /no/such/page: status %d, want 404", st)
	}
	if got := b.text("main h1"); got != "Page not found" {
		t.Errorf("h1 %q, want Page not found", got)
	}
	if !b.has(`main a[href="/"]`) {
		t.Error("the 404 page has no link to the home page")
	}
	b.shoot("error-404")
	if st := b.open("/states/XYZ"); st != http.StatusNotFound {
		t.Errorf("GET /states/XYZ: status %d, want 404", st)
	}
}

func (e *env) testNavigation(t *testing.T) {
	b := e.newTab(t)
	b.signIn(e.admin)
	links := eval[[]string](b, `[...document.querySelectorAll("header.site nav a")].map(a => a.getAttribute("href"))`)
	want := []string{"/", "/states", "/treaties", "/statistics", "/collection", "/reviews", "/assistance", "/funding", "/cooperation", "/library", "/reports", "/admin/users", "/audit"}
	if strings.Join(links, " ") != strings.Join(want, " ") {
		t.Errorf("an administrator's navigation links are\n%v, want\n%v", links, want)
	}
	for _, href := range links {
		// Follow the link as a user would: click it on the page before.
		st, err := b.click(fmt.Sprintf(`header.site nav a[href=%s]`, jsString(href)))
		if err != nil {
			t.Errorf("click %s: %v", href, err)
			continue
		}
		if st != http.StatusOK {
			t.Errorf("%s: status %d", href, st)
		}
		if got := b.path(); got != href {
			t.Errorf("the link %s led to %s", href, got)
		}
		if h1 := b.text("main h1"); h1 == "" {
			t.Errorf("%s: no h1", href)
		}
		current := eval[[]string](b, `[...document.querySelectorAll('header.site nav a[aria-current="page"]')].map(a => a.getAttribute("href"))`)
		if len(current) != 1 || current[0] != href {
			t.Errorf("%s: the links marked aria-current=page are %v, want [%s]", href, current, href)
		}
		if title := run(b, chromedp.Title()); !strings.HasSuffix(title, "· cpcj") || strings.HasPrefix(title, " ") {
			t.Errorf("%s: title %q", href, title)
		}
	}

	// A focal point sees the accounts of their State, but not the audit trail.
	f := e.newTab(t)
	f.signIn(e.focal)
	if f.has(`header.site nav a[href="/audit"]`) {
		t.Error("a focal point's navigation links to the audit trail")
	}
}

func (e *env) testLanguages(t *testing.T) {
	b := e.newTab(t)
	b.open("/signin")
	if got := eval[string](b, `document.documentElement.lang + " " + document.documentElement.dir`); got != "en ltr" {
		t.Errorf("<html> lang and dir %q, want en ltr", got)
	}
	if st := b.submit(`footer.site .languages button[value="fr"]`); st != http.StatusOK {
		t.Fatalf("switch to French: status %d", st)
	}
	if got := b.path(); got != "/signin" {
		t.Errorf("switching language led to %s, want back to /signin", got)
	}
	if got := b.text("main h1"); got != "Se connecter" {
		t.Errorf("in French the sign-in h1 is %q, want Se connecter", got)
	}
	if got := b.text(`label[for="password"]`); got != "Mot de passe" {
		t.Errorf("in French the password label is %q, want Mot de passe", got)
	}
	if got := eval[string](b, `document.documentElement.lang + " " + document.documentElement.dir`); got != "fr ltr" {
		t.Errorf("<html> lang and dir %q, want fr ltr", got)
	}
	if got := eval[string](b, `document.querySelector('.languages button[aria-pressed="true"]').value`); got != "fr" {
		t.Errorf("the pressed language button is %q, want fr", got)
	}
	b.shoot("signin-fr")

	if st := b.submit(`footer.site .languages button[value="ar"]`); st != http.StatusOK {
		t.Fatalf("switch to Arabic: status %d", st)
	}
	if got := eval[string](b, `document.documentElement.lang + " " + document.documentElement.dir`); got != "ar rtl" {
		t.Errorf("<html> lang and dir %q, want ar rtl", got)
	}
	if got := b.text("main h1"); got != "تسجيل الدخول" {
		t.Errorf("in Arabic the sign-in h1 is %q", got)
	}
	// Right to left, the form starts at the right edge.
	if got := eval[string](b, `getComputedStyle(document.querySelector("main")).direction`); got != "rtl" {
		t.Errorf("main's direction is %q, want rtl", got)
	}
	left := eval[float64](b, `document.querySelector("main h1").getBoundingClientRect().left`)
	right := eval[float64](b, `document.documentElement.clientWidth - document.querySelector("main h1").getBoundingClientRect().right`)
	if right > left {
		t.Errorf("in Arabic the h1 is not on the right (left gap %v px, right gap %v px)", left, right)
	}
	b.shoot("signin-ar")

	// The choice holds on other pages, and RTL tables read from the right.
	b.open("/states?group=AG")
	if got := eval[string](b, `document.documentElement.dir`); got != "rtl" {
		t.Errorf("on /states the dir is %q after choosing Arabic", got)
	}
	b.shoot("states-ar")
	b.open("/no/such/page")
	b.shoot("error-404-ar")

	b.open("/signin")
	if st := b.submit(`footer.site .languages button[value="en"]`); st != http.StatusOK {
		t.Fatalf("switch back to English: status %d", st)
	}
	if got := eval[string](b, `document.documentElement.lang + " " + document.documentElement.dir`); got != "en ltr" {
		t.Errorf("<html> lang and dir %q after switching back, want en ltr", got)
	}
}

func (e *env) testStatesFilter(t *testing.T) {
	b := e.newTab(t)
	b.open("/states")
	all := eval[int](b, `document.querySelectorAll("main table tbody tr").length`)
	if all < 190 {
		t.Errorf("the states page lists %d participants, want all of them (more than 190)", all)
	}
	b.do(chromedp.SetValue(chromedp.CSS("#group"), "WEOG"))
	if st := b.submit(`form.filters button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("filter: status %d", st)
	}
	if got := b.path(); !strings.Contains(got, "group=WEOG") {
		t.Errorf("the filter led to %s", got)
	}
	rows := eval[int](b, `document.querySelectorAll("main table tbody tr").length`)
	if rows != 29 {
		t.Errorf("WEOG lists %d participants, want 29", rows)
	}
	if got := b.text(`main p[role="status"]`); !strings.HasPrefix(got, "29 participants shown") {
		t.Errorf("status line %q, want 29 participants shown", got)
	}
	groups := eval[[]string](b, `[...new Set([...document.querySelectorAll("main table tbody tr td:nth-child(4)")].map(td => td.textContent.trim()))]`)
	if len(groups) != 1 || groups[0] != "Western European and other States" {
		t.Errorf("the WEOG list shows the groups %q", groups)
	}
	if got := run(b, chromedp.Value(chromedp.CSS("#group"))); got != "WEOG" {
		t.Errorf("after filtering the group select shows %q, want WEOG", got)
	}
	// A name links to the State's page.
	if st := b.submit(`main table a[href="/states/FRA"]`); st != http.StatusOK {
		t.Fatalf("open France: status %d", st)
	}
	if got := b.text("main h1"); got != "France" {
		t.Errorf("h1 %q, want France", got)
	}
}

func (e *env) testAPIToken(t *testing.T) {
	b := e.newTab(t)
	b.signIn(e.focal)
	b.open("/account")
	if b.has("#new-token") {
		t.Fatal("the account page shows a token before one is made")
	}
	b.fill("#token-name", "ministry statistics upload")
	b.do(chromedp.SetValue(chromedp.CSS("#days"), "30"))
	if st := b.submit(`form[action="/account/tokens"] button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("create token: status %d", st)
	}
	token := b.text("#new-token")
	if len(token) < 20 {
		t.Fatalf("the new token %q looks too short", token)
	}
	if !strings.Contains(b.text("main .callout pre"), token) {
		t.Error("the usage example does not carry the new token")
	}
	if got := b.text("main table tbody th"); got != "ministry statistics upload" {
		t.Errorf("the token list shows %q", got)
	}
	b.shoot("account-token")

	// The token works with the API, as the account that made it.
	req, _ := http.NewRequest(http.MethodGet, e.base+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/me with the token: %s\n%s", res.Status, body)
	}
	var me struct {
		Email string `json:"email"`
		Role  string `json:"role"`
		State string `json:"state"`
	}
	if err := json.Unmarshal(body, &me); err != nil {
		t.Fatalf("GET /api/v1/me: %v\n%s", err, body)
	}
	if me.Email != e.focal.Email || me.Role != "focal_point" || me.State != "KEN" {
		t.Errorf("GET /api/v1/me with the token answers %+v", me)
	}
	// Without it, or with a wrong one, the API refuses.
	req.Header.Set("Authorization", "Bearer "+token+"x")
	if res, err := httpClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET /api/v1/me with a wrong token: %s, want 401", res.Status)
		}
	}

	// It is shown once: the page shows it no more.
	b.open("/account")
	if b.has("#new-token") || strings.Contains(b.text("main"), token) {
		t.Error("the account page shows the token's secret again")
	}
	if !strings.HasPrefix(token, strings.TrimSuffix(b.text("main table tbody td code"), "…")) {
		t.Errorf("the listed prefix %q does not start the token", b.text("main table tbody td code"))
	}
	// Revoke it, and the API refuses it.
	if st := b.submit(`main table form[action$="/revoke"] button`); st != http.StatusOK {
		t.Fatalf("revoke: status %d", st)
	}
	if got := b.text("main .notice"); got != "The token was revoked." {
		t.Errorf("notice %q", got)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if res, err := httpClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET /api/v1/me with a revoked token: %s, want 401", res.Status)
		}
	}
}

func (e *env) testPhoneWidth(t *testing.T) {
	b := e.newTab(t)
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	b.signIn(e.admin)
	b.open("/account")
	b.fill("#token-name", "phone width check")
	b.submit(`form[action="/account/tokens"] button[type="submit"]`)
	b.noSideScroll("/account with a new token")
	for _, path := range []string{"/", "/states", "/states/KEN", "/treaties", "/treaties/XVIII-12?date=2013-12-18", "/treaties/TOKYO-1963",
		"/treaties/annex?date=2013-12-18", "/treaties/records/new", "/treaties/import",
		"/api", "/admin/users", "/audit", "/notifications", "/sources/states", "/no/such/page",
		"/statistics", "/statistics?flow=OFFENCES&area=KEN,FRA,002", "/statistics/areas/KEN"} {
		b.open(path)
		b.noSideScroll(path)
	}
	b.submit(`footer.site .languages button[value="ar"]`)
	for _, path := range []string{"/", "/states", "/account", "/states/KEN", "/treaties", "/treaties/XVIII-12?date=2013-12-18", "/treaties/annex?date=2013-12-18", "/treaties/records/new",
		"/statistics", "/statistics/areas/KEN"} {
		b.open(path)
		b.noSideScroll(path + " in Arabic")
	}
	b.submit(`footer.site .languages button[value="en"]`)
}

func (e *env) testChangePassword(t *testing.T) {
	b := e.newTab(t)
	b.signIn(e.admin)
	other := e.newTab(t) // another session of the same user
	other.signIn(e.admin)

	b.open("/account")
	newPassword := "a different passphrase 2024"
	// A mismatch is refused and says why.
	b.fill("#current", e.admin.Password)
	b.fill("#password", newPassword)
	b.fill("#confirm", newPassword+"!")
	if st := b.submit(`form[action="/account/password"] button[type="submit"]`); st != http.StatusBadRequest && st != http.StatusUnprocessableEntity {
		t.Errorf("mismatched passwords: status %d, want 400 or 422", st)
	}
	if got := b.text("#pw-error"); !strings.Contains(got, "differ") {
		t.Errorf("mismatch error %q", got)
	}
	b.shoot("account-password-error")

	b.fill("#current", e.admin.Password)
	b.fill("#password", newPassword)
	b.fill("#confirm", newPassword)
	if st := b.submit(`form[action="/account/password"] button[type="submit"]`); st != http.StatusOK {
		t.Fatalf("change password: status %d", st)
	}
	if got := b.path(); got != "/account?done=password_changed" {
		t.Errorf("after the change the browser is on %s", got)
	}
	if got := b.text("main .notice"); !strings.HasPrefix(got, "Your password was changed.") {
		t.Errorf("notice %q", got)
	}
	old := e.admin.Password
	e.admin.Password = newPassword
	b.wantSignedIn(e.admin) // this session goes on

	// The other session was ended.
	other.open("/account")
	if got := other.path(); !strings.HasPrefix(got, "/signin") {
		t.Errorf("the other session still opens /account (at %s)", got)
	}
	// The old password no longer works; the new one does.
	c := e.newTab(t)
	c.open("/signin")
	stale := *e.admin
	stale.Password = old
	if st := c.signInHere(&stale); st != http.StatusUnauthorized {
		t.Errorf("sign in with the old password: status %d, want 401", st)
	}
	if st := c.signInHere(e.admin); st != http.StatusOK {
		t.Errorf("sign in with the new password: status %d", st)
	}
	c.wantSignedIn(e.admin)
}

// testScreenshots saves the main pages that the other tests do not.
func (e *env) testScreenshots(t *testing.T) {
	if e.shots == "" {
		t.Skipf("set %s to a directory to save screenshots", envShots)
	}
	b := e.newTab(t)
	for _, p := range []struct{ name, path string }{
		{"home-public", "/"},
		{"signin", "/signin"},
		{"states-public", "/states"},
		{"state-public", "/states/KEN"},
		{"api-reference", "/api"},
		{"treaties-public", "/treaties"},
		{"treaties-2003", "/treaties?date=2003-06-30"},
		{"instrument-untoc", "/treaties/XVIII-12"},
		{"instrument-uncac-2013", "/treaties/XVIII-14?date=2013-12-18"},
		{"instrument-single-convention", "/treaties/VI-15"},
		{"instrument-no-records", "/treaties/TOKYO-1963"},
		{"instrument-before-adoption", "/treaties/XVIII-14?date=2001-01-01"},
		{"annex", "/treaties/annex"},
		{"statistics", "/statistics"},
		{"statistics-regions", "/statistics?flow=HOMICIDE&area=AG,APG,EEG,GRULAC,WEOG&unit=RT100K&source_type=CJ"},
		{"statistics-area-africa", "/statistics/areas/002"},
		{"module", "/reviews"},
		{"sources", "/sources/states"},
	} {
		b.open(p.path)
		b.shoot(p.name)
	}
	b.signIn(e.admin)
	for _, p := range []struct{ name, path string }{
		{"home", "/"},
		{"states", "/states"},
		{"states-weog", "/states?group=WEOG"},
		{"state", "/states/KEN"},
		{"account", "/account"},
		{"users", "/admin/users"},
		{"user", userPath(t, b)},
		{"audit", "/audit"},
		{"audit-verified", "/audit?verify=1"},
		{"notifications", "/notifications"},
		{"treaties", "/treaties"},
		{"record-new", "/treaties/records/new"},
		{"import", "/treaties/import"},
	} {
		if st := b.open(p.path); st != http.StatusOK {
			t.Errorf("GET %s: status %d", p.path, st)
		}
		b.shoot(p.name)
	}
	f := e.newTab(t)
	f.signIn(e.focal)
	f.open("/")
	f.shoot("home-focal-point")
	f.open("/admin/users")
	f.shoot("users-focal-point")
}

// userPath finds the page of the focal point's account on the accounts page.
func userPath(t *testing.T, b *tab) string {
	b.open("/admin/users")
	href := eval[string](b, `(document.querySelector('main table a[href^="/admin/users/"]') || {}).pathname || ""`)
	if !regexp.MustCompile(`^/admin/users/\d+$`).MatchString(href) {
		t.Fatalf("no account link on /admin/users (%q)", href)
	}
	return href
}
