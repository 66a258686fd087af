// Command profiledcli is cpcj's command line under the CPU profiler, from
// start to exit, for the statistics benchmark's -cpuprofile option: the
// profile of "cpcj stats import" or "cpcj stats export" is written when
// the command ends. It is configured by the same CPCJ_ environment
// variables and takes the same arguments as cpcj.
//
//	profiledcli -cpuprofile import.prof stats import FILE --flow ID
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"

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
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := cli.Main(context.Background(), flag.Args(), cli.Stdio())
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}
