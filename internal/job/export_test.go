package job

import "time"

// SetClock replaces the runner's clock, so that tests can reach retry
// times and lease ends without waiting.
func (r *Runner) SetClock(now func() time.Time) { r.now = now }
