// Package web is cpcj's HTML user interface: pages rendered on the server
// from embedded templates, working without JavaScript, accessible and
// printable. It uses the same services as the JSON API.
package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/chart"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/i18n"
	"github.com/cpcj/cpcj/internal/job"
	"github.com/cpcj/cpcj/internal/notify"
	"github.com/cpcj/cpcj/internal/resolution"
	"github.com/cpcj/cpcj/internal/state"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/treaty"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Store is what the pages read beyond the account service.
type Store interface {
	state.Store
	notify.Store
	treaty.Store
	AuditRecords(ctx context.Context, by access.Actor, f audit.Filter) ([]audit.Record, error)
	VerifyAudit(ctx context.Context) (int64, *audit.Problem, error)
	SetLocale(ctx context.Context, by access.Actor, locale string) error
	// The statistics, for the data explorer and the country pages.
	stats.Store
	FlowUsage(ctx context.Context, flow string) (stats.Usage, error)
	StatisticsVersion(ctx context.Context) (int64, error)
	RegionalGroups(ctx context.Context) (map[string]string, error)
	// The collection's validation rules, which the secretariat edits.
	collect.RuleStore
	// The rounds of the collection and their progress (collect_rounds.go).
	collectionStore
	// The checks of the files focal points upload (collect_upload.go).
	collect.CheckStore
}

// Handler serves the pages.
type Handler struct {
	store      Store
	accounts   *account.Service
	treaties   *treaty.Service
	collect    *collect.Service
	jobs       *job.Runner
	world      func() (*chart.World, error) // the world map, loaded on first use
	bundle     *i18n.Bundle
	resolution *resolution.Text
	log        *slog.Logger
	secure     bool
	pages      map[string]*template.Template
	static     map[string]asset // by hashed name
	hashed     map[string]string
	apiDoc     *Reference
	version    string
	baseURL    string
	statsMu    sync.Mutex
	statsCache *statsMeta // see statsMeta
}

// CollectionPrefix is the path of the annual collection's pages; notices
// of the collection link below it.
const CollectionPrefix = "/collection"

// Options configure the UI.
type Options struct {
	Secure  bool   // served over TLS: cookies are Secure
	Version string // shown in the footer
	BaseURL string // the site's public URL, for examples on pages
	OpenAPI []byte // the API document, for the reference page
}

type asset struct {
	body        []byte
	contentType string
}

// Deps are the services the pages are made from.
type Deps struct {
	Store      Store
	Accounts   *account.Service
	Treaties   *treaty.Service
	Collect    *collect.Service // the annual collection of statistics
	Jobs       *job.Runner      // runs large uploads; nil refuses them
	Bundle     *i18n.Bundle
	Resolution *resolution.Text
	Log        *slog.Logger
}

// New parses the templates and hashes the static files.
func New(d Deps, opt Options) (*Handler, error) {
	h := &Handler{store: d.Store, accounts: d.Accounts, treaties: d.Treaties, collect: d.Collect, jobs: d.Jobs, bundle: d.Bundle, resolution: d.Resolution, log: d.Log,
		secure: opt.Secure, version: opt.Version, baseURL: opt.BaseURL, static: map[string]asset{}, hashed: map[string]string{},
		world: sync.OnceValues(func() (*chart.World, error) { return chart.LoadWorld(data.FS, "maps/countries-50m.json") })}
	if err := h.loadStatic(); err != nil {
		return nil, err
	}
	if err := h.parse(); err != nil {
		return nil, err
	}
	ref, err := NewReference(opt.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("API reference: %w", err)
	}
	h.apiDoc = ref
	return h, nil
}

func (h *Handler) loadStatic() error {
	return fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := strings.TrimPrefix(p, "static/")
		ext := path.Ext(name)
		hashedName := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = "application/octet-stream"
		}
		h.static[hashedName] = asset{body: b, contentType: ct}
		h.hashed[name] = "/static/" + hashedName
		return nil
	})
}

// Static serves the embedded static files under their hashed names, which
// change with their content, so they may be cached for a year.
func (h *Handler) Static(w http.ResponseWriter, r *http.Request) {
	a, ok := h.static[r.PathValue("file")]
	if !ok {
		h.Error(w, r, fail.New(fail.NotFound, "There is no such file."))
		return
	}
	w.Header().Set("Content-Type", a.contentType)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(a.body)
}

func (h *Handler) funcs() template.FuncMap {
	return template.FuncMap{
		"static": func(name string) (string, error) {
			p, ok := h.hashed[name]
			if !ok {
				return "", fmt.Errorf("no static file %q", name)
			}
			return p, nil
		},
		"groupName": state.GroupName,
		"add":       func(a, b int) int { return a + b },
		"iso":       func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"isoDate":   func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
		"str":       func(v any) string { return fmt.Sprint(v) },
		"now":       time.Now,
		"join":      strings.Join,
	}
}

// parse builds one template set per page: the layout and partials, plus
// the page file, which defines "title" and "content".
func (h *Handler) parse() error {
	base, err := template.New("").Funcs(h.funcs()).ParseFS(templateFS, "templates/_*.html")
	if err != nil {
		return err
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	h.pages = map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, f)
		if err != nil {
			return err
		}
		h.pages[name] = t
	}
	return nil
}

