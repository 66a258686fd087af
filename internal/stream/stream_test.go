package stream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestDeadline checks that an answer that takes longer than the server's
// write timeout is sent whole, as long as its bytes keep going out.
func TestDeadline(t *testing.T) {
	const chunks, size = 8, 16 << 10
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out := New(w, func(h http.Header) { h.Set("Content-Type", "text/plain") })
		for range chunks {
			time.Sleep(50 * time.Millisecond)
			if _, err := out.Write(bytes.Repeat([]byte("x"), size)); err != nil {
				return
			}
		}
	}))
	srv.Config.WriteTimeout = 150 * time.Millisecond
	srv.Start()
	defer srv.Close()
	r, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil || len(b) != chunks*size || r.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("%d of %d bytes, %v, %v", len(b), chunks*size, err, r.Header)
	}
}

// TestStart checks that the headers go out with the first byte, and not
// before.
func TestStart(t *testing.T) {
	w := httptest.NewRecorder()
	out := New(w, func(h http.Header) { h.Set("X-Started", "yes") })
	if out.Started() || w.Header().Get("X-Started") != "" {
		t.Fatal("started before a byte")
	}
	out.Write(nil)
	if !out.Started() || w.Code != http.StatusOK || w.Header().Get("X-Started") != "yes" {
		t.Errorf("after Write(nil): %d %v", w.Code, w.Header())
	}
}

// TestAbort checks that an answer broken off is logged, whether the client
// went away or not, and that the connection is cut.
func TestAbort(t *testing.T) {
	for _, gone := range []bool{false, true} {
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, nil))
		ctx, cancel := context.WithCancel(context.Background())
		if gone {
			cancel()
		}
		out := New(httptest.NewRecorder(), func(http.Header) {})
		out.Write([]byte("half a file"))
		func() {
			defer func() {
				if p := recover(); p != http.ErrAbortHandler {
					t.Errorf("panic %v, want http.ErrAbortHandler", p)
				}
			}()
			out.Abort(ctx, log, "download broken off", errors.New("disk on fire"), "path", "/x")
		}()
		cancel()
		want := "level=ERROR"
		if gone {
			want = "level=WARN"
		}
		if l := logs.String(); !strings.Contains(l, want) || !strings.Contains(l, "download broken off") || !strings.Contains(l, "disk on fire") || !strings.Contains(l, "bytes=11") {
			t.Errorf("client gone %v: logged %q", gone, l)
		}
	}
}
