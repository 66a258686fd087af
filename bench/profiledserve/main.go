// Command profiledserve is cpcj's serve command under the CPU profiler, for
// the benchmark's -cpuprofile option. It is configured by the same CPCJ_
// environment variables as cpcj. The profile starts on SIGUSR1, so that it
// covers only the measured load, and is written when SIGTERM stops the
// server as it stops cpcj. It is a program of its own so that the
// benchmark's baseline server links nothing of cpcj.
//
//	profiledserve -cpuprofile cpu.prof
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/cpcj/cpcj/internal/cli"
)

func main() {
	out := flag.String("cpuprofile", "cpu.prof", "CPU profile file")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		<-usr1
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	code := cli.Main(context.Background(), []string{"serve"}, cli.Stdio())
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}
