package sdmx_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

func TestConditionalRequests(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		const data = "/data/HOMICIDE/A.KEN.VIC_HOM.0101._T._T._T._T.CJ.NB"
		first := h.get(t, data)
		etag, modified := first.header.Get("ETag"), first.header.Get("Last-Modified")
		lm, err := http.ParseTime(modified)
		if err != nil {
			t.Fatalf("Last-Modified %q: %v", modified, err)
		}
		notModified := func(r response) {
			t.Helper()
			if r.status != http.StatusNotModified || r.body != "" || r.header.Get("ETag") != etag || r.header.Get("Last-Modified") != modified {
				t.Errorf("want 304 with the validators, got %d ETag %q\n%s", r.status, r.header.Get("ETag"), r)
			}
		}
		full := func(r response) {
			t.Helper()
			if r.status != http.StatusOK || r.body == "" {
				t.Errorf("want 200 with the data, got %s", r)
			}
		}
		notModified(h.get(t, data, "If-None-Match", etag))
		notModified(h.get(t, data, "If-None-Match", `"other", `+etag))
		notModified(h.get(t, data, "If-None-Match", etag[2:])) // compared weakly
		notModified(h.get(t, data, "If-None-Match", "*"))
		notModified(h.get(t, data, "If-Modified-Since", modified))
		notModified(h.get(t, data, "If-Modified-Since", lm.Add(time.Hour).Format(http.TimeFormat)))
		full(h.get(t, data, "If-None-Match", `W/"other"`))
		full(h.get(t, data, "If-Modified-Since", lm.Add(-time.Second).Format(http.TimeFormat)))
		// If-None-Match decides when both are sent.
		full(h.get(t, data, "If-None-Match", `W/"other"`, "If-Modified-Since", modified))
		// Another representation is another ETag.
		csv := h.get(t, data, "Accept", "application/vnd.sdmx.data+csv;version=1.0.0")
		if csv.header.Get("ETag") == etag {
			t.Errorf("generic and CSV answers share the ETag %s", etag)
		}
		full(h.get(t, data, "Accept", "application/vnd.sdmx.data+csv;version=1.0.0", "If-None-Match", etag))

		const structure = "/dataflow/UNODC/HOMICIDE?references=all"
		s := h.get(t, structure)
		sTag := s.header.Get("ETag")
		if r := h.get(t, structure, "If-None-Match", sTag); r.status != http.StatusNotModified {
			t.Errorf("structure: %s", r)
		}

		// A change of the statistics changes the ETags.
		by := access.System("sdmx test")
		lists, err := db.Codelists(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lists {
			if l.ID == "CL_SEX" {
				if err := db.PutCodelist(ctx, by, l); err != nil {
					t.Fatal(err)
				}
			}
		}
		if r := h.get(t, structure, "If-None-Match", sTag); r.status != http.StatusOK || r.header.Get("ETag") == sTag {
			t.Errorf("after a code list changed, the structure's ETag is still %s", r.header.Get("ETag"))
		}
		obs := observations(t, db, query(t, "HOMICIDE", "A.KEN.VIC_HOM.0101._T._T._T._T.CJ.NB"))
		revised := obs[0]
		v := *revised.Value + 1
		revised.Value = &v
		db.SetClock(func() time.Time { return lm.Add(time.Hour) })
		if _, err := db.Ingest(ctx, by, "HOMICIDE", []stats.Observation{revised}, "test revision"); err != nil {
			t.Fatal(err)
		}
		db.SetClock(time.Now)
		r := h.get(t, data, "If-None-Match", etag)
		full(r)
		if r.header.Get("ETag") == etag || r.header.Get("Last-Modified") != lm.Add(time.Hour).Format(http.TimeFormat) {
			t.Errorf("after a revision: ETag %s, Last-Modified %s", r.header.Get("ETag"), r.header.Get("Last-Modified"))
		}
		full(h.get(t, data, "If-Modified-Since", modified))
	})
}

// TestPublic checks that the statistics answer everyone: credentials, even
// bad ones, change nothing.
func TestPublic(t *testing.T) {
	t.Parallel()
	h := newHarness(t, storetest.Open(t, store.SQLite))
	for _, auth := range []string{"Bearer nonsense", "Basic dXNlcjpwYXNz"} {
		if r := h.get(t, "/dataflow", "Authorization", auth); r.status != http.StatusOK {
			t.Errorf("Authorization %s: %s", auth, r)
		}
	}
}
