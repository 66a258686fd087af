// Package stream sends long answers: a download or a data query that
// writes its body as it reads the data. The status and headers go out with
// the first byte, so that a failure found before it can still be an error
// answer; the connection's write deadline moves forward as bytes go out,
// so that the server's write timeout cuts a stalled client but not a long
// answer; and an answer broken off halfway is logged and cut, so that the
// client sees a broken answer, not a short one that looks whole.
package stream

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// Step is how far the write deadline is pushed at each write: the longest
// a client may take to read one buffer of the answer.
const Step = 30 * time.Second

// Writer is the body of a long answer.
type Writer struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	start   func(http.Header)
	started bool
	n       int64
}

// New returns a writer of the body of w's answer; start sets the headers
// of a successful answer, just before its first byte is sent.
func New(w http.ResponseWriter, start func(http.Header)) *Writer {
	return &Writer{w: w, rc: http.NewResponseController(w), start: start}
}

// Write sends the status 200 and the headers with the first bytes, and
// moves the write deadline Step ahead. Write(nil) sends the headers of an
// empty body.
func (s *Writer) Write(b []byte) (int, error) {
	if err := s.rc.SetWriteDeadline(time.Now().Add(Step)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return 0, err
	}
	if !s.started {
		s.started = true
		s.start(s.w.Header())
		s.w.WriteHeader(http.StatusOK)
	}
	n, err := s.w.Write(b)
	s.n += int64(n)
	return n, err
}

// Started reports whether the status and headers are out: from then on, a
// failure can no longer change the answer, only break it (see Abort).
func (s *Writer) Started() bool { return s.started }

// Abort ends an answer that is partly sent and cannot be finished: it logs
// the failure, as a warning when the client went away (its context is
// done), as an error otherwise, and cuts the connection. It does not
// return.
func (s *Writer) Abort(ctx context.Context, log *slog.Logger, msg string, err error, attrs ...any) {
	level := slog.LevelError
	if ctx.Err() != nil {
		level = slog.LevelWarn
	}
	log.Log(context.WithoutCancel(ctx), level, msg, append([]any{"err", err, "bytes", s.n}, attrs...)...)
	panic(http.ErrAbortHandler)
}
