package sdmx

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxAge is how long a shared cache may keep an answer without asking
// again: statistics change with an import, rarely within minutes.
const maxAge = 60

// validators are what a conditional request is checked against.
type validators struct {
	etag     string
	modified time.Time // zero when unknown
}

// newValidators derives the ETag of an answer from the statistics version
// (which changes with every import and every change of structure), the
// program's version and the representation. The ETag is weak: the message
// header (ID, time prepared) differs between two answers with the same
// content.
func (x *Handler) newValidators(statsVersion int64, c choice, modified time.Time) validators {
	h := sha256.Sum256([]byte(x.version + "\x00" + formats[c.format].media + "\x00" + strconv.FormatBool(c.labels)))
	return validators{
		etag:     `W/"s` + strconv.FormatInt(statsVersion, 10) + "-" + hex.EncodeToString(h[:6]) + `"`,
		modified: modified,
	}
}

// set writes the validators and caching headers.
func (v validators) set(h http.Header) {
	h.Set("ETag", v.etag)
	if !v.modified.IsZero() {
		h.Set("Last-Modified", v.modified.UTC().Format(http.TimeFormat))
	}
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(maxAge))
	h.Add("Vary", "Accept")
}

// notModified answers 304 when the client's copy is current: If-None-Match
// names the ETag (compared weakly), or, without If-None-Match,
// If-Modified-Since is no earlier than the last change (RFC 9110, 13.2.2).
func (v validators) notModified(w http.ResponseWriter, r *http.Request) bool {
	fresh := false
	if inm := r.Header.Values("If-None-Match"); len(inm) > 0 {
		fresh = etagListMatches(strings.Join(inm, ","), v.etag)
	} else if ims := r.Header.Get("If-Modified-Since"); ims != "" && !v.modified.IsZero() {
		if t, err := http.ParseTime(ims); err == nil {
			fresh = !v.modified.Truncate(time.Second).After(t)
		}
	}
	if !fresh {
		return false
	}
	v.set(w.Header())
	w.WriteHeader(http.StatusNotModified)
	return true
}

// etagListMatches reports whether an If-None-Match list names the ETag,
// by weak comparison.
func etagListMatches(list, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}
