package collect

import (
	"cmp"
	"slices"

	"github.com/cpcj/cpcj/internal/stats"
)

// Changes is what storing an upload would do to the draft of its scope,
// shown by the dry run before anything is committed. A submission
// replaces its scope: a value of the draft that the upload lacks is
// removed.
type Changes struct {
	Added   []Value  `json:"added"`   // in the upload, not in the draft
	Changed []Change `json:"changed"` // in both, with another figure, status or comment
	Removed []Value  `json:"removed"` // in the draft, not in the upload
	Same    int      `json:"same"`    // in both, unchanged
}

// Change is a value that an upload changes.
type Change struct {
	Old Value `json:"old"`
	New Value `json:"new"`
}

// Empty reports whether the upload changes nothing.
func (c Changes) Empty() bool { return len(c.Added)+len(c.Changed)+len(c.Removed) == 0 }

// Diff compares the draft of a scope with an upload for the same scope.
// Values are matched by series key and period; a figure, status or
// comment that differs is a change (where a value was read is not). Each
// list is ordered by series key and period.
func Diff(draft, upload []Value) Changes {
	old := make(map[seriesAt]int, len(draft))
	for i, v := range draft {
		old[seriesAt{v.Key, v.Period}] = i
	}
	var c Changes
	kept := make([]bool, len(draft))
	for _, v := range upload {
		i, ok := old[seriesAt{v.Key, v.Period}]
		switch {
		case !ok:
			c.Added = append(c.Added, v)
			continue
		case sameValue(draft[i], v):
			c.Same++
		default:
			c.Changed = append(c.Changed, Change{Old: draft[i], New: v})
		}
		kept[i] = true
	}
	for i, v := range draft {
		if !kept[i] {
			c.Removed = append(c.Removed, v)
		}
	}
	slices.SortFunc(c.Added, compareValues)
	slices.SortFunc(c.Removed, compareValues)
	slices.SortFunc(c.Changed, func(a, b Change) int { return compareValues(a.New, b.New) })
	return c
}

func sameValue(a, b Value) bool {
	if (a.Value == nil) != (b.Value == nil) || (a.Value != nil && *a.Value != *b.Value) {
		return false
	}
	return a.Status == b.Status && a.Comment == b.Comment
}

func compareValues(a, b Value) int {
	return cmp.Or(slices.Compare(a.Key[:], b.Key[:]), comparePeriods(a.Period, b.Period))
}

func comparePeriods(a, b stats.Period) int {
	return a.Start().Compare(b.Start())
}
