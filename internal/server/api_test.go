package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/state"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// participants is the answer of GET /api/v1/states.
type participants struct {
	Items  []state.Participant `json:"items"`
	Total  int                 `json:"total"`
	Limit  int                 `json:"limit"`
	Offset int                 `json:"offset"`
	Next   string              `json:"next"`
}

func TestAPIStates(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		list := func(t *testing.T, query string) participants {
			t.Helper()
			var p participants
			decodeJSON(t, h.get(t, "/api/v1/states"+query, nil), http.StatusOK, &p)
			return p
		}

		t.Run("all", func(t *testing.T) {
			p := list(t, "")
			if p.Total != 198 || len(p.Items) != 100 || p.Limit != 100 || p.Offset != 0 || p.Next == "" {
				t.Errorf("total %d, %d items, limit %d, offset %d, next %q; want 198, 100, 100, 0 and a next page", p.Total, len(p.Items), p.Limit, p.Offset, p.Next)
			}
			if p := list(t, "?kind=member_state&limit=500"); p.Total != 193 || len(p.Items) != 193 || p.Next != "" {
				t.Errorf("Member States: total %d, %d items, next %q; want 193, 193 and no next page", p.Total, len(p.Items), p.Next)
			}
		})
		t.Run("regional group", func(t *testing.T) {
			p := list(t, "?regional_group=WEOG")
			if p.Total != 29 || len(p.Items) != 29 {
				t.Errorf("WEOG: total %d, %d items, want 29", p.Total, len(p.Items))
			}
			for _, s := range p.Items {
				if s.RegionalGroup != "WEOG" {
					t.Errorf("WEOG lists %s of %s", s.Code, s.RegionalGroup)
				}
			}
		})
		t.Run("organization", func(t *testing.T) {
			p := list(t, "?kind=organization")
			if p.Total != 1 || len(p.Items) != 1 || p.Items[0].Code != "EUU" {
				t.Errorf("organizations = %+v, want the European Union alone", p.Items)
			}
		})
		t.Run("search", func(t *testing.T) {
			p := list(t, "?q=kenya")
			if p.Total != 1 || p.Items[0].Code != "KEN" {
				t.Errorf("q=kenya = %+v", p.Items)
			}
		})
		t.Run("pages", func(t *testing.T) {
			seen := map[string]bool{}
			next, pages := "/api/v1/states?limit=45", 0
			for next != "" {
				if pages++; pages > 10 {
					t.Fatal("next links do not end")
				}
				var p participants
				decodeJSON(t, h.get(t, next, nil), http.StatusOK, &p)
				if p.Total != 198 || p.Limit != 45 {
					t.Fatalf("%s: total %d, limit %d", next, p.Total, p.Limit)
				}
				for _, s := range p.Items {
					if seen[s.Code] {
						t.Errorf("%s is on two pages", s.Code)
					}
					seen[s.Code] = true
				}
				next = p.Next
			}
			if len(seen) != 198 || pages != 5 {
				t.Errorf("%d pages gave %d participants, want 5 giving 198", pages, len(seen))
			}
		})
		t.Run("bad parameters", func(t *testing.T) {
			for _, tc := range []struct{ query, field string }{
				{"?regional_group=NATO", "regional_group"},
				{"?regional_group=weog", "regional_group"},
				{"?kind=empire", "kind"},
				{"?colour=blue", "colour"},
				{"?limit=0", "limit"},
				{"?limit=501", "limit"},
				{"?limit=ten", "limit"},
				{"?offset=-1", "offset"},
				{"?offset=1.5", "offset"},
				{"?limit=1&limit=2", "limit"},
				{"?q=" + strings.Repeat("x", 101), "q"},
			} {
				p := problemOf(t, h.get(t, "/api/v1/states"+tc.query, nil), http.StatusBadRequest, tc.field)
				if !strings.Contains(p.Detail, tc.field) {
					t.Errorf("%s: detail %q does not name %s", tc.query, p.Detail, tc.field)
				}
			}
		})
		t.Run("one", func(t *testing.T) {
			var s state.Participant
			decodeJSON(t, h.get(t, "/api/v1/states/ken", nil), http.StatusOK, &s)
			if s.Code != "KEN" || s.Name != "Kenya" || s.RegionalGroup != "AG" || s.Kind != state.MemberState {
				t.Errorf("KEN = %+v", s)
			}
			problemOf(t, h.get(t, "/api/v1/states/xyz", nil), http.StatusNotFound, "")
			problemOf(t, h.get(t, "/api/v1/states/k3n", nil), http.StatusBadRequest, "code")
			problemOf(t, h.get(t, "/api/v1/states/KEN?x=1", nil), http.StatusBadRequest, "x")
			problemOf(t, h.get(t, "/api/v1/nothing/here", nil), http.StatusNotFound, "")
		})
		t.Run("etag", func(t *testing.T) {
			r := h.get(t, "/api/v1/states?regional_group=AG", nil)
			etag := r.header.Get("ETag")
			if r.status != http.StatusOK || etag == "" {
				t.Fatalf("no ETag: %s", r)
			}
			r = h.do(t, call{path: "/api/v1/states?regional_group=AG", header: map[string]string{"If-None-Match": etag}})
			if r.status != http.StatusNotModified || r.body != "" || r.header.Get("ETag") != etag {
				t.Errorf("If-None-Match: %s", r)
			}
			r = h.do(t, call{path: "/api/v1/states?regional_group=AG", header: map[string]string{"If-None-Match": `"stale"`}})
			if r.status != http.StatusOK {
				t.Errorf("stale If-None-Match: %s", r)
			}
			if other := h.get(t, "/api/v1/states?regional_group=EEG", nil).header.Get("ETag"); other == etag {
				t.Errorf("two lists share the ETag %s", etag)
			}
		})
	})
}

