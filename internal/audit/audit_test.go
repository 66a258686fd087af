package audit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/audit"
)

func TestDigest(t *testing.T) {
	type rec struct {
		Name   string `json:"name"`
		Secret string `json:"-"`
	}
	if audit.Digest(nil) != "" {
		t.Error("the digest of nothing is not empty")
	}
	a := audit.Digest(rec{Name: "A", Secret: "x"})
	if len(a) != 64 {
		t.Errorf("digest %q is not hex SHA-256", a)
	}
	if a != audit.Digest(rec{Name: "A", Secret: "y"}) {
		t.Error("a field kept out of JSON changes the digest")
	}
	if a == audit.Digest(rec{Name: "B"}) {
		t.Error("different records have one digest")
	}
	// Maps encode with sorted keys, so the digest does not depend on order.
	if audit.Digest(map[string]int{"a": 1, "b": 2, "c": 3}) != audit.Digest(map[string]int{"c": 3, "b": 2, "a": 1}) {
		t.Error("map digest depends on insertion order")
	}
	defer func() {
		if recover() == nil {
			t.Error("an unencodable value did not panic")
		}
	}()
	audit.Digest(func() {})
}

func sample() audit.Record {
	return audit.Record{Seq: 7, At: time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC), ActorID: 3, Actor: "a@example.org",
		Role: "admin", Action: "update", Entity: "account", EntityID: "12", Before: "b", After: "c",
		Summary: "s", RequestID: "r", Address: "192.0.2.1", PrevHash: "p"}
}

func TestComputeHashCoversEveryField(t *testing.T) {
	base := sample()
	h := base.ComputeHash()
	if h != sample().ComputeHash() || len(h) != 64 {
		t.Fatalf("hash %q is not stable hex SHA-256", h)
	}
	// The same instant in another zone is the same record.
	r := sample()
	r.At = r.At.In(time.FixedZone("EAT", 3*3600))
	if r.ComputeHash() != h {
		t.Error("the hash depends on the time zone")
	}
	// Hash itself is not hashed.
	r = sample()
	r.Hash = "anything"
	if r.ComputeHash() != h {
		t.Error("the hash covers the Hash field")
	}
	for name, change := range map[string]func(r *audit.Record){
		"Seq":       func(r *audit.Record) { r.Seq++ },
		"At":        func(r *audit.Record) { r.At = r.At.Add(time.Microsecond) },
		"ActorID":   func(r *audit.Record) { r.ActorID++ },
		"Actor":     func(r *audit.Record) { r.Actor += "x" },
		"Role":      func(r *audit.Record) { r.Role = "expert" },
		"Action":    func(r *audit.Record) { r.Action = "delete" },
		"Entity":    func(r *audit.Record) { r.Entity = "api_token" },
		"EntityID":  func(r *audit.Record) { r.EntityID = "13" },
		"Before":    func(r *audit.Record) { r.Before = "" },
		"After":     func(r *audit.Record) { r.After = "" },
		"Summary":   func(r *audit.Record) { r.Summary = "t" },
		"RequestID": func(r *audit.Record) { r.RequestID = "" },
		"Address":   func(r *audit.Record) { r.Address = "192.0.2.2" },
		"PrevHash":  func(r *audit.Record) { r.PrevHash = "q" },
	} {
		r := sample()
		change(&r)
		if r.ComputeHash() == h {
			t.Errorf("changing %s leaves the hash as it was", name)
		}
	}
	// Length prefixes keep text from moving between fields unseen.
	a, b := sample(), sample()
	a.Actor, a.Role = "ab", "c"
	b.Actor, b.Role = "a", "bc"
	if a.ComputeHash() == b.ComputeHash() {
		t.Error("moving text from one field to the next keeps the hash")
	}
}

// chain returns n linked records, seq 1 to n.
func chain(n int) []audit.Record {
	var rs []audit.Record
	prev := ""
	for i := 1; i <= n; i++ {
		r := audit.Record{Seq: int64(i), At: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC), Actor: "a", Role: "admin",
			Action: "update", Entity: "account", EntityID: "1", PrevHash: prev}
		r.Hash = r.ComputeHash()
		prev = r.Hash
		rs = append(rs, r)
	}
	return rs
}

