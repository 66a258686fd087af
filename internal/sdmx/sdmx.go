// Package sdmx disseminates cpcj's crime statistics as SDMX 2.1 REST, so that
// the SDMX clients statisticians already use (R's rsdmx, Python's sdmx1,
// .Stat, Excel plug-ins) read them without an adapter (resolution 68/193,
// ¶ 25).
//
// It answers structure queries (dataflow, datastructure, codelist,
// conceptscheme and structure) with SDMX-ML 2.1 Structure messages, and data
// queries with SDMX-ML 2.1 GenericData and StructureSpecificData (and their
// time-series forms), SDMX-CSV 1.0 and SDMX-JSON 1.0, chosen by the Accept
// header or the format parameter. Data are written series by series as the
// store yields them, never held whole in memory. Every error is an SDMX-ML
// Error message with the HTTP status the SDMX web-service guidelines map its
// code to.
package sdmx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cpcj/cpcj/internal/stats"
)

// Prefix is the path under which the service answers.
const Prefix = "/sdmx/rest"

// The SDMX-ML 2.1 namespaces.
const (
	nsMessage  = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
	nsCommon   = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
	nsStruct   = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure"
	nsGeneric  = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic"
	nsSpecific = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific"
	nsXSI      = "http://www.w3.org/2001/XMLSchema-instance"
)

// senderName is who sends every message: the agency that maintains the
// structures.
const senderName = "United Nations Office on Drugs and Crime"

// Store is what the service reads.
type Store interface {
	stats.Store
	// StatisticsVersion changes whenever observations or structures change.
	StatisticsVersion(ctx context.Context) (int64, error)
	// StatisticsChanged returns when they last changed.
	StatisticsChanged(ctx context.Context) (time.Time, error)
}

// Deps are what the handler is built from.
type Deps struct {
	Store Store
	Log   *slog.Logger
	// BaseURL is the site's public address, for the structure URLs of stubs.
	BaseURL string
	// Version is the program's version; it is part of every ETag, since
	// another version may write the same data differently.
	Version string
	// Now is the clock; nil for time.Now.
	Now func() time.Time
}

// Handler serves the SDMX REST API.
type Handler struct {
	store   Store
	log     *slog.Logger
	baseURL string
	version string
	now     func() time.Time
	started time.Time // when this server started: see validators
	lists   struct {
		sync.Mutex
		version int64 // the statistics version they were read at
		byID    map[string]stats.Codelist
	}
	lastChange struct {
		sync.Mutex
		known   bool
		version int64 // the statistics version it was read at
		at      time.Time
	}
}

// New returns the handler.
func New(d Deps) *Handler {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{store: d.Store, log: log, baseURL: strings.TrimSuffix(d.BaseURL, "/"), version: d.Version, now: now, started: now()}
}

// NotFound answers a path under the prefix that no route matches, and a
// method other than GET or HEAD on any path.
func (x *Handler) NotFound(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		x.fail(w, r, &Error{Code: CodeSyntax, Status: http.StatusMethodNotAllowed,
			Text: "The SDMX REST API answers GET and HEAD only; " + r.Method + " is not allowed."})
		return
	}
	x.fail(w, r, noResults("There is no SDMX resource at %s. Structure queries are %s/{dataflow|datastructure|codelist|conceptscheme|structure}/{agencyID}/{resourceID}/{version}; data queries are %s/data/{flowRef}/{key}/{providerRef}.",
		r.URL.Path, Prefix, Prefix))
}

// StripSlash serves a path under the prefix that ends in a slash as the
// same path without it: rsdmx and other clients add one to every query.
func StripSlash(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if len(p) > len(Prefix)+1 && strings.HasPrefix(p, Prefix+"/") && strings.HasSuffix(p, "/") {
			r2 := r.Clone(r.Context())
			r2.URL.Path = strings.TrimRight(p, "/")
			r2.URL.RawPath = strings.TrimRight(r.URL.RawPath, "/")
			next.ServeHTTP(w, r2)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// messageID names a message: SDMX IDType, unique enough to tell two answers
// apart in a client's logs.
func messageID() string {
	var b [8]byte
	rand.Read(b[:])
	return "IREF" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// urn is the SDMX URN of an artefact.
func urn(class, id string) string {
	pkg := map[string]string{"Dataflow": "datastructure", "DataStructure": "datastructure", "Codelist": "codelist", "ConceptScheme": "conceptscheme"}[class]
	return "urn:sdmx:org.sdmx.infomodel." + pkg + "." + class + "=" + stats.Agency + ":" + id + "(" + stats.Version + ")"
}

// flowRef is how SDMX-CSV names a dataflow: AGENCY:ID(VERSION).
func flowRef(id string) string { return stats.Agency + ":" + id + "(" + stats.Version + ")" }