func TestAPICreateUser(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, adminKey, expertKey)
		admin := h.actors[adminKey]
		valid := func(email string) string {
			return fmt.Sprintf(`{"email":%q,"name":"Nia Newcomer","role":"expert","state":"KEN","password":%q}`, email, password)
		}
		post := func(t *testing.T, body, ctype string) response {
			t.Helper()
			return h.do(t, call{method: "POST", path: "/api/v1/users", as: admin, via: viaToken, body: body, ctype: ctype})
		}

		for _, tc := range []struct {
			name, body, ctype string
			status            int
			field             string
		}{
			{"malformed JSON", `{"email": "a@b.c",`, "", 400, ""},
			{"not JSON", `email=a@b.c`, "", 400, ""},
			{"wrong type", `{"email":"n@cpcj.test","name":5}`, "", 400, "name"},
			{"wrong type of role", `{"role":["admin"]}`, "", 400, "role"},
			{"array body", `[1,2]`, "", 400, ""},
			{"unknown field", `{"email":"n@cpcj.test","admin":true}`, "", 400, "admin"},
			{"field in the wrong case", `{"Email2":"n@cpcj.test"}`, "", 400, "Email2"},
			{"invalid UTF-8", "{\"email\":\"n@cpcj.test\",\"name\":\"\xff\xfe\"}", "", 400, ""},
			{"overlong name", fmt.Sprintf(`{"email":"n@cpcj.test","name":%q,"role":"expert","state":"KEN","password":%q}`, strings.Repeat("é", 201), password), "", 400, "name"},
			{"empty body", "", "", 400, ""},
			{"blank body", " \n\t ", "", 400, ""},
			{"trailing data", valid("t@cpcj.test") + `{}`, "", 400, ""},
			{"trailing garbage", valid("t@cpcj.test") + `]`, "", 400, ""},
			{"wrong Content-Type", valid("t@cpcj.test"), "text/plain", 400, "Content-Type"},
			{"form Content-Type", valid("t@cpcj.test"), "application/x-www-form-urlencoded", 400, "Content-Type"},
			{"bad Content-Type", valid("t@cpcj.test"), "application/", 400, "Content-Type"},
			{"bad e-mail", `{"email":"not an address","name":"N","role":"expert","state":"KEN","password":"` + password + `"}`, "", 400, "email"},
			{"unknown role", `{"email":"r@cpcj.test","name":"N","role":"king","password":"` + password + `"}`, "", 400, "role"},
			{"unknown State", `{"email":"s@cpcj.test","name":"N","role":"expert","state":"XXX","password":"` + password + `"}`, "", 400, "state"},
			{"expert without State", `{"email":"s@cpcj.test","name":"N","role":"expert","password":"` + password + `"}`, "", 400, "state"},
			{"short password", `{"email":"p@cpcj.test","name":"N","role":"admin","password":"short"}`, "", 400, "password"},
			{"number overflow", `{"email":"n@cpcj.test","name":1e999}`, "", 400, "name"},
			{"deep nesting", strings.Repeat("[", 20000) + strings.Repeat("]", 20000), "", 400, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := post(t, tc.body, tc.ctype)
				if tc.body == "" {
					// An empty body is sent without Content-Type.
					r = h.do(t, call{method: "POST", path: "/api/v1/users", as: admin, via: viaToken})
				}
				problemOf(t, r, tc.status, tc.field)
			})
		}

		t.Run("created", func(t *testing.T) {
			r := post(t, valid("Nia.Newcomer@CPCJ.test"), "application/json; charset=utf-8")
			var u account.User
			decodeJSON(t, r, http.StatusCreated, &u)
			if u.ID == 0 || u.Email != "nia.newcomer@cpcj.test" || u.State != "KEN" || u.Role != "expert" {
				t.Errorf("created %+v", u)
			}
			if loc := r.header.Get("Location"); loc != fmt.Sprintf("/api/v1/users/%d", u.ID) {
				t.Errorf("Location %q", loc)
			}
			if strings.Contains(r.body, "password") || strings.Contains(r.body, "argon2") {
				t.Errorf("the answer speaks of the password: %s", r.body)
			}
			// The same address again, in another case, is a conflict.
			p := problemOf(t, post(t, valid("NIA.newcomer@cpcj.test"), ""), http.StatusConflict, "email")
			if !strings.Contains(p.Detail, "nia.newcomer@cpcj.test") {
				t.Errorf("conflict detail %q", p.Detail)
			}
		})

		t.Run("too large", func(t *testing.T) {
			big := `{"email":"big@cpcj.test","name":"` + strings.Repeat("x", maxBody) + `"}`
			problemOf(t, post(t, big, ""), http.StatusRequestEntityTooLarge, "")
			// Without a Content-Length the limit is found while reading.
			req, err := http.NewRequest("POST", h.ts.URL+"/api/v1/users", struct{ *strings.Reader }{strings.NewReader(big)})
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = -1
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+admin.token)
			problemOf(t, h.send(t, req), http.StatusRequestEntityTooLarge, "")
		})

		t.Run("patch", func(t *testing.T) {
			path := fmt.Sprintf("/api/v1/users/%d", h.actors[expertKey].user.ID)
			patch := func(body string) response {
				return h.do(t, call{method: "PATCH", path: path, as: admin, via: viaToken, body: body})
			}
			var u account.User
			decodeJSON(t, patch(`{"name":"Eli Renamed"}`), http.StatusOK, &u)
			if u.Name != "Eli Renamed" || u.Email != h.actors[expertKey].user.Email || u.State != "KEN" {
				t.Errorf("patched %+v", u)
			}
			problemOf(t, patch(`{"disabled":"yes"}`), http.StatusBadRequest, "disabled")
			problemOf(t, patch(`{"email":"x@cpcj.test"}`), http.StatusBadRequest, "email")
			problemOf(t, patch(`{"state":"FRA","role":"donor"}`), http.StatusBadRequest, "state")
			problemOf(t, h.do(t, call{method: "PATCH", path: "/api/v1/users/0", as: admin, via: viaToken, body: `{}`}), http.StatusBadRequest, "id")
			problemOf(t, h.do(t, call{method: "PATCH", path: "/api/v1/users/99999", as: admin, via: viaToken, body: `{}`}), http.StatusNotFound, "")
		})

		// The server is still up and never failed inside.
		if r := h.get(t, "/healthz", nil); r.status != http.StatusOK {
			t.Errorf("/healthz after the bad requests: %s", r)
		}
		if n := h.logs.errorCount(); n > 0 {
			t.Errorf("the server logged %d errors", n)
		}
	})
}