func head(rs []audit.Record) audit.Head {
	if len(rs) == 0 {
		return audit.Head{}
	}
	return audit.Head{Seq: rs[len(rs)-1].Seq, Hash: rs[len(rs)-1].Hash}
}

func verify(rs []audit.Record, h audit.Head) (int64, *audit.Problem) {
	var v audit.Verifier
	for _, r := range rs {
		if p := v.Add(r); p != nil {
			return v.Count(), p
		}
	}
	return v.Count(), v.Finish(h)
}

func TestVerifier(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(rs []audit.Record) ([]audit.Record, audit.Head)
		seq    int64 // 0: intact
		reason string
	}{
		{"intact", func(rs []audit.Record) ([]audit.Record, audit.Head) { return rs, head(rs) }, 0, ""},
		{"empty", func([]audit.Record) ([]audit.Record, audit.Head) { return nil, audit.Head{} }, 0, ""},
		{"altered", func(rs []audit.Record) ([]audit.Record, audit.Head) {
			rs[2].Summary = "changed"
			return rs, head(rs)
		}, 3, "do not match its hash"},
		{"altered and rehashed", func(rs []audit.Record) ([]audit.Record, audit.Head) {
			rs[2].Summary = "changed"
			rs[2].Hash = rs[2].ComputeHash()
			return rs, head(rs)
		}, 4, "record 3 was altered"},
		{"removed from the middle", func(rs []audit.Record) ([]audit.Record, audit.Head) {
			h := head(rs)
			return append(rs[:2:2], rs[3:]...), h
		}, 3, "jumps from record 2 to record 4"},
		{"removed from the start", func(rs []audit.Record) ([]audit.Record, audit.Head) { return rs[1:], head(rs) }, 1, "missing"},
		{"removed from the end", func(rs []audit.Record) ([]audit.Record, audit.Head) { return rs[:4], head(rs) }, 5, "chain head is record 5"},
		{"all removed", func(rs []audit.Record) ([]audit.Record, audit.Head) { return nil, head(rs) }, 1, "missing"},
		{"appended", func(rs []audit.Record) ([]audit.Record, audit.Head) {
			h := head(rs)
			r := audit.Record{Seq: 6, Actor: "intruder", PrevHash: rs[4].Hash}
			r.Hash = r.ComputeHash()
			return append(rs, r), h
		}, 6, "beyond the chain head"},
		{"duplicated", func(rs []audit.Record) ([]audit.Record, audit.Head) {
			return append(rs[:3:3], rs[2:]...), head(rs)
		}, 3, "out of order"},
		{"head does not match", func(rs []audit.Record) ([]audit.Record, audit.Head) {
			return rs, audit.Head{Seq: 5, Hash: "forged"}
		}, 5, "does not match the chain head"},
		{"first record links to something", func(rs []audit.Record) ([]audit.Record, audit.Head) {
			rs[0].PrevHash = "x"
			rs[0].Hash = rs[0].ComputeHash()
			return rs, head(rs)
		}, 1, "does not link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, h := tt.edit(chain(5))
			n, p := verify(rs, h)
			switch {
			case tt.seq == 0 && p != nil:
				t.Fatalf("problem %v in an intact trail", p)
			case tt.seq == 0:
				if n != int64(len(rs)) {
					t.Errorf("checked %d records, want %d", n, len(rs))
				}
			case p == nil:
				t.Fatal("not detected")
			case p.Seq != tt.seq || !strings.Contains(p.Reason, tt.reason):
				t.Errorf("problem %v, want record %d: %q", p, tt.seq, tt.reason)
			}
		})
	}
}

func TestMeta(t *testing.T) {
	if m := audit.MetaFrom(context.Background()); m != (audit.Meta{}) {
		t.Errorf("empty context: %+v", m)
	}
	want := audit.Meta{RequestID: "r1", Address: "192.0.2.1"}
	if m := audit.MetaFrom(audit.WithMeta(context.Background(), want)); m != want {
		t.Errorf("MetaFrom = %+v", m)
	}
}
