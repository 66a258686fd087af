package collect

import (
	"strings"
	"testing"

	"github.com/cpcj/cpcj/internal/stats"
)

func TestDiff(t *testing.T) {
	v := func(iccs string, x *float64, status, comment, origin string) Value {
		return Value{Key: offenceKey(iccs), Period: stats.Period{Year: 2023, Kind: 'A'}, Value: x, Status: status, Comment: comment, Origin: origin}
	}
	draft := []Value{
		v("0502", vfig(10), "A", "", "form"),
		v("0501", vfig(5), "A", "", "form"),
		v("0701", vfig(7), "A", "", "form"),
		v("0703", nil, "M", "", "form"),
		v("07031", vfig(3), "A", "", "form"),
		v("1001", vfig(1), "A", "note", "form"),
	}
	upload := []Value{
		v("1001", vfig(1), "A", "another note", "line 7"), // comment changed
		v("0501", vfig(5), "A", "", "line 2"),             // the same, read elsewhere
		v("0502", vfig(11), "A", "", "line 3"),            // figure changed
		v("0703", vfig(0), "A", "", "line 4"),             // now given
		v("07031", vfig(3), "E", "", "line 5"),            // status changed
		v("020111", vfig(2), "A", "", "line 6"),           // new
	}
	c := Diff(draft, upload)
	if len(c.Added) != 1 || c.Added[0].Key.Dim("ICCS") != "020111" || c.Added[0].Origin != "line 6" {
		t.Errorf("added %+v", c.Added)
	}
	if len(c.Removed) != 1 || c.Removed[0].Key.Dim("ICCS") != "0701" {
		t.Errorf("removed %+v", c.Removed)
	}
	var changed []string
	for _, ch := range c.Changed {
		if ch.Old.Key != ch.New.Key || ch.Old.Origin != "form" {
			t.Errorf("%+v", ch)
		}
		changed = append(changed, ch.New.Key.Dim("ICCS"))
	}
	if want := "0502 0703 07031 1001"; strings.Join(changed, " ") != want {
		t.Errorf("changed %s, want %s (in key order)", strings.Join(changed, " "), want)
	}
	if c.Same != 1 || c.Empty() {
		t.Errorf("same %d", c.Same)
	}
	if c := Diff(draft, draft); !c.Empty() || c.Same != len(draft) {
		t.Errorf("no change: %+v", c)
	}
	if c := Diff(draft, nil); len(c.Removed) != len(draft) || c.Removed[0].Key.Dim("ICCS") != "0501" {
		t.Errorf("an empty upload removes the scope: %+v", c)
	}
	if c := Diff(nil, upload); len(c.Added) != len(upload) {
		t.Errorf("a first upload adds: %+v", c)
	}
}
