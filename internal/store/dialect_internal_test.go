package store

import (
	"testing"
	"time"
)

func TestRebind(t *testing.T) {
	pg, lite := &DB{engine: Postgres}, &DB{engine: SQLite}
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"a = ? AND b = ?", "a = $1 AND b = $2"},
		{"x = '?' AND y = ?", "x = '?' AND y = $1"},
		{`"odd?name" = ? OR z = 'it''s ?'`, `"odd?name" = $1 OR z = 'it''s ?'`},
		{"IN (?, ?, ?)", "IN ($1, $2, $3)"},
	}
	for _, tt := range tests {
		if got := pg.rebind(tt.in); got != tt.want {
			t.Errorf("postgres rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := lite.rebind(tt.in); got != tt.in {
			t.Errorf("sqlite rebind(%q) = %q, want it unchanged", tt.in, got)
		}
	}
}

func TestTimesKeepOrderAsText(t *testing.T) {
	lite := &DB{engine: SQLite}
	nairobi := time.FixedZone("EAT", 3*3600)
	a := time.Date(2026, 1, 2, 3, 4, 5, 0, nairobi) // 00:04:05Z
	b := time.Date(2026, 1, 2, 0, 4, 5, 1000, time.UTC)
	var nilTime *time.Time
	args := lite.args([]any{a, &b, nilTime, "x", 7})
	if args[0] != "2026-01-02 00:04:05.000000Z" || args[1] != "2026-01-02 00:04:05.000001Z" || args[2] != nil || args[3] != "x" || args[4] != 7 {
		t.Errorf("args = %q", args)
	}
	// Fixed width in UTC: text order is time order.
	if !(args[0].(string) < args[1].(string)) {
		t.Errorf("%s sorts after %s", args[0], args[1])
	}
	pg := &DB{engine: Postgres}
	if got := pg.args([]any{a}); got[0] != a {
		t.Errorf("postgres args converted %v", got[0])
	}
}

func TestScanTime(t *testing.T) {
	want := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	tests := []struct {
		in   any
		want time.Time
	}{
		{"2026-01-02 03:04:05.123456Z", want},
		{[]byte("2026-01-02 03:04:05.123456Z"), want},
		{"2026-01-02T06:04:05.123456+03:00", want},
		{"2026-01-02 03:04:05", want.Truncate(time.Second)},
		{want.In(time.FixedZone("X", -5*3600)), want},
	}
	for _, tt := range tests {
		var got time.Time
		if err := (tstamp{&got}).Scan(tt.in); err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("Scan(%v) = %v, %v; want %v in UTC", tt.in, got, err, tt.want)
		}
	}
	var got time.Time
	for _, bad := range []any{"yesterday", 42, nil} {
		if err := (tstamp{&got}).Scan(bad); err == nil {
			t.Errorf("Scan(%v) succeeded", bad)
		}
	}
	p := &want
	if err := (ntstamp{&p}).Scan(nil); err != nil || p != nil {
		t.Errorf("nullable Scan(nil) = %v, %v", p, err)
	}
}

func TestPage(t *testing.T) {
	tests := []struct{ limit, offset, wantLimit, wantOffset int }{
		{0, 0, 1000, 0},
		{-5, -5, 1000, 0},
		{50, 10, 50, 10},
		{5000, 0, 1000, 0},
	}
	for _, tt := range tests {
		if l, o := page(tt.limit, tt.offset); l != tt.wantLimit || o != tt.wantOffset {
			t.Errorf("page(%d, %d) = %d, %d", tt.limit, tt.offset, l, o)
		}
	}
}

func TestEngineOf(t *testing.T) {
	for url, want := range map[string]Engine{
		"postgres://u@h/db":       Postgres,
		"postgresql://u@h/db":     Postgres,
		"cpcj.db":                 SQLite,
		"data/cpcj.db":            SQLite,
		"data/postgres://odd.db":  SQLite,
		"POSTGRES://not-accepted": SQLite,
	} {
		if got := EngineOf(url); got != want {
			t.Errorf("EngineOf(%q) = %s, want %s", url, got, want)
		}
	}
}
