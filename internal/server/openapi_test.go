package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/errors"

	"github.com/cpcj/cpcj/internal/api"
	"github.com/cpcj/cpcj/internal/server"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

const openapiGolden = "testdata/openapi.golden.json"

// TestOpenAPI checks the served document against the golden file. After a
// deliberate change to the API, rewrite it with
//
//	go test ./internal/server -run TestOpenAPI -update
//
// and read the diff.
func TestOpenAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, storetest.Open(t, store.SQLite))
	r := h.get(t, "/api/v1/openapi.json", nil)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("openapi.json: %s", r)
	}
	if r.body != string(h.srv.OpenAPI()) {
		t.Error("the served document is not the server's OpenAPI()")
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(openapiGolden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(openapiGolden, []byte(r.body), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(openapiGolden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/server -run TestOpenAPI -update to write it)", err)
	}
	if r.body != string(want) {
		t.Errorf("the OpenAPI document differs from %s; if the change is meant, run\n\tgo test ./internal/server -run TestOpenAPI -update\nand review the diff.\n%s",
			openapiGolden, firstDiff(string(want), r.body))
	}
}

// firstDiff shows the first line where got differs from want.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n\twant %s\n\tgot  %s", i+1, w, g)
		}
	}
	return ""
}

// openAPIValidator reads the document with libopenapi and checks it
// against the OpenAPI 3.1 schema.
func openAPIValidator(t testing.TB, doc []byte) validator.Validator {
	t.Helper()
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		t.Fatalf("libopenapi cannot read the document: %v", err)
	}
	if v := d.GetSpecInfo().Version; v != "3.1.0" {
		t.Errorf("OpenAPI version %q, want 3.1.0", v)
	}
	// Format assertions make date-time and the like checked, not only
	// noted.
	v, errs := validator.NewValidator(d, config.WithFormatAssertions())
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		t.Errorf("the document is not valid OpenAPI 3.1:\n%s", describe(verrs))
	}
	return v
}

func describe(errs []*errors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "- %s: %s (%s %s)\n", e.Message, e.Reason, e.ValidationType, e.ValidationSubType)
		for _, f := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "    %s at %s (%s)\n", f.Reason, f.FieldPath, f.KeywordLocation)
		}
	}
	return b.String()
}

func TestOpenAPIValid(t *testing.T) {
	t.Parallel()
	h := newHarness(t, storetest.Open(t, store.SQLite))
	openAPIValidator(t, h.srv.OpenAPI())
}

