package collect

import (
	"strings"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/fail"
)

// TestCheckOpen: a round takes figures from its opening day until it is
// closed, due date or not, and says why it takes none.
func TestCheckOpen(t *testing.T) {
	opens := civil.Of(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC))
	closed := time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		closed *time.Time
		day    civil.Date
		want   string // part of the refusal; "" for none
	}{
		{"before it opens", nil, opens.AddDays(-1), "opens on 2024-03-01"},
		{"on its opening day", nil, opens, ""},
		{"past its due date", nil, opens.AddDays(120), ""},
		{"closed", &closed, opens.AddDays(10), "is closed"},
	} {
		r := Round{Name: "UN-CTS 2023", OpensOn: opens, DueOn: opens.AddDays(90), ClosedAt: tc.closed}
		err := r.CheckOpen(tc.day)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (!fail.Is(err, fail.Conflict) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want a conflict saying %q", tc.name, err, tc.want)
		}
		if r.Open(tc.day) != (err == nil) {
			t.Errorf("%s: Open says %v, CheckOpen %v", tc.name, r.Open(tc.day), err)
		}
	}
}
