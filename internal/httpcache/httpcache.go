// Package httpcache answers conditional requests for published data: the
// ETag and Last-Modified validators of an answer, and whether a client's
// copy is still current (RFC 9110, section 13), so that a 304 Not Modified
// spares sending it again.
package httpcache

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Validators are what a conditional request is checked against.
type Validators struct {
	ETag     string    // with its quotes, and W/ when weak
	Modified time.Time // zero when unknown
}

// WeakETag derives a weak ETag from the version of the data, which changes
// with every change of them, and the parts that tell one answer from
// another: the program's version, the resource, its parameters in a
// canonical form (the same whatever their order in the request), the
// representation. It is weak: two answers with the same ETag hold the same
// data, not always the same bytes.
func WeakETag(version int64, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return `W/"` + strconv.FormatInt(version, 10) + "-" + hex.EncodeToString(h.Sum(nil)[:6]) + `"`
}

// Set writes the validators, lets shared caches keep the answer for maxAge
// seconds, and names the request headers other than the URL that choose
// the answer (Vary).
func (v Validators) Set(h http.Header, maxAge int, vary ...string) {
	h.Set("ETag", v.ETag)
	if !v.Modified.IsZero() {
		h.Set("Last-Modified", v.Modified.UTC().Format(http.TimeFormat))
	}
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(maxAge))
	for _, name := range vary {
		h.Add("Vary", name)
	}
}

// NotModified answers a GET or HEAD request whose copy is current (see
// Fresh) with 304 Not Modified and the headers Set writes, as a full
// answer would carry them, and reports whether it did. Other methods are
// never answered so: their conditions are about changing the resource.
func NotModified(w http.ResponseWriter, r *http.Request, v Validators, maxAge int, vary ...string) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead || !v.Fresh(r) {
		return false
	}
	v.Set(w.Header(), maxAge, vary...)
	w.WriteHeader(http.StatusNotModified)
	return true
}

// Fresh reports whether the client's copy is current: If-None-Match names
// the ETag (compared weakly), or, without If-None-Match, If-Modified-Since
// is no earlier than the last change (RFC 9110, 13.2.2).
func (v Validators) Fresh(r *http.Request) bool {
	if inm := r.Header.Values("If-None-Match"); len(inm) > 0 {
		return Matches(strings.Join(inm, ","), v.ETag)
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" && !v.Modified.IsZero() {
		if t, err := http.ParseTime(ims); err == nil {
			return !v.Modified.Truncate(time.Second).After(t)
		}
	}
	return false
}

// Matches reports whether an If-None-Match list names the ETag, by weak
// comparison.
func Matches(list, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for t := range strings.SplitSeq(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}