// TestOpenAPIRoutes checks that the document describes exactly the API
// routes of the route table.
func TestOpenAPIRoutes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, storetest.Open(t, store.SQLite))
	var doc struct {
		Servers []struct {
			URL string `json:"url"`
		} `json:"servers"`
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Parameters  []struct {
				Name string `json:"name"`
				In   string `json:"in"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(h.srv.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != api.Prefix {
		t.Fatalf("servers = %+v, want %s", doc.Servers, api.Prefix)
	}
	inDoc := map[string]bool{}
	ids := map[string]string{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			key := strings.ToUpper(method) + " " + api.Prefix + path
			inDoc[key] = true
			if op.OperationID == "" {
				t.Errorf("%s has no operationId", key)
			}
			if other, dup := ids[op.OperationID]; dup {
				t.Errorf("%s and %s share the operationId %s", key, other, op.OperationID)
			}
			ids[op.OperationID] = key
			// Every path parameter is declared.
			for _, seg := range strings.Split(path, "/") {
				if !strings.HasPrefix(seg, "{") {
					continue
				}
				name := strings.Trim(seg, "{}")
				if !slices.ContainsFunc(op.Parameters, func(p struct {
					Name string `json:"name"`
					In   string `json:"in"`
				}) bool {
					return p.Name == name && p.In == "path"
				}) {
					t.Errorf("%s does not declare its path parameter %s", key, name)
				}
			}
		}
	}
	inTable := map[string]bool{}
	for _, rt := range h.srv.Routes() {
		if !strings.HasPrefix(strings.SplitN(rt.Pattern, " ", 2)[1], api.Prefix+"/") {
			continue
		}
		if rt.Kind != server.API {
			if rt.Pattern != "GET /api/v1/openapi.json" {
				t.Errorf("%s is under %s but is not an API route", rt.Pattern, api.Prefix)
			}
			continue
		}
		inTable[rt.Pattern] = true
		if rt.Op == nil {
			t.Errorf("API route %s has no OpenAPI description", rt.Pattern)
		}
		if !inDoc[rt.Pattern] {
			t.Errorf("API route %s is not in the OpenAPI document", rt.Pattern)
		}
	}
	for k := range inDoc {
		if !inTable[k] {
			t.Errorf("the OpenAPI document describes %s, which the route table lacks", k)
		}
	}
}

// TestOpenAPIResponses checks real answers of the API, successes and
// problems, against the document.
func TestOpenAPIResponses(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, adminKey, focalPointKey, expertKey)
		v := openAPIValidator(t, h.srv.OpenAPI())
		admin, fp := h.actors[adminKey], h.actors[focalPointKey]
		expertID := h.actors[expertKey].user.ID

		// A notification that was read, so read_at is set.
		var notes struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
		}
		decodeJSON(t, h.do(t, call{path: "/api/v1/me/notifications", as: fp, via: viaToken}), http.StatusOK, &notes)
		if len(notes.Items) == 0 {
			t.Fatal("the focal point has no notifications")
		}
		h.do(t, call{method: "POST", path: fmt.Sprintf("/api/v1/me/notifications/%d/read", notes.Items[0].ID), as: fp, via: viaToken})
		// A token that expires and was revoked, so those times are set.
		var tok struct {
			ID int64 `json:"id"`
		}
		decodeJSON(t, h.do(t, call{method: "POST", path: "/api/v1/me/tokens", as: fp, body: `{"name":"old","expires_in_days":1}`}), http.StatusCreated, &tok)
		h.do(t, call{method: "DELETE", path: fmt.Sprintf("/api/v1/me/tokens/%d", tok.ID), as: fp, via: viaToken})

		etag := h.get(t, "/api/v1/states?limit=20", nil).header.Get("ETag")
		statsETag := h.get(t, "/api/v1/stats/dataflows", nil).header.Get("ETag")

		for _, tc := range []struct {
			name   string
			c      call
			status int
		}{
			{"states", call{path: "/api/v1/states?limit=20"}, 200},
			{"states not modified", call{path: "/api/v1/states?limit=20", header: map[string]string{"If-None-Match": etag}}, 304},
			{"states filtered", call{path: "/api/v1/states?regional_group=WEOG&kind=member_state&q=a"}, 200},
			{"organizations", call{path: "/api/v1/states?kind=organization"}, 200},
			{"state", call{path: "/api/v1/states/KEN"}, 200},
			{"European Union", call{path: "/api/v1/states/EUU"}, 200},
			{"regional groups", call{path: "/api/v1/regional-groups"}, 200},
			{"users", call{path: "/api/v1/users?limit=2", as: admin, via: viaToken}, 200},
			{"users of a State", call{path: "/api/v1/users?state=KEN&role=expert", as: fp, via: viaToken}, 200},
			{"user", call{path: fmt.Sprintf("/api/v1/users/%d", expertID), as: admin, via: viaToken}, 200},
			{"create user", call{method: "POST", path: "/api/v1/users", as: admin, via: viaToken,
				body: `{"email":"oa@cpcj.test","name":"Open API","role":"donor","contributor":"NOR","password":"` + password + `"}`}, 201},
			{"update user", call{method: "PATCH", path: fmt.Sprintf("/api/v1/users/%d", expertID), as: admin, via: viaToken, body: `{"disabled":false}`}, 200},
			{"me", call{path: "/api/v1/me", as: fp, via: viaToken}, 200},
			{"me by session", call{path: "/api/v1/me", as: fp}, 200},
			{"tokens", call{path: "/api/v1/me/tokens", as: fp, via: viaToken}, 200},
			{"create token", call{method: "POST", path: "/api/v1/me/tokens", as: fp, body: `{"name":"oa","expires_in_days":30}`}, 201},
			{"revoke token", call{method: "DELETE", path: fmt.Sprintf("/api/v1/me/tokens/%d", tok.ID), as: fp, via: viaToken}, 204},
			{"notifications", call{path: "/api/v1/me/notifications", as: fp, via: viaToken}, 200},
			{"unread notifications", call{path: "/api/v1/me/notifications?unread=true&limit=5", as: fp, via: viaToken}, 200},
			{"read notification", call{method: "POST", path: fmt.Sprintf("/api/v1/me/notifications/%d/read", notes.Items[0].ID), as: fp, via: viaToken}, 204},
			{"audit", call{path: "/api/v1/audit?limit=50", as: admin, via: viaToken}, 200},
			{"audit filtered", call{path: "/api/v1/audit?entity=account&from=2000-01-01&to=2999-12-31", as: admin, via: viaToken}, 200},
			{"stats dataflows", call{path: "/api/v1/stats/dataflows"}, 200},
			{"stats dataflows not modified", call{path: "/api/v1/stats/dataflows", header: map[string]string{"If-None-Match": statsETag}}, 304},
			{"stats dataflow", call{path: "/api/v1/stats/dataflows/HOMICIDE"}, 200},
			{"stats code lists", call{path: "/api/v1/stats/codelists?limit=3"}, 200},
			{"stats code list", call{path: "/api/v1/stats/codelists/CL_ICCS"}, 200},
			{"stats observations", call{path: "/api/v1/stats/observations?flow=HOMICIDE&area=KEN&limit=5"}, 200},
			{"stats computed observations", call{path: "/api/v1/stats/observations?flow=OFFENCES&area=155&iccs=020111&unit=NB,RT100K&start=2018&end=2018"}, 200},
			{"stats explore", call{path: "/api/v1/stats/explore?flow=HOMICIDE&area=PHL,155,WEOG&source_type=CJ&max_series=5"}, 200},
			{"stats download", call{path: "/api/v1/stats/download?flow=HOMICIDE&area=KEN"}, 200},
			{"stats download as a workbook", call{path: "/api/v1/stats/download?flow=HOMICIDE&area=KEN&format=xlsx"}, 200},

			{"problem: bad parameter", call{path: "/api/v1/states?regional_group=XX"}, 400},
			{"problem: unknown parameter", call{path: "/api/v1/states?x=1"}, 400},
			{"problem: no such State", call{path: "/api/v1/states/XYZ"}, 404},
			{"problem: bad view", call{path: "/api/v1/stats/explore?flow=HOMICIDE&area=XXX"}, 400},
			{"problem: no area", call{path: "/api/v1/stats/explore?flow=HOMICIDE"}, 400},
			{"problem: no such dataflow", call{path: "/api/v1/stats/dataflows/NOPE"}, 404},
			{"problem: not signed in", call{path: "/api/v1/me"}, 401},
			{"problem: bad token", call{path: "/api/v1/me", header: map[string]string{"Authorization": "Bearer cpcj_nope"}}, 401},
			{"problem: forbidden", call{path: "/api/v1/audit", as: fp, via: viaToken}, 403},
			{"problem: out of scope", call{path: fmt.Sprintf("/api/v1/users/%d", admin.user.ID), as: fp, via: viaToken}, 404},
			{"problem: bad body", call{method: "POST", path: "/api/v1/users", as: admin, via: viaToken, body: `{"name":5}`}, 400},
			{"problem: conflict", call{method: "POST", path: "/api/v1/users", as: admin, via: viaToken,
				body: `{"email":"oa@cpcj.test","name":"Open API","role":"donor","contributor":"NOR","password":"` + password + `"}`}, 409},
			{"problem: too large", call{method: "POST", path: "/api/v1/me/tokens", as: fp, body: `{"name":"` + strings.Repeat("x", maxBody) + `"}`}, 413},
			{"problem: wrong media type", call{method: "POST", path: "/api/v1/me/tokens", as: fp, body: `{"name":"x"}`, ctype: "text/plain"}, 400},
			{"problem: no CSRF header", call{method: "POST", path: "/api/v1/me/tokens", as: fp, body: `{"name":"x"}`, noCSRF: true}, 403},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req, resp := h.exchange(t, tc.c)
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
				}
				// A refused request need not match the document; its
				// answer must.
				check, what := v.ValidateHttpRequestResponse, "request or answer"
				if tc.status >= 400 {
					check, what = v.ValidateHttpResponse, "answer"
				}
				if ok, errs := check(req, resp); !ok {
					t.Errorf("the %s does not match the document:\n%s", what, describe(errs))
				}
			})
		}
	})
}

// exchange sends the call and returns its request and response, both
// with bodies that can be read again, for the validator.
func (h *harness) exchange(t testing.TB, c call) (*http.Request, *http.Response) {
	t.Helper()
	r := h.do(t, c)
	req := h.request(t, c)
	resp := &http.Response{StatusCode: r.status, Header: r.header, Body: io.NopCloser(strings.NewReader(r.body)), Request: req}
	return req, resp
}
