package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/httpcache"
	"github.com/cpcj/cpcj/internal/state"
)

// stateTTL is how long a server keeps an encoded participant list. The list
// is reference data that changes a few times a year; a few seconds of
// staleness on one server is the price of not asking the database on every
// request.
const stateTTL = 5 * time.Second

// statesMaxAge is how long, in seconds, a shared cache may keep a
// participant list without asking again.
const statesMaxAge = 60

type cached struct {
	body    []byte
	etag    string
	expires time.Time
}

// stateCache keeps encoded participant lists by query.
type stateCache struct {
	mu      sync.RWMutex
	entries map[string]cached
}

func newStateCache() *stateCache { return &stateCache{entries: map[string]cached{}} }

func (c *stateCache) get(key string, now time.Time) (cached, bool) {
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	return e, ok && now.Before(e.expires)
}

func (c *stateCache) put(key string, e cached) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= 512 {
		clear(c.entries)
	}
	c.entries[key] = e
}

// ListStates answers GET /api/v1/states.
func (h *Handler) ListStates(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "regional_group", "kind", "q", "limit", "offset")
	if err != nil {
		Error(w, r, h.Log, err)
		return
	}
	limit, offset, err := paging(q)
	if err != nil {
		Error(w, r, h.Log, err)
		return
	}
	f := state.Filter{RegionalGroup: q.Get("regional_group"), Kind: state.Kind(q.Get("kind")), Query: strings.TrimSpace(q.Get("q")), Limit: limit, Offset: offset}
	if f.RegionalGroup != "" && state.GroupName(f.RegionalGroup) == "" {
		Error(w, r, h.Log, fail.Field("regional_group", "%q is not one of AG, APG, EEG, GRULAC, WEOG", f.RegionalGroup))
		return
	}
	switch f.Kind {
	case "", state.MemberState, state.ObserverState, state.NonMemberState, state.Organization:
	default:
		Error(w, r, h.Log, fail.Field("kind", "%q is not one of member_state, observer_state, non_member_state, organization", f.Kind))
		return
	}
	if len(f.Query) > 100 {
		Error(w, r, h.Log, fail.Field("q", "is at most 100 characters"))
		return
	}
	key := r.URL.RawQuery
	now := time.Now()
	e, ok := h.states.get(key, now)
	if !ok {
		list, total, err := h.States.Participants(r.Context(), f)
		if err != nil {
			Error(w, r, h.Log, err)
			return
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(List[state.Participant]{Items: list, Total: total, Limit: limit, Offset: offset, Next: nextURL(r, limit, offset, total)})
		sum := sha256.Sum256(buf.Bytes())
		e = cached{body: buf.Bytes(), etag: `"` + hex.EncodeToString(sum[:8]) + `"`, expires: now.Add(stateTTL)}
		h.states.put(key, e)
	}
	val := httpcache.Validators{ETag: e.etag}
	if httpcache.NotModified(w, r, val, statesMaxAge) {
		return
	}
	hdr := w.Header()
	val.Set(hdr, statesMaxAge)
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Content-Length", strconv.Itoa(len(e.body)))
	w.Write(e.body)
}

// GetState answers GET /api/v1/states/{code}.
func (h *Handler) GetState(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, http.StatusOK, func(access.Actor) (any, error) {
		if _, err := query(r); err != nil {
			return nil, err
		}
		code := strings.ToUpper(r.PathValue("code"))
		if !state.ValidCode(code) {
			return nil, fail.Field("code", "%q is not an ISO 3166-1 alpha-3 code (three letters)", r.PathValue("code"))
		}
		return h.States.Participant(r.Context(), code)
	})
}

// ListGroups answers GET /api/v1/regional-groups.
func (h *Handler) ListGroups(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, http.StatusOK, func(access.Actor) (any, error) {
		_, err := query(r)
		return List[state.Group]{Items: state.Groups, Total: len(state.Groups), Limit: len(state.Groups)}, err
	})
}