func TestAPIBearerToken(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, focalPointKey)
		fp := h.actors[focalPointKey]
		ctx := context.Background()
		tok, secret, err := h.accounts.CreateToken(ctx, fp.user.Actor(), "to be revoked", 0)
		if err != nil {
			t.Fatal(err)
		}
		me := func(authz string) response {
			return h.do(t, call{path: "/api/v1/me", header: map[string]string{"Authorization": authz}})
		}
		var u account.User
		decodeJSON(t, me("Bearer "+secret), http.StatusOK, &u)
		if u.ID != fp.user.ID {
			t.Errorf("token of %d acts as %d", fp.user.ID, u.ID)
		}
		if err := h.db.RevokeToken(ctx, fp.user.Actor(), tok.ID); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ name, authz, field string }{
			{"revoked", "Bearer " + secret, ""},
			{"bad prefix", "Bearer xyz_" + secret[len(account.TokenPrefix):], ""},
			{"unknown", "Bearer " + account.TokenPrefix + "nobodyhasthis", ""},
			{"not bearer", "Token " + fp.token, "Authorization"},
			{"basic", "Basic dXNlcjpwYXNz", "Authorization"},
			{"empty bearer", "Bearer ", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				problemOf(t, me(tc.authz), http.StatusUnauthorized, tc.field)
			})
		}
		// Pages do not read the Authorization header: a token there neither
		// signs anyone in nor breaks the page for the public.
		if r := h.do(t, call{path: "/account", header: map[string]string{"Authorization": "Bearer " + fp.token}}); r.status != http.StatusSeeOther {
			t.Errorf("page with a token: %s", r)
		}

		// Tokens made through the API by a signed-in session work at once
		// and list without their secret; a token cannot make another.
		var created struct {
			account.Token
			Secret string `json:"secret"`
		}
		decodeJSON(t, h.do(t, call{method: "POST", path: "/api/v1/me/tokens", as: fp, body: `{"name":"ci","expires_in_days":7}`}), http.StatusCreated, &created)
		problemOf(t, h.do(t, call{method: "POST", path: "/api/v1/me/tokens", as: fp, via: viaToken, body: `{"name":"ci 2"}`}), http.StatusForbidden, "")
		if !strings.HasPrefix(created.Secret, account.TokenPrefix) || created.ExpiresAt == nil || created.Name != "ci" {
			t.Fatalf("created token %+v", created)
		}
		decodeJSON(t, me("Bearer "+created.Secret), http.StatusOK, &u)
		r := h.do(t, call{path: "/api/v1/me/tokens", as: fp, via: viaToken})
		if r.status != http.StatusOK || strings.Contains(r.body, created.Secret) || !strings.Contains(r.body, created.Prefix) {
			t.Errorf("token list: %s", r)
		}
		problemOf(t, h.do(t, call{method: "POST", path: "/api/v1/me/tokens", as: fp, body: `{"name":""}`}), http.StatusBadRequest, "name")
		problemOf(t, h.do(t, call{method: "POST", path: "/api/v1/me/tokens", as: fp, body: `{"name":"x","expires_in_days":400}`}), http.StatusBadRequest, "expires_in_days")
		problemOf(t, h.do(t, call{method: "POST", path: "/api/v1/me/tokens", as: fp, body: `{"name":"x","expires_in_days":"7"}`}), http.StatusBadRequest, "expires_in_days")

		// Revoking through the API ends it.
		if r := h.do(t, call{method: "DELETE", path: fmt.Sprintf("/api/v1/me/tokens/%d", created.ID), as: fp, via: viaToken}); r.status != http.StatusNoContent || r.body != "" {
			t.Fatalf("revoke: %s", r)
		}
		problemOf(t, me("Bearer "+created.Secret), http.StatusUnauthorized, "")
		problemOf(t, h.do(t, call{method: "DELETE", path: "/api/v1/me/tokens/abc", as: fp, via: viaToken}), http.StatusBadRequest, "id")
	})
}

