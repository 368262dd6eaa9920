package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/openswf/openswf/internal/bench"
)

const benchUsage = `Usage: swf bench <scenario> [flags]

Scenarios:
  heartbeat   N open activity tasks, C concurrent heartbeaters for D seconds:
              calls/s, latency p50/p90/p99/max, errors by type
  roundtrip   P pipelines of start -> decide -> poll, heartbeat, complete ->
              decide (close): workflows/s, start-to-close latency
  timers      M activities whose heartbeat timeouts lapse: lateness of each
              ActivityTaskTimedOut, from history timestamps and from when a
              long-polling decider receives it
  scale       K open activity tasks heartbeated round-robin: server RSS and
              sustained heartbeats/s
  abuse       C heartbeaters measured quiet, then while abusive clients run
              in this process (10,000 idle connections, 5,000 long polls,
              slow headers and bodies, oversized and nested bodies, bad
              signatures): latency both ways, the server's RSS and files;
              a started or spawned server requires signatures
  soak        P pipelines of mixed workflows (activities with heartbeats,
              timers, signals, four kinds of close, reads) for -d (30m),
              sampling the server every --sample (1m): RSS, threads,
              goroutines, open files, database size

Endpoint (one is required; --compare adds more, run one after the other):
  --endpoint URL        any SWF endpoint, e.g. http://127.0.0.1:7171 or moto_server
  --start-server        our server in this process (127.0.0.1:0, temp data dir)
  --noop-server         the ceiling: our wire layer answering heartbeats from
                        memory, storing nothing (heartbeat scenario only;
                        synthetic tokens, no set-up)
  --spawn-server PATH   run "PATH server" as a child (its RSS is measured)
  --compare SPEC        also run against SPEC: a URL (several, comma-separated,
                        are one cluster's nodes, called round-robin), server,
                        noop, plain (net/http answering a constant, below the
                        noop ceiling: what our wire layer costs), flush
                        (plain, answering once a record of the call is
                        appended and flushed, group-committed: what
                        durability costs on this disk), spawn:PATH, or
                        spawn-noop:PATH, spawn-plain:PATH and
                        spawn-flush:PATH (those ceilings in a child process
                        of their own, as "PATH bench ceiling
                        noop|plain|flush"), optionally LABEL=SPEC, and a URL
                        may end in ?pid=N (its server's process, for RSS and
                        CPU); repeatable

Examples:
  swf bench heartbeat --start-server --compare noop --compare 'moto=http://127.0.0.1:5000?pid=1234' -c 1,4,16,64
  swf bench timers --start-server -n 100000 --heartbeat-timeout 120
  swf bench scale --spawn-server ./swf -n 100000
  swf bench soak --spawn-server ./swf -d 30m --samples-out soak.csv
  swf bench abuse --spawn-server ./swf -d 20

Flags:
`

