package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is the unit of utime and stime in /proc/<pid>/stat
// (sysconf(_SC_CLK_TCK), 100 on Linux).
const clockTicks = 100

// printMachine prints what the figures were measured on.
func printMachine() {
	fmt.Println("== machine")
	fmt.Printf("  %s/%s, %d logical CPUs (runtime.NumCPU), GOMAXPROCS %d, %s\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	if out, err := exec.Command("go", "version").Output(); err == nil {
		fmt.Printf("  %s\n", strings.TrimSpace(string(out)))
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				fmt.Printf("  CPU: %s\n", strings.TrimSpace(v))
				break
			}
		}
	}
	if runtime.NumCPU() <= 4 {
		fmt.Printf("  Note: with %d CPUs the load generator competes with the server for the same cores,\n"+
			"  so absolute figures are low; the baseline is measured the same way in the same run\n"+
			"  so that their ratio is what to read.\n", runtime.NumCPU())
	}
}

// moduleDir returns the root of the module this program is run in.
func moduleDir(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run the benchmark inside the cpcj module (go run ./bench)")
	}
	return filepath.Dir(mod), nil
}

// build builds the package pkg of this module into dir/name.
func build(ctx context.Context, dir, name, pkg string) (string, error) {
	root, err := moduleDir(ctx)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, name)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %w", pkg, err)
	}
	return bin, nil
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// serverEnv is the environment of a cpcj server: this process's, without
// any CPCJ_ setting of the caller's, plus the given ones.
func serverEnv(set map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CPCJ_") {
			env = append(env, kv)
		}
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

// proc is a server process the benchmark started.
type proc struct {
	name string
	cmd  *exec.Cmd
	addr string
	log  string // file with its stdout and stderr
	// started is the moment just before the process was started.
	started time.Time
	done    chan struct{}
	err     error
}

// start starts a server process whose output goes to logFile.
func start(name string, cmd *exec.Cmd, addr, logFile string) (*proc, error) {
	f, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = f, f
	p := &proc{name: name, cmd: cmd, addr: addr, log: logFile, done: make(chan struct{})}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop asks the process to end, and kills it if it has not within 15 s.
func (p *proc) stop() {
	if p == nil || p.exited() {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// tail returns the end of the process's output, for error messages.
func (p *proc) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// waitReady polls url every interval until it answers 200, and returns the
// time since since.
func waitReady(ctx context.Context, p *proc, url string, since time.Time, interval, timeout time.Duration) (time.Duration, error) {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	defer client.CloseIdleConnections()
	deadline := since.Add(timeout)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(since), nil
			}
		}
		if p.exited() {
			return 0, fmt.Errorf("%s exited before it was ready (%v):\n%s", p.name, p.err, p.tail())
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%s not ready after %s:\n%s", p.name, timeout, p.tail())
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		time.Sleep(interval)
	}
}

// procStatus reads a kB field, such as VmHWM (peak resident set size) or
// VmRSS, of /proc/<pid>/status.
func procStatus(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != field {
			continue
		}
		v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))
		return strconv.ParseInt(v, 10, 64)
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// procCPU returns the CPU time, user and system, that the process has used
// so far, from /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields are
	// counted from after its closing parenthesis.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("unexpected /proc/<pid>/stat")
	}
	fields := strings.Fields(string(b[i+1:]))
	// After the name come state (field 3), …, utime (14) and stime (15).
	if len(fields) < 13 {
		return 0, errors.New("short /proc/<pid>/stat")
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// machineBusy returns the CPU time all processes of the machine have used
// so far (user, nice, system, irq, softirq and steal, from /proc/stat).
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		busy += n
	}
	return time.Duration(busy) * time.Second / clockTicks
}

// selfCPU returns the CPU time this process has used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