func TestAPINotifications(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, expertKey)
		ex := h.actors[expertKey]
		type notes struct {
			Items []struct {
				ID      int64  `json:"id"`
				Subject string `json:"subject"`
				ReadAt  string `json:"read_at"`
			} `json:"items"`
			Total int `json:"total"`
		}
		var n notes
		decodeJSON(t, h.do(t, call{path: "/api/v1/me/notifications?unread=true", as: ex, via: viaToken}), http.StatusOK, &n)
		// Account creation and the harness's token each notified.
		if n.Total != 2 || len(n.Items) != 2 {
			t.Fatalf("unread notifications %+v, want 2", n)
		}
		id := n.Items[0].ID
		if r := h.do(t, call{method: "POST", path: fmt.Sprintf("/api/v1/me/notifications/%d/read", id), as: ex, via: viaToken}); r.status != http.StatusNoContent {
			t.Fatalf("read: %s", r)
		}
		decodeJSON(t, h.do(t, call{path: "/api/v1/me/notifications?unread=1&limit=10", as: ex, via: viaToken}), http.StatusOK, &n)
		if n.Total != 1 || n.Items[0].ID == id {
			t.Errorf("after reading %d: %+v", id, n)
		}
		decodeJSON(t, h.do(t, call{path: "/api/v1/me/notifications", as: ex, via: viaToken}), http.StatusOK, &n)
		if n.Total != 2 {
			t.Errorf("all notifications: %+v", n)
		}
		problemOf(t, h.do(t, call{path: "/api/v1/me/notifications?offset=1", as: ex, via: viaToken}), http.StatusBadRequest, "offset")
		problemOf(t, h.do(t, call{path: "/api/v1/me/notifications?limit=0", as: ex, via: viaToken}), http.StatusBadRequest, "limit")
		problemOf(t, h.do(t, call{method: "POST", path: "/api/v1/me/notifications/x/read", as: ex, via: viaToken}), http.StatusBadRequest, "id")
	})
}

