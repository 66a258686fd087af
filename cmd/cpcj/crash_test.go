package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/store"
)

// TestKillDuringWrites kills the server with SIGKILL in the middle of a
// stream of writes and starts it again: the database must pass its
// integrity check, every write answered 2xx before the kill must be there,
// and the audit trail must still verify.
func TestKillDuringWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "cpcj")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dbPath := filepath.Join(dir, "cpcj.db")
	env := append(os.Environ(), "CPCJ_DATABASE_URL="+dbPath, "CPCJ_LOG_LEVEL=warn")
	run := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		cmd.Stdin = strings.NewReader(stdin)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("cpcj %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errOut.String())
		}
		return out.String()
	}
	run("", "migrate")
	run("a long and unguessable password\n", "user", "add", "--email", "admin@unodc.test", "--name", "Admin", "--role", "admin", "--password-stdin")
	token := strings.TrimSpace(run("", "user", "token", "--email", "admin@unodc.test", "--name", "crash test"))

	addr := freeAddr(t)
	start := func() *exec.Cmd {
		t.Helper()
		cmd := exec.Command(bin, "serve", "--addr", addr)
		cmd.Env = env
		var logs bytes.Buffer
		cmd.Stderr = &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitReady(t, "http://"+addr, &logs)
		return cmd
	}
	srv := start()
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })

	// Four writers create accounts (each an audited write) as fast as the
	// server answers, and note every one it acknowledged.
	var mu sync.Mutex
	acked := map[string]bool{}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				email := fmt.Sprintf("writer%d.%d@unodc.test", w, i)
				body, _ := json.Marshal(map[string]any{"email": email, "name": email, "role": "secretariat", "password": "a long and unguessable password"})
				req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/users", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					mu.Lock()
					acked[email] = true
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
	stop()
	wg.Wait()
	if len(acked) < 10 {
		t.Fatalf("only %d writes were acknowledged before the kill; the test needs a stream of them", len(acked))
	}

	// Opening the database recovers its write-ahead log; then it must be
	// sound.
	db, err := store.Open(context.Background(), dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.IntegrityCheck(context.Background()); err != nil {
		t.Fatalf("after SIGKILL: %v", err)
	}
	lost := 0
	for email := range acked {
		if _, _, err := db.Credentials(context.Background(), email); err != nil {
			lost++
			t.Errorf("acknowledged write %q is missing after the restart: %v", email, err)
		}
	}
	db.Close()
	t.Logf("%d writes acknowledged before SIGKILL, %d lost", len(acked), lost)

	// The server starts again on the recovered database.
	srv = start()
	if out := run("", "audit", "verify"); !strings.Contains(out, "intact") {
		t.Errorf("audit verify after the crash: %s", out)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitReady(t *testing.T, base string, logs *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	sc := bufio.NewScanner(logs)
	for sc.Scan() {
		t.Log(sc.Text())
	}
	t.Fatalf("server at %s not ready within 20 s", base)
}
