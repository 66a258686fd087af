package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// profileStats writes CPU profiles of one import and of one export of the
// whole dataflow by the server, after the measurements, into the
// -cpuprofile directory: import-<engine>.prof (bench/profiledcli, cpcj's
// command line under the profiler) and export-<engine>.prof
// (bench/profiledserve, profiled only while it serves the export).
func (r *engineRun) profileStats(ctx context.Context) error {
	dir, err := filepath.Abs(r.o.cpuprofile)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fmt.Println()
	fmt.Printf("== CPU profiles on %s (not timed)\n", r.name)
	cli, err := build(ctx, r.dir, "profiledcli", "./bench/profiledcli")
	if err != nil {
		return err
	}
	srvBin, err := build(ctx, r.dir, "profiledserve", "./bench/profiledserve")
	if err != nil {
		return err
	}

	db := filepath.Join(r.dir, "profile.db")
	if r.name == "postgres" {
		schema, err := r.newSchema(ctx, "profile")
		if err != nil {
			return err
		}
		db = r.schemaURL(schema)
	}
	env := serverEnv(map[string]string{"CPCJ_DATABASE_URL": db, "CPCJ_LOG_LEVEL": "warn"})
	logFile := filepath.Join(r.dir, "profile.log")
	mig := exec.CommandContext(ctx, r.bin, "migrate")
	mig.Env = env
	if _, err := runTimed(mig, logFile); err != nil {
		return fmt.Errorf("cpcj migrate: %w", err)
	}
	importProf := filepath.Join(dir, "import-"+r.name+".prof")
	imp := exec.CommandContext(ctx, cli, "-cpuprofile", importProf, "stats", "import", r.d.file, "--flow", genFlow)
	imp.Env = env
	if _, err := runTimed(imp, logFile); err != nil {
		return fmt.Errorf("profiled import: %w", err)
	}

	exportProf := filepath.Join(dir, "export-"+r.name+".prof")
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	set := map[string]string{"CPCJ_DATABASE_URL": db, "CPCJ_ADDR": addr, "CPCJ_LOG_LEVEL": "warn"}
	cmd := exec.Command(srvBin, "-cpuprofile", exportProf)
	cmd.Env = serverEnv(set)
	p, err := start("profiledserve", cmd, addr, filepath.Join(r.dir, "profiledserve.log"))
	if err != nil {
		return err
	}
	defer p.stop()
	if _, err := waitReady(ctx, p, "http://"+addr+"/readyz", p.started, 10*time.Millisecond, time.Minute); err != nil {
		return err
	}
	p.cmd.Process.Signal(syscall.SIGUSR1)
	time.Sleep(50 * time.Millisecond)
	if _, err := httpExport(ctx, p); err != nil {
		return err
	}
	p.stop()
	if p.err != nil {
		return fmt.Errorf("profiled server: %v: %s", p.err, p.tail())
	}
	fmt.Printf("  %s: 'cpcj stats import' of the file into a new database\n", importProf)
	fmt.Printf("  %s: the server while it writes the whole dataflow as SDMX-CSV\n", exportProf)
	fmt.Printf("  Read them with: go tool pprof -top -cum %s\n", importProf)
	return nil
}