func TestAPIAudit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, adminKey, secretariatKey, focalPointKey)
		sec := h.actors[secretariatKey]
		var list struct {
			Items []struct {
				Seq    int64  `json:"seq"`
				Entity string `json:"entity"`
				Action string `json:"action"`
			} `json:"items"`
			Total int `json:"total"`
			Limit int `json:"limit"`
		}
		decodeJSON(t, h.do(t, call{path: "/api/v1/audit?entity=account&limit=3", as: sec, via: viaToken}), http.StatusOK, &list)
		if len(list.Items) != 3 || list.Limit != 3 {
			t.Fatalf("audit page %+v, want 3 records", list)
		}
		for i, rec := range list.Items {
			if rec.Entity != "account" || (i > 0 && rec.Seq >= list.Items[i-1].Seq) {
				t.Errorf("record %d: %+v; want accounts, newest first", i, rec)
			}
		}
		before := list.Items[2].Seq
		decodeJSON(t, h.do(t, call{path: fmt.Sprintf("/api/v1/audit?before=%d&limit=500", before), as: sec, via: viaToken}), http.StatusOK, &list)
		for _, rec := range list.Items {
			if rec.Seq >= before {
				t.Errorf("before=%d gave %d", before, rec.Seq)
			}
		}
		for _, tc := range []struct{ query, field string }{
			{"?from=yesterday", "from"},
			{"?to=2026-13-01", "to"},
			{"?before=0", "before"},
			{"?limit=501", "limit"},
			{"?offset=5", "offset"},
		} {
			problemOf(t, h.do(t, call{path: "/api/v1/audit" + tc.query, as: sec, via: viaToken}), http.StatusBadRequest, tc.field)
		}
	})
}
