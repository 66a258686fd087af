package web

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/api"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/i18n"
	"github.com/cpcj/cpcj/internal/state"
)

// Keys used literally: T "key" in templates, T("key") and
// redirectDone(…, "done") in Go.
var (
	templateKeyRe = regexp.MustCompile(`\bT\s+"([^"]+)"`)
	goKeyRe       = regexp.MustCompile(`\.T\("([^"]+)"[,)]`)
	doneRe        = regexp.MustCompile(`redirectDone\(w, r, [^;\n]*, "([a-z_]+)"\)`)
)

// TestTemplateKeys checks that every message the UI asks for is in the
// English catalogue, which every other catalogue falls back to, so that no
// page ever shows a bare key.
func TestTemplateKeys(t *testing.T) {
	bundle, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	en := bundle.Get(i18n.Fallback)
	used := map[string][]string{} // key → where

	tmpl, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(tmpl) == 0 {
		t.Fatalf("templates: %v %v", tmpl, err)
	}
	for _, f := range tmpl {
		b, err := templateFS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range templateKeyRe.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = append(used[m[1]], f)
		}
	}
	if len(used) < 50 {
		t.Fatalf("found only %d keys in the templates: is the pattern still right?", len(used))
	}

	goFiles, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range goFiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKeyRe.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = append(used[m[1]], f)
		}
		for _, m := range doneRe.FindAllStringSubmatch(string(b), -1) {
			used["done."+m[1]] = append(used["done."+m[1]], f)
		}
	}

	// Keys the templates build with print.
	dynamic := func(key, why string) { used[key] = append(used[key], why) }
	for _, m := range Modules {
		dynamic("module."+m.Slug, "Modules")
		dynamic("module."+m.Slug+".about", "Modules")
	}
	for _, k := range []state.Kind{state.MemberState, state.ObserverState, state.NonMemberState, state.Organization} {
		dynamic("kind."+string(k), "state kinds")
		dynamic("kind."+string(k)+".count", "state kinds")
	}
	for _, g := range state.Groups {
		dynamic("group."+g.Code, "state.Groups")
	}
	for _, r := range append([]access.Role{access.Public}, access.Roles...) {
		dynamic("role."+string(r), "access.Roles")
	}
	// Every status the error page can be given: those of the error kinds.
	for _, k := range []fail.Kind{fail.Internal, fail.Invalid, fail.NotFound, fail.Conflict, fail.Unauthorized,
		fail.Forbidden, fail.TooMany, fail.TooLarge, fail.Unavailable} {
		status := fail.Status(&fail.Error{Kind: k})
		dynamic(fmt.Sprintf("error.%d.title", status), "error page")
		dynamic(fmt.Sprintf("error.%d.body", status), "error page")
	}

	var missing []string
	for key, where := range used {
		if !en.Has(key) {
			slices.Sort(where)
			missing = append(missing, fmt.Sprintf("%s (used in %s)", key, strings.Join(slices.Compact(where), ", ")))
		}
	}
	slices.Sort(missing)
	for _, m := range missing {
		t.Errorf("the English catalogue lacks %s", m)
	}
}

// TestTemplatesParse checks that every page template parses with the
// layout and defines what the layout asks of it.
func TestTemplatesParse(t *testing.T) {
	h := &Handler{static: map[string]asset{}, hashed: map[string]string{}}
	if err := h.loadStatic(); err != nil {
		t.Fatal(err)
	}
	if err := h.parse(); err != nil {
		t.Fatal(err)
	}
	for name, tmpl := range h.pages {
		for _, def := range []string{"layout", "title", "content"} {
			if tmpl.Lookup(def) == nil {
				t.Errorf("page %s has no %q template", name, def)
			}
		}
	}
	for _, name := range []string{"error", "signin", "home", "states", "state", "account", "users", "user", "audit", "notifications", "reference", "module", "source"} {
		if h.pages[name] == nil {
			t.Errorf("no page template %q", name)
		}
	}
}

// TestReferenceStatus checks that the API reference names the success
// status of an operation, never its 304 or problem responses, whatever
// order it reads them in.
func TestReferenceStatus(t *testing.T) {
	type item struct {
		Code string `json:"code"`
	}
	doc, err := api.Document("test", []api.Endpoint{
		{Method: "GET", Path: "/things", Op: &api.Op{ID: "listThings", Tag: "things", Summary: "Things", Response: api.List[item]{}, ETag: true}},
		{Method: "POST", Path: "/things", Op: &api.Op{ID: "createThing", Tag: "things", Summary: "Add", Body: item{}, Response: item{}, Status: 201}},
		{Method: "DELETE", Path: "/things/{id}", Op: &api.Op{ID: "deleteThing", Tag: "things", Summary: "Remove", Status: 204,
			Params: []api.Param{{Name: "id", In: "path", Type: "integer"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"listThings": "200", "createThing": "201", "deleteThing": "204"}
	// Maps are read in a new order each time.
	for range 20 {
		ref, err := NewReference(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range ref.Groups {
			for _, op := range g.Ops {
				if op.Status != want[op.ID] {
					t.Fatalf("%s: status %q, want %q", op.ID, op.Status, want[op.ID])
				}
			}
		}
	}
}
