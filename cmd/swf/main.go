// Command swf is openswf: `swf server` runs the SWF-compatible server;
// other subcommands are small tools around it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/openswf/openswf/internal/cli"
)

const usage = `Usage: swf <command> [flags]

Commands:
  server    run the openswf server (swf server -h for its flags)
  bench     measure an SWF endpoint (swf bench -h; docs/benchmarks.md)
  clock     show or move the clock of a server run with --clock manual:
            swf clock advance 10m (swf clock help)
  version   print the version
  help      print this help (swf help <command> for a command's)
  <command> an Amazon SWF operation, named and flagged as in aws swf:
            swf list-domains --registration-status REGISTERED
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
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "clock":
		return cli.RunClock(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "swf", versionString())
		return 0
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			return cli.Run(ctx, append([]string{"help"}, args[1:]...), stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		fmt.Fprintln(stdout)
		cli.WriteHelp(stdout)
		return 0
	default:
		if cli.Handles(args[0]) {
			return cli.Run(ctx, args, stdout, stderr)
		}
		fmt.Fprintf(stderr, "swf: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
