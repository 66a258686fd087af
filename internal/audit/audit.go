// Package audit is the trail of every change to programme data: who, when,
// what, a digest of the record before and after, from which request and
// address. Records are chained by hash so that an edit, a deletion or an
// insertion made behind the application's back is detected by Verify.
//
// The audit trail is separate from the application log: the log is for
// operators and may be rotated away; the trail is programme data.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// TimeLayout is the fixed-width form in which times enter the hash.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// Record is one entry in the trail.
type Record struct {
	Seq       int64     `json:"seq"`
	At        time.Time `json:"at"`
	ActorID   int64     `json:"actor_id,omitempty"`
	Actor     string    `json:"actor"`
	Role      string    `json:"role"`
	Action    string    `json:"action"`
	Entity    string    `json:"entity"`
	EntityID  string    `json:"entity_id"`
	Before    string    `json:"before_digest,omitempty"` // SHA-256 of the record before; empty on create
	After     string    `json:"after_digest,omitempty"`  // SHA-256 of the record after; empty on delete
	Summary   string    `json:"summary,omitempty"`
	RequestID string    `json:"request_id,omitempty"`
	Address   string    `json:"address,omitempty"`
	PrevHash  string    `json:"prev_hash"`
	Hash      string    `json:"hash"`
}

// Change describes one change for the trail; the storage layer writes it in
// the transaction that makes the change.
type Change struct {
	Action   string // create, update, delete, load, ...
	Entity   string // account, participant, api_token, ...
	EntityID string
	Before   any // the record before, or nil on create
	After    any // the record after, or nil on delete
	Summary  string
}

// Digest returns the hex SHA-256 of v's JSON encoding, or "" for nil. Struct
// fields encode in declaration order and map keys sorted, so the digest of
// the same record is stable. Secrets must be kept out of v by the caller
// (tag them `json:"-"`).
func Digest(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("audit: digest of %T: %v", v, err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ComputeHash returns the chain hash of r: the SHA-256 of the previous hash
// and every field but Hash, each prefixed by its length so that no two
// different records hash alike.
func (r Record) ComputeHash() string {
	h := sha256.New()
	var n [8]byte
	put := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	put(r.PrevHash)
	put(fmt.Sprint(r.Seq))
	put(r.At.UTC().Format(TimeLayout))
	put(fmt.Sprint(r.ActorID))
	put(r.Actor)
	put(r.Role)
	put(r.Action)
	put(r.Entity)
	put(r.EntityID)
	put(r.Before)
	put(r.After)
	put(r.Summary)
	put(r.RequestID)
	put(r.Address)
	return hex.EncodeToString(h.Sum(nil))
}

// Head is the last link of the chain as the application last wrote it.
type Head struct {
	Seq  int64
	Hash string
}

// Problem is the first place where the chain does not hold.
type Problem struct {
	Seq    int64
	Reason string
}

func (p *Problem) Error() string { return fmt.Sprintf("audit record %d: %s", p.Seq, p.Reason) }

// Verifier checks records fed to it in ascending order of Seq.
type Verifier struct {
	prev    Record
	started bool
	count   int64
}

// Add checks the next record; it returns the first problem found.
func (v *Verifier) Add(r Record) *Problem {
	want := v.prev.Seq + 1
	switch {
	case r.Seq > want:
		return &Problem{want, fmt.Sprintf("is missing: the trail jumps from record %d to record %d (removed)", v.prev.Seq, r.Seq)}
	case r.Seq < want:
		return &Problem{r.Seq, "appears out of order (inserted)"}
	}
	prevHash := ""
	if v.started {
		prevHash = v.prev.Hash
	}
	if r.PrevHash != prevHash {
		return &Problem{r.Seq, fmt.Sprintf("does not link to record %d (inserted, or record %d was altered)", v.prev.Seq, v.prev.Seq)}
	}
	if r.ComputeHash() != r.Hash {
		return &Problem{r.Seq, "its contents do not match its hash (altered)"}
	}
	v.prev, v.started = r, true
	v.count++
	return nil
}

// Finish checks the end of the trail against the head.
func (v *Verifier) Finish(h Head) *Problem {
	switch {
	case h.Seq > v.prev.Seq:
		return &Problem{v.prev.Seq + 1, fmt.Sprintf("is missing: the trail ends at record %d but the chain head is record %d (removed)", v.prev.Seq, h.Seq)}
	case h.Seq < v.prev.Seq:
		return &Problem{h.Seq + 1, fmt.Sprintf("is beyond the chain head, record %d (inserted)", h.Seq)}
	case v.started && h.Hash != v.prev.Hash:
		return &Problem{v.prev.Seq, "does not match the chain head (altered)"}
	}
	return nil
}

// Count returns the number of records checked so far.
func (v *Verifier) Count() int64 { return v.count }

// Filter selects records for the audit page and API.
type Filter struct {
	Entity   string
	EntityID string
	Actor    string // part of the actor label
	From, To time.Time
	Limit    int
	Before   int64 // records with Seq below this; 0 for the newest
}

// Meta is what the request adds to each record it causes.
type Meta struct {
	RequestID string
	Address   string
}

type metaKey struct{}

// WithMeta returns a context carrying the request's audit metadata.
func WithMeta(ctx context.Context, m Meta) context.Context {
	return context.WithValue(ctx, metaKey{}, m)
}

// MetaFrom returns the request's audit metadata, if any.
func MetaFrom(ctx context.Context) Meta {
	m, _ := ctx.Value(metaKey{}).(Meta)
	return m
}
