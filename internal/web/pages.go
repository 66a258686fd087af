package web

import (
	"net/http"
	"strings"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/api"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/state"
	"github.com/cpcj/cpcj/internal/treaty"
)

// Module is one of cpcj's capabilities, as the navigation and home page
// list them, with the operative paragraphs of resolution 68/193 it serves.
type Module struct {
	Slug       string
	Paragraphs []int
	Ready      bool // false while the module is still being built
}

// Modules are the capabilities of cpcj, in the order of the design.
var Modules = []Module{
	{Slug: "states", Paragraphs: []int{3, 4}, Ready: true},
	{Slug: "treaties", Paragraphs: []int{3, 4, 50}, Ready: true},
	{Slug: "statistics", Paragraphs: []int{16, 25, 26}, Ready: true},
	{Slug: "reviews", Paragraphs: []int{5, 37, 38, 40}},
	{Slug: "assistance", Paragraphs: []int{7, 9, 12, 13, 17, 23, 31, 36, 41, 42, 44}},
	{Slug: "funding", Paragraphs: []int{45, 46, 47, 48}},
	{Slug: "cooperation", Paragraphs: []int{11, 18, 20, 21, 23}},
	{Slug: "library", Paragraphs: []int{6, 22, 43, 44}},
	{Slug: "reports", Paragraphs: []int{1, 49, 50}},
}

// homePage is the data of the home page.
type homePage struct {
	Modules    []Module
	Counts     map[string]int
	Total      int
	NoAccounts bool
	Title      string
	SourceFile string
}

// Home shows the home page.
func (h *Handler) Home(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		h.NotFound(w, r)
		return
	}
	all, total, err := h.store.Participants(r.Context(), state.Filter{})
	if err != nil {
		h.Error(w, r, err)
		return
	}
	counts := map[string]int{}
	for _, p := range all {
		counts[string(p.Kind)]++
	}
	n, err := h.accounts.Store.CountUsers(r.Context())
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "home", "home", homePage{Modules: Modules, Counts: counts, Total: total,
		NoAccounts: n == 0, Title: h.resolution.Title, SourceFile: "data/states/participants.csv"})
}

// modulePage is the data of a module's page.
type modulePage struct {
	Module     Module
	Paragraphs []paragraph
}

type paragraph struct {
	N    int
	Text string
}

// Module shows what a module is for and the paragraphs it serves.
func (h *Handler) Module(w http.ResponseWriter, r *http.Request) {
	slug := strings.TrimPrefix(r.URL.Path, "/")
	for _, m := range Modules {
		if m.Slug != slug {
			continue
		}
		d := modulePage{Module: m}
		for _, n := range m.Paragraphs {
			d.Paragraphs = append(d.Paragraphs, paragraph{N: n, Text: h.resolution.Paragraph(n)})
		}
		h.render(w, r, http.StatusOK, "module", m.Slug, d)
		return
	}
	h.NotFound(w, r)
}

// statesPage is the data of the participants list.
type statesPage struct {
	List   []state.Participant
	Total  int
	Filter state.Filter
	Groups []state.Group
	Counts map[string]int
	Source string
	Kinds  []state.Kind
}

// States lists the participants, by regional group, kind or name.
func (h *Handler) States(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := state.Filter{RegionalGroup: q.Get("group"), Kind: state.Kind(q.Get("kind")), Query: strings.TrimSpace(q.Get("q"))}
	if f.RegionalGroup != "" && state.GroupName(f.RegionalGroup) == "" {
		f.RegionalGroup = ""
	}
	list, total, err := h.store.Participants(r.Context(), f)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	counts := map[string]int{}
	for _, p := range list {
		counts[string(p.Kind)]++
	}
	h.render(w, r, http.StatusOK, "states", "states", statesPage{List: list, Total: total, Filter: f, Groups: state.Groups,
		Counts: counts, Source: "data/states/participants.csv",
		Kinds: []state.Kind{state.MemberState, state.ObserverState, state.NonMemberState, state.Organization}})
}

// statePage is the data of one participant's page.
type statePage struct {
	P         state.Participant
	Users     []account.User
	ShowUsers bool
	Treaties  []treaty.ProfileRow
	Date      civil.Date
	AsOf      civil.Date
	DateErr   string
}

// State shows one participant and, to those whose scope covers it, its
// accounts.
func (h *Handler) State(w http.ResponseWriter, r *http.Request) {
	code := strings.ToUpper(r.PathValue("code"))
	if !state.ValidCode(code) {
		h.Error(w, r, fail.New(fail.NotFound, "No participant has the code %q.", r.PathValue("code")))
		return
	}
	p, err := h.store.Participant(r.Context(), code)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	d := statePage{P: p}
	d.Date, d.DateErr = datePicked(r)
	if d.Treaties, err = h.treaties.Profile(r.Context(), code, d.Date); err != nil {
		h.Error(w, r, err)
		return
	}
	for _, row := range d.Treaties {
		if row.Instrument.RecordsAsOf.After(d.AsOf) {
			d.AsOf = row.Instrument.RecordsAsOf
		}
	}
	a := access.FromContext(r.Context())
	if access.Allowed(a, access.ReadUsers, code) {
		d.ShowUsers = true
		d.Users, _, err = h.accounts.Store.Users(r.Context(), a, account.UserFilter{State: code, Limit: 500})
		if err != nil {
			h.Error(w, r, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, "state", "states", d)
}

// auditPage is the data of the audit page.
type auditPage struct {
	Records  []audit.Record
	Filter   audit.Filter
	Query    map[string]string
	Older    int64 // seq to page back from, or 0
	Verified bool
	Checked  int64
	Problem  *audit.Problem
	Err      string
}

// Audit shows the audit trail, filterable, with an optional check of the
// chain.
func (h *Handler) Audit(w http.ResponseWriter, r *http.Request) {
	a := access.FromContext(r.Context())
	if err := access.Check(a, access.ReadAudit, ""); err != nil {
		h.Error(w, r, err)
		return
	}
	q := r.URL.Query()
	d := auditPage{Query: map[string]string{}}
	for _, k := range []string{"entity", "entity_id", "actor", "from", "to"} {
		d.Query[k] = q.Get(k)
	}
	f, err := api.AuditFilter(q.Get, "")
	if err != nil {
		d.Err = fieldMessage(err)
		f = audit.Filter{Limit: 100}
	}
	d.Filter = f
	d.Records, err = h.store.AuditRecords(r.Context(), a, f)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if len(d.Records) == f.Limit {
		d.Older = d.Records[len(d.Records)-1].Seq
	}
	if q.Get("verify") == "1" {
		d.Verified = true
		d.Checked, d.Problem, err = h.store.VerifyAudit(r.Context())
		if err != nil {
			h.Error(w, r, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, "audit", "audit", d)
}

// DataFile serves a README of the shipped data, so that every figure's
// source can be read in the application.
func (h *Handler) DataFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("folder")
	b, err := data.FS.ReadFile(name + "/README.md")
	if err != nil {
		h.NotFound(w, r)
		return
	}
	h.render(w, r, http.StatusOK, "source", "", sourcePage{Folder: name, Text: string(b)})
}

type sourcePage struct {
	Folder string
	Text   string
}
