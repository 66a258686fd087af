package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// FuzzCreateUser posts arbitrary bodies, as arbitrary media types, to
// POST /api/v1/users through the whole server on SQLite. Whatever arrives,
// the answer is a success or a problem document, never a server error.
//
//	go test -run=^$ -fuzz=FuzzCreateUser -fuzztime=60s ./internal/server/
func FuzzCreateUser(f *testing.F) {
	h := newHarness(f, storetest.Open(f, store.SQLite), adminKey)
	admin := h.actors[adminKey]
	for _, seed := range []struct{ body, ctype string }{
		{`{"email":"fuzz@cpcj.test","name":"Fuzz","role":"expert","state":"KEN","password":"correct horse battery"}`, "application/json"},
		{`{"email":"fuzz@cpcj.test","name":"Fuzz","role":"donor","contributor":"NOR","password":"correct horse battery"}`, "application/problem+json"},
		{`{"email":"x","name":"","role":"","password":""}`, "application/json; charset=utf-8"},
		{`{"name":5}`, "application/json"},
		{`{"state":"ZZZ","role":"focal_point","email":"z@cpcj.test","name":"Z","password":"correct horse battery"}`, ""},
		{`{"email":"a@b.c"}{}`, "application/json"},
		{"\xff", "application/json"},
		{``, ""},
		{`{}`, "text/plain"},
		{`{}`, "application/json; charset"},
		{`{}`, "multipart/form-data; boundary=x"},
	} {
		f.Add([]byte(seed.body), seed.ctype)
	}
	f.Fuzz(func(t *testing.T, body []byte, ctype string) {
		if strings.ContainsFunc(ctype, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			t.Skip("not a value an HTTP client can send")
		}
		r := h.do(t, call{method: "POST", path: "/api/v1/users", as: admin, via: viaToken, body: string(body), ctype: ctype})
		if r.status >= 500 {
			t.Fatalf("server error for %q as %q:\n%s", body, ctype, r)
		}
		if r.status >= 400 {
			var p problem
			if r.header.Get("Content-Type") != "application/problem+json" || json.Unmarshal([]byte(r.body), &p) != nil || p.Status != r.status || p.Detail == "" {
				t.Fatalf("refusal of %q as %q is not a problem document:\n%s", body, ctype, r)
			}
			return
		}
		if r.status != http.StatusCreated {
			t.Fatalf("status %d for %q as %q", r.status, body, ctype)
		}
	})
}