// runBench is `swf bench`: it parses the flags into bench.Options and runs
// the scenario; Ctrl-C stops it early and prints what was measured.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "ceiling" {
		return runCeiling(ctx, args[1:], stderr)
	}
	fs := flag.NewFlagSet("swf bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchUsage)
		fs.PrintDefaults()
	}
	var (
		o        bench.Options
		endpoint = fs.String("endpoint", "", "SWF endpoint `URL` to measure")
		start    = fs.Bool("start-server", false, "measure our server, started in this process")
		noop     = fs.Bool("noop-server", false, "measure the no-op ceiling server, started in this process")
		spawn    = fs.String("spawn-server", "", "measure `PATH` (our swf binary) run as \"PATH server\" in a child process")
		compare  stringList
		conc     = fs.String("c", "", "concurrency `LIST`: heartbeaters, or pipelines for roundtrip (e.g. 1,4,16,64); default 16, roundtrip 8")
		noClean  = fs.Bool("no-cleanup", false, "leave the set-up's workflows open on an external endpoint")
	)
	fs.Var(&compare, "compare", "also measure `SPEC` (URL, server, noop, plain, flush, spawn:PATH, spawn-noop:PATH, spawn-plain:PATH, spawn-flush:PATH; LABEL=SPEC to name it); repeatable")
	fs.IntVar(&o.PID, "pid", 0, "`PID` of the --endpoint server, to report its RSS")
	fs.BoolVar(&o.StockTransport, "sdk-transport", false, "use the SDK's default HTTP transport as is (it keeps 10 idle connections per host, so more concurrent callers reconnect)")
	fs.BoolVar(&o.AllowRemote, "allow-remote", false, "allow endpoints off the loopback interface")
	fs.StringVar(&o.Profile, "profile", "", "sign with the credentials of this AWS CLI `profile` (environment variables first), e.g. for a server started with --auth (default: fixed keys an open server accepts)")
	fs.IntVar(&o.Tasks, "n", 0, "tasks: N open (heartbeat, default 200), M timing out (timers, 1000), K open (scale, 10000)")
	fs.Var((*seconds)(&o.Duration), "d", "measured `duration` of each run, 10s or 10 (default 10s)")
	fs.Var((*seconds)(&o.Warmup), "warmup", "unmeasured `duration` before each run (default min(1s, d/5); negative: none)")
	fs.IntVar(&o.Repeat, "repeat", 0, "measure each run `R` times and report the median (default 1)")
	fs.IntVar(&o.HeartbeatTimeout, "heartbeat-timeout", 0, "activities' heartbeat timeout in `seconds` (timers: the one that lapses, default 10; others 3600)")
	fs.IntVar(&o.PerWorkflow, "per-workflow", 0, "activities per workflow execution in set-up (default 1; scale 100)")
	fs.IntVar(&o.Probes, "probes", 0, "timers: only `P` of the n activities lapse; the others stay armed (3600s) as load (default: all lapse)")
	fs.IntVar(&o.Deciders, "deciders", 0, "long-polling deciders (default 8)")
	fs.IntVar(&o.DetailsBytes, "details-bytes", 0, "heartbeat details size in `bytes` (default none)")
	fs.Float64Var(&o.Rate, "rate", 0, "scale and abuse: pace heartbeats to this many a second in total (abuse default 1000); timers: pace activity starts (and so the timeouts) (default: as fast as possible)")
	fs.Var((*seconds)(&o.Grace), "grace", "timers: how long to wait past the last deadline (default 30s)")
	fs.IntVar(&o.SetupConcurrency, "setup-concurrency", 0, "concurrent starters and pollers in set-up (default 16)")
	fs.Var((*seconds)(&o.SetupTimeout), "setup-timeout", "give up a set-up after this `duration` (default 15m)")
	fs.StringVar(&o.TempDir, "tmp-dir", "", "`DIR` for started servers' data (default $TMPDIR)")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write this process's CPU profile to `FILE` (with --start-server it covers client and server)")
	fs.BoolVar(&o.JSON, "json", false, "print the report as JSON")
	fs.StringVar(&o.JSONFile, "json-out", "", "also write the JSON report to `FILE`")
	fs.BoolVar(&o.Quiet, "q", false, "no progress lines on stderr")
	fs.IntVar(&o.IdleConns, "idle-conns", 0, "abuse: connections that send nothing, reopened when the server closes them (default 10000; negative: none)")
	fs.IntVar(&o.LongPolls, "long-polls", 0, "abuse: concurrent long polls, on 10 task lists (default 5000; negative: none)")
	fs.IntVar(&o.SlowClients, "slow-clients", 0, "abuse: clients sending their headers a byte a second, and as many sending their body so (default 100; negative: none)")
	fs.IntVar(&o.Flooders, "flooders", 0, "abuse: clients sending oversized or deeply nested bodies, and as many sending bad signatures (default 2; negative: none)")
	fs.Float64Var(&o.FloodRate, "flood-rate", 0, "abuse: requests a second of each flood, its flooders together (default 200)")
	fs.Var((*seconds)(&o.AbuseRamp), "abuse-ramp", "abuse: longest wait for the idle connections and long polls to open before measuring (default 60s)")
	fs.Var((*stringList)(&o.ServerFlags), "server-flag", "pass `FLAG` to a spawned server (e.g. --server-flag=--max-connections=20000); repeatable")
	fs.Var((*seconds)(&o.SampleEvery), "sample", "soak: sample the server every `duration` (default 1m)")
	fs.StringVar(&o.SamplesFile, "samples-out", "", "soak: also write the samples to `FILE` as CSV")
	fs.Var((*seconds)(&o.RetentionSweep), "retention-sweep", "a started or spawned server's --retention-sweep `duration` (soak default 1m: the domain keeps closed runs 0 days)")

	// The scenario may come before or after the flags.
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		o.Scenario, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if o.Scenario == "" && fs.NArg() > 0 {
		o.Scenario = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return 2
		}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "swf bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if o.Scenario == "" {
		fs.Usage()
		return 2
	}
	n := 0
	if *endpoint != "" {
		o.Targets = append(o.Targets, *endpoint)
		n++
	}
	if *start {
		o.Targets = append(o.Targets, "server")
		n++
	}
	if *noop {
		o.Targets = append(o.Targets, "noop")
		n++
	}
	if *spawn != "" {
		o.Targets = append(o.Targets, "spawn:"+*spawn)
		n++
	}
	if n != 1 {
		fmt.Fprintln(stderr, "swf bench: give exactly one of --endpoint, --start-server, --noop-server, --spawn-server (and --compare for more)")
		return 2
	}
	o.Targets = append(o.Targets, compare...)
	if *conc != "" {
		for _, s := range strings.Split(*conc, ",") {
			c, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				fmt.Fprintf(stderr, "swf bench: -c %q: want a list of numbers like 1,4,16\n", *conc)
				return 2
			}
			o.Concurrency = append(o.Concurrency, c)
		}
	}
	o.Cleanup = !*noClean
	o.Stdout, o.Stderr = stdout, stderr
	if err := o.Check(); err != nil {
		fmt.Fprintf(stderr, "swf bench: %v\n", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if _, err := bench.Run(ctx, o); err != nil {
		fmt.Fprintf(stderr, "swf bench: %v\n", err)
		return 1
	}
	return 0
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// seconds is a duration flag that also takes a bare number of seconds.
type seconds time.Duration

func (d *seconds) String() string { return time.Duration(*d).String() }

func (d *seconds) Set(s string) error {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		*d = seconds(f * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("want a duration like 10s, 2m or a number of seconds")
	}
	*d = seconds(v)
	return nil
}

// runCeiling is `swf bench ceiling noop|plain|flush [--listen HOST:PORT]
// [--dir DIR]`: a ceiling server in a process of its own, which the
// bench's spawn-noop, spawn-plain and spawn-flush targets start; it serves
// until SIGINT or SIGTERM.
func runCeiling(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("swf bench ceiling", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "`HOST:PORT` to listen on")
	dir := fs.String("dir", "", "`DIR` for the flush ceiling's file")
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, "usage: swf bench ceiling noop|plain|flush [--listen HOST:PORT] [--dir DIR]")
		return 2
	}
	kind := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := bench.ServeCeiling(ctx, kind, *listen, *dir, stderr); err != nil {
		fmt.Fprintf(stderr, "swf bench ceiling: %v\n", err)
		return 1
	}
	return 0
}
