package httpcache

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestFresh(t *testing.T) {
	mod := time.Date(2024, 5, 1, 10, 30, 15, 500, time.UTC)
	v := Validators{ETag: `W/"s7-abc"`, Modified: mod}
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   bool
	}{
		{"none", nil, false},
		{"same etag", map[string]string{"If-None-Match": `W/"s7-abc"`}, true},
		{"strong form of the weak etag", map[string]string{"If-None-Match": `"s7-abc"`}, true},
		{"in a list", map[string]string{"If-None-Match": `"x", W/"s7-abc"`}, true},
		{"star", map[string]string{"If-None-Match": `*`}, true},
		{"other etag", map[string]string{"If-None-Match": `W/"s6-abc"`}, false},
		{"other etag wins over a fresh date", map[string]string{"If-None-Match": `W/"s6-abc"`, "If-Modified-Since": mod.Format(http.TimeFormat)}, false},
		{"modified since", map[string]string{"If-Modified-Since": mod.Add(-time.Second).Format(http.TimeFormat)}, false},
		{"not modified since", map[string]string{"If-Modified-Since": mod.Format(http.TimeFormat)}, true},
		{"bad date", map[string]string{"If-Modified-Since": "yesterday"}, false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		for k, val := range tc.header {
			r.Header.Set(k, val)
		}
		if got := v.Fresh(r); got != tc.want {
			t.Errorf("%s: Fresh = %v, want %v", tc.name, got, tc.want)
		}
	}
	h := http.Header{}
	v.Set(h, 60)
	if h.Get("ETag") != v.ETag || h.Get("Last-Modified") != "Wed, 01 May 2024 10:30:15 GMT" || h.Get("Cache-Control") != "public, max-age=60" {
		t.Errorf("headers %v", h)
	}
}

func TestWeakETag(t *testing.T) {
	a := WeakETag(7, "v1", "/x", "a=1&b=2")
	if !strings.HasPrefix(a, `W/"7-`) || !strings.HasSuffix(a, `"`) || len(a) != len(`W/"7-`)+12+1 {
		t.Errorf("ETag %s", a)
	}
	if a != WeakETag(7, "v1", "/x", "a=1&b=2") {
		t.Error("the same parts give another ETag")
	}
	for _, other := range []string{WeakETag(8, "v1", "/x", "a=1&b=2"), WeakETag(7, "v2", "/x", "a=1&b=2"), WeakETag(7, "v1", "/x", "a=1&b=3"),
		WeakETag(7, "v1/x", "a=1&b=2")} {
		if other == a {
			t.Errorf("%s for other parts", other)
		}
	}
}

func TestNotModified(t *testing.T) {
	v := Validators{ETag: `W/"7-abc"`, Modified: time.Date(2024, 5, 1, 10, 30, 15, 0, time.UTC)}
	for _, tc := range []struct {
		method, inm string
		want        bool
	}{
		{"GET", `W/"7-abc"`, true},
		{"HEAD", `"7-abc"`, true},
		{"GET", `W/"6-abc"`, false},
		{"POST", `W/"7-abc"`, false},
		{"PUT", "*", false},
	} {
		r := httptest.NewRequest(tc.method, "/", nil)
		r.Header.Set("If-None-Match", tc.inm)
		w := httptest.NewRecorder()
		got := NotModified(w, r, v, 60, "Accept")
		if got != tc.want {
			t.Errorf("%s with %s: %v, want %v", tc.method, tc.inm, got, tc.want)
			continue
		}
		h := w.Result().Header
		switch {
		case got && (w.Code != http.StatusNotModified || h.Get("ETag") != v.ETag || h.Get("Last-Modified") == "" ||
			h.Get("Cache-Control") != "public, max-age=60" || h.Get("Vary") != "Accept"):
			t.Errorf("%s: 304 with %d %v", tc.method, w.Code, h)
		case !got && len(h) != 0:
			t.Errorf("%s: headers %v written though the answer is the caller's", tc.method, h)
		}
	}
}