// Page is what every template receives.
type Page struct {
	L       *i18n.Locale
	Locales []*i18n.Locale
	Actor   access.Actor
	CSRF    string
	Unread  int
	Nav     string // the navigation entry of this page
	Path    string // the request's path and query, for the language switcher to come back to
	Done    string // message key of a completed action, from ?done=
	Version string
	Base    string // the site's public URL
	Request string // request id, for error pages
	Data    any
}

// T translates with the page's locale; a shortcut for templates.
func (p *Page) T(key string, args ...any) string { return p.L.T(key, args...) }

// Role names the actor's role and scope in the page's language.
func (p *Page) Role(a access.Actor) string {
	r := p.L.T("role." + string(a.Role))
	switch {
	case a.State != "":
		return p.L.T("role.for", "role", r, "scope", a.State)
	case a.Contributor != "":
		return p.L.T("role.for", "role", r, "scope", a.Contributor)
	}
	return r
}

// Can reports whether the page's actor may take the action, for showing
// links and forms only to those who can use them.
func (p *Page) Can(action string, state string) bool {
	return access.Allowed(p.Actor, access.Action(action), state)
}

// Locale returns the request's locale.
func (h *Handler) Locale(r *http.Request) *i18n.Locale {
	if l := i18n.FromContext(r.Context()); l != nil {
		return l
	}
	return h.bundle.Match("", r.Header.Get("Accept-Language"))
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request, nav string, data any) *Page {
	a := access.FromContext(r.Context())
	p := &Page{L: h.Locale(r), Locales: h.bundle.Locales(), Actor: a, Nav: nav, Path: r.URL.RequestURI(),
		Version: h.version, Base: h.baseURL, Request: audit.MetaFrom(r.Context()).RequestID, Data: data}
	p.CSRF = h.csrfToken(w, r)
	if done := r.URL.Query().Get("done"); done != "" && p.L.Has("done."+done) {
		p.Done = "done." + done
	}
	if a.SignedIn() {
		n, err := h.store.UnreadCount(r.Context(), a)
		if err != nil {
			h.log.WarnContext(r.Context(), "count unread notifications", "err", err)
		}
		p.Unread = n
	}
	return p
}

// render writes a page. Rendering goes to a buffer first, so a template
// error becomes a 500 page instead of half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name, nav string, data any) {
	h.renderPage(w, r, status, name, h.page(w, r, nav, data))
}

func (h *Handler) renderPage(w http.ResponseWriter, r *http.Request, status int, name string, p *Page) {
	t, ok := h.pages[name]
	if !ok {
		h.log.ErrorContext(r.Context(), "no such template", "template", name)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log.ErrorContext(r.Context(), "render page", "template", name, "err", err)
		if name != "error" {
			h.Error(w, r, err)
			return
		}
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Content-Language", p.L.Code())
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Vary", "Cookie, Accept-Language")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// ErrorInfo is the data of the error page.
type ErrorInfo struct {
	Status  int
	Message string // safe for users; empty to use the status's own text
	Next    string // where signing in should lead back to
}

// Error renders err as a helpful error page. Internal errors are logged in
// full and shown only as a request id.
func (h *Handler) Error(w http.ResponseWriter, r *http.Request, err error) {
	status := fail.Status(err)
	info := ErrorInfo{Status: status, Next: r.URL.RequestURI()}
	if status < 500 {
		info.Message = h.message(r, err)
	}
	if status >= 500 {
		h.log.ErrorContext(r.Context(), "request failed", "err", err, "path", r.URL.Path)
	}
	if status == http.StatusUnauthorized && r.Method == http.MethodGet {
		// A page that needs signing in leads to the sign-in form and back.
		http.Redirect(w, r, "/signin?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	h.render(w, r, status, "error", "", info)
}

// message is the text of an error for the reader: its catalogue message in
// the reader's language where it has one, else its English message.
func (h *Handler) message(r *http.Request, err error) string {
	e := fail.As(err)
	if e == nil {
		return ""
	}
	l := h.Locale(r)
	if e.Key != "" && l.Has(e.Key) {
		args := e.Args
		if e.Key == access.DeniedKey {
			p := &Page{L: l}
			args = []any{"role", p.Role(access.FromContext(r.Context()))}
		}
		return l.T(e.Key, args...)
	}
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// NotFound renders the 404 page for paths no route matches.
func (h *Handler) NotFound(w http.ResponseWriter, r *http.Request) {
	h.Error(w, r, fail.New(fail.NotFound, ""))
}

// idOf reads the id of the request's path; a path whose id is no number
// is not found.
func (h *Handler) idOf(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.NotFound(w, r)
		return 0, false
	}
	return id, true
}

// redirectDone sends the browser to path, announcing a completed action.
func redirectDone(w http.ResponseWriter, r *http.Request, path, done string) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	http.Redirect(w, r, path+sep+"done="+done, http.StatusSeeOther)
}
