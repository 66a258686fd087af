package stats

import "slices"

// Usage is what the stored series of a dataflow use: the codes each
// dimension takes and the span of their periods. The data explorer offers
// these choices, so that a reader is not led to views without data.
type Usage struct {
	Flow string
	// Codes holds, per dimension in key order, the codes some series of
	// the flow has, sorted.
	Codes       [10][]string
	First, Last Period // zero when the flow has no observations
	Series      int
}

// Uses reports whether some series of the flow has the code in the
// dimension at position dim.
func (u Usage) Uses(dim int, code string) bool {
	_, ok := slices.BinarySearch(u.Codes[dim], code)
	return ok
}
