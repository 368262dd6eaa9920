// Command swf is openswf: `swf server` runs the SWF-compatible server;
// other subcommands are small tools around it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

const usage = `Usage: swf <command> [flags]

Commands:
  server    run the openswf server (swf server -h for its flags)
  version   print the version
  help      print this help
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches on the subcommand and returns the exit code: 0 on success,
// 1 on failure, 2 on a usage error. Client commands (`swf <Operation>`) will
// join the switch.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "server":
		return runServer(ctx, args[1:], stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "swf", versionString())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "swf: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
