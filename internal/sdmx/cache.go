package sdmx

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/cpcj/cpcj/internal/httpcache"
)

// maxAge is how long a shared cache may keep an answer without asking
// again: statistics change with an import, rarely within minutes.
const maxAge = 60

// vary is the request header, besides the URL, that chooses the
// representation of an answer.
const vary = "Accept"

// validators derives the validators of an answer. The ETag changes with
// the statistics version (every import and every change of structure),
// the program's version, the query and the representation; it is weak:
// the message header (ID, time prepared) differs between two answers with
// the same content. Last-Modified is the last change of the statistics,
// code lists and dataflows included (answers carry their names), or the
// start of this server when that is later, since another version of the
// program may write the same data differently.
func (x *Handler) validators(ctx context.Context, r *http.Request, version int64, c choice) (httpcache.Validators, error) {
	changed, err := x.changed(ctx, version)
	if err != nil {
		return httpcache.Validators{}, err
	}
	if changed.Before(x.started) {
		changed = x.started
	}
	return httpcache.Validators{
		ETag:     httpcache.WeakETag(version, x.version, r.URL.Path, r.URL.Query().Encode(), formats[c.format].media, strconv.FormatBool(c.labels)),
		Modified: changed,
	}, nil
}

// changed returns when the statistics last changed, as of a statistics
// version: read again only when the version moves.
func (x *Handler) changed(ctx context.Context, version int64) (time.Time, error) {
	x.lastChange.Lock()
	defer x.lastChange.Unlock()
	if x.lastChange.known && x.lastChange.version == version {
		return x.lastChange.at, nil
	}
	at, err := x.store.StatisticsChanged(ctx)
	if err != nil {
		return at, err
	}
	x.lastChange.version, x.lastChange.at, x.lastChange.known = version, at, true
	return at, nil
}
