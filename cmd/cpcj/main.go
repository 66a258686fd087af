// Command cpcj is the information system of the United Nations crime
// prevention and criminal justice programme. Run "cpcj" for its commands.
package main

import (
	"context"
	"os"

	"github.com/cpcj/cpcj/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], cli.Stdio()))
}
