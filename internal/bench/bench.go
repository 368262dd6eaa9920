// Package bench is `swf bench`: load scenarios driven through
// aws-sdk-go-v2, with signed requests, against any SWF endpoint — an
// openswf server (in this process, spawned, or by URL), moto_server, or the
// no-op ceiling server built into the bench — so that our figures, a
// peer's and the ceiling's come from one client in one run.
//
// Scenarios (docs/benchmarks.md has the commands and the figures):
//
//   - heartbeat: N open activity tasks, C concurrent heartbeaters for D
//     seconds: calls/s, latency percentiles, errors by type.
//   - roundtrip: P pipelines, each start → decide (schedule one activity)
//     → poll, heartbeat, complete → decide (close): workflows/s and
//     start-to-close latency.
//   - timers: M activities whose heartbeat timeouts lapse: how late each
//     ActivityTaskTimedOut is, from the history's timestamps and from when a
//     long-polling decider receives it.
//   - scale: K open activity tasks heartbeated round-robin: server memory
//     and sustained heartbeats/s.
//   - abuse: C heartbeaters measured quiet, then while abusive clients
//     run: idle connections, long polls, slow headers and bodies,
//     oversized and deeply nested bodies, bad signatures.
//   - soak: P pipelines of mixed workflows for a long time (30 minutes by
//     default), sampling the server's memory, threads, goroutines, open
//     files and database size every minute: flat after warm-up?
//
// Every run is bounded in time (set-up, duration, grace) and in count, and
// refuses endpoints off the loopback interface unless told otherwise.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/openswf/openswf/internal/server"
)

// Scenarios lists the scenario names in the order the usage shows them.
var Scenarios = []string{"heartbeat", "roundtrip", "timers", "scale", "soak", "abuse"}

// Options configure one `swf bench` invocation. Zero values take the
// scenario's defaults (withDefaults).
type Options struct {
	Scenario string
	// Targets are target specs (see parseTarget): the first is measured
	// first and the others, from --compare, right after it, each with the
	// same parameters; ratios are taken against the first.
	Targets     []string
	PID         int  // report this process's RSS for a URL target
	AllowRemote bool // allow endpoints off the loopback interface

	Tasks            int           // N (heartbeat), M (timers), K (scale)
	Concurrency      []int         // heartbeaters (heartbeat, scale) or pipelines (roundtrip); one run each
	Duration         time.Duration // measured time per run (heartbeat, roundtrip, scale)
	Warmup           time.Duration // unmeasured time before each run
	Repeat           int           // measure each run this many times and keep the median (heartbeat, roundtrip, scale)
	HeartbeatTimeout int           // seconds (timers: the timeout that lapses; others: long enough to never lapse)
	PerWorkflow      int           // activities per workflow execution in set-up
	Probes           int           // timers: only this many of the Tasks lapse; the others are load (0: all lapse)
	Deciders         int           // long-polling deciders (timers, set-up)
	DetailsBytes     int           // heartbeat details size
	Rate             float64       // scale: heartbeats/s to pace to (0: as fast as possible)
	Grace            time.Duration // timers: how long past the last deadline to wait
	SetupConcurrency int
	SetupTimeout     time.Duration
	Cleanup          bool // terminate the set-up's workflows afterwards
	StockTransport   bool // the SDK's default HTTP transport (10 idle connections per host)
	TempDir          string
	CPUProfile       string
	ServerFlags      []string // more flags for a spawned server (--server-flag)

	// soak
	SampleEvery    time.Duration // how often to sample the server (default 1m)
	SamplesFile    string        // also write the samples here, as CSV
	RetentionSweep time.Duration // a started or spawned server's --retention-sweep (soak default 1m)
	retentionDays  string        // the fixture domain's retention (default 1; soak 0)

	// abuse (counts: 0 means the default, negative none)
	IdleConns   int           // connections that send nothing (default 10,000)
	LongPolls   int           // concurrent long polls (default 5,000)
	SlowClients int           // clients sending headers a byte a second, and as many sending bodies so (default 100)
	Flooders    int           // goroutines sending oversized or nested bodies, and as many sending bad signatures (default 2)
	AbuseRamp   time.Duration // longest wait for the idle connections and polls to open (default 60s)
	FloodRate   float64       // requests/s of each kind of flood, all its flooders together (default 200)
	// signatures makes a started or spawned server require signatures,
	// from the bench's keys only (abuse).
	signatures bool
	// serverConfig, when set, adjusts a started server's configuration
	// (tests: short timeouts).
	serverConfig func(*server.Config)

	// Profile, when set, signs requests with the credentials the AWS CLI
	// would use for this profile (environment variables first), so that
	// a server started with --auth can be measured; otherwise the bench
	// signs with fixed keys any open server accepts.
	Profile string
	creds   aws.CredentialsProvider // Profile's, resolved by Run

	JSON     bool
	JSONFile string // also write the JSON report here
	Quiet    bool   // no progress lines
	Stdout   io.Writer
	Stderr   io.Writer
}

// withDefaults fills the zero fields with the scenario's defaults.
func (o Options) withDefaults() Options {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	switch o.Scenario {
	case "heartbeat":
		def(&o.Tasks, 200)
		def(&o.HeartbeatTimeout, 3600)
		def(&o.PerWorkflow, 1)
		if len(o.Concurrency) == 0 {
			o.Concurrency = []int{16}
		}
	case "roundtrip":
		if len(o.Concurrency) == 0 {
			o.Concurrency = []int{8}
		}
	case "timers":
		def(&o.Tasks, 1000)
		def(&o.HeartbeatTimeout, 10)
		def(&o.PerWorkflow, 1)
	case "scale":
		def(&o.Tasks, 10000)
		def(&o.HeartbeatTimeout, 3600)
		def(&o.PerWorkflow, 100)
		if len(o.Concurrency) == 0 {
			o.Concurrency = []int{16}
		}
	case "abuse":
		def(&o.Tasks, 200)
		def(&o.HeartbeatTimeout, 3600)
		def(&o.PerWorkflow, 1)
		if len(o.Concurrency) == 0 {
			o.Concurrency = []int{16}
		}
		def(&o.IdleConns, 10000)
		def(&o.LongPolls, 5000)
		def(&o.SlowClients, 100)
		def(&o.Flooders, 2)
		if o.FloodRate == 0 {
			o.FloodRate = 200
		}
		if o.Rate == 0 {
			o.Rate = 1000 // healthy heartbeaters are paced: latency, not the machine's ceiling
		}
		defDur(&o.AbuseRamp, time.Minute)
		o.signatures = true
	case "soak":
		if len(o.Concurrency) == 0 {
			o.Concurrency = []int{16}
		}
		defDur(&o.Duration, 30*time.Minute)
		defDur(&o.SampleEvery, time.Minute)
		defDur(&o.RetentionSweep, time.Minute)
		o.retentionDays = "0"
		if o.Warmup == 0 {
			o.Warmup = -1 // the samples show the warm-up
		}
	}
	defDur(&o.Duration, 10*time.Second)
	if o.Warmup == 0 {
		o.Warmup = min(time.Second, o.Duration/5)
	}
	if o.Warmup < 0 {
		o.Warmup = 0
	}
	defDur(&o.Grace, 30*time.Second)
	def(&o.Repeat, 1)
	def(&o.SetupConcurrency, 16)
	defDur(&o.SetupTimeout, 15*time.Minute)
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	return o
}

func (o *Options) deciders() int {
	if o.Deciders > 0 {
		return o.Deciders
	}
	return 8
}

// Check reports the first problem with o, before anything starts.
func (o *Options) Check() error {
	known := false
	for _, s := range Scenarios {
		known = known || s == o.Scenario
	}
	if !known {
		return fmt.Errorf("unknown scenario %q: want one of %s", o.Scenario, strings.Join(Scenarios, ", "))
	}
	if len(o.Targets) == 0 {
		return fmt.Errorf("no endpoint: give --endpoint URL, --start-server, --noop-server or --spawn-server PATH")
	}
	for _, t := range o.Targets {
		if _, _, _, err := parseTarget(t); err != nil {
			return err
		}
	}
	for _, c := range o.Concurrency {
		if c < 1 || c > 4096 {
			return fmt.Errorf("concurrency %d: want 1..4096", c)
		}
	}
	switch {
	case o.Tasks < 0 || o.Tasks > 2_000_000:
		return fmt.Errorf("tasks %d: want 1..2000000", o.Tasks)
	case o.Duration < 0 || o.Duration > time.Hour && o.Scenario != "soak":
		return fmt.Errorf("duration %v: want at most 1h", o.Duration)
	case o.Duration > 24*time.Hour:
		return fmt.Errorf("duration %v: want at most 24h", o.Duration)
	case (o.Scenario == "soak" || o.Scenario == "abuse") && len(o.Concurrency) > 1:
		return fmt.Errorf("%s: one concurrency level, not %d", o.Scenario, len(o.Concurrency))
	case o.FloodRate < 0:
		return fmt.Errorf("flood rate %v: want requests a second > 0", o.FloodRate)
	case o.SampleEvery < 0:
		return fmt.Errorf("sample interval %v: want a positive duration", o.SampleEvery)
	case o.HeartbeatTimeout < 0:
		return fmt.Errorf("heartbeat timeout %d: want seconds > 0", o.HeartbeatTimeout)
	case o.Probes < 0 || o.Probes > o.Tasks && o.Tasks > 0:
		return fmt.Errorf("probes %d: want 0..tasks", o.Probes)
	case o.Repeat < 0 || o.Repeat > 100:
		return fmt.Errorf("repeat %d: want 1..100", o.Repeat)
	case o.DetailsBytes < 0 || o.DetailsBytes > 2048:
		return fmt.Errorf("details bytes %d: want 0..2048 (the model's limit)", o.DetailsBytes)
	}
	return nil
}

// Machine describes where the figures were taken.
type Machine struct {
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUModel   string `json:"cpu_model"`
	Go         string `json:"go"`
	OS         string `json:"os"`
}

func thisMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// Report is everything one invocation measured; --json prints it.
type Report struct {
	Scenario string    `json:"scenario"`
	Machine  Machine   `json:"machine"`
	Params   Params    `json:"params"`
	Results  []*Result `json:"results"` // one per target, in order
	Started  time.Time `json:"started"`
}

// Params are the scenario parameters every target ran with.
type Params struct {
	Tasks            int     `json:"tasks,omitempty"`
	Concurrency      []int   `json:"concurrency,omitempty"`
	DurationSeconds  float64 `json:"duration_s,omitempty"`
	HeartbeatTimeout int     `json:"heartbeat_timeout_s,omitempty"`
	PerWorkflow      int     `json:"per_workflow,omitempty"`
	Deciders         int     `json:"deciders,omitempty"`
	DetailsBytes     int     `json:"details_bytes,omitempty"`
	Rate             float64 `json:"rate,omitempty"`
	Probes           int     `json:"probes,omitempty"`

	IdleConns   int     `json:"idle_conns,omitempty"`   // abuse
	LongPolls   int     `json:"long_polls,omitempty"`   // abuse
	SlowClients int     `json:"slow_clients,omitempty"` // abuse
	Flooders    int     `json:"flooders,omitempty"`     // abuse
	FloodRate   float64 `json:"flood_rate,omitempty"`   // abuse
	SampleEvery float64 `json:"sample_s,omitempty"`     // soak
}

// Result is one target's figures.
type Result struct {
	Target   string       `json:"target"`
	Kind     string       `json:"kind"`
	Endpoint string       `json:"endpoint"`
	Setup    *SetupResult `json:"setup,omitempty"`
	Runs     []*RunResult `json:"runs"`
	Error    string       `json:"error,omitempty"`
	Notes    []string     `json:"notes,omitempty"`
	Samples  []Sample     `json:"samples,omitempty"` // soak
	// Abuse counts what happened to each kind of abusive client (abuse):
	// kind -> outcome -> how many times.
	Abuse map[string]map[string]int64 `json:"abuse,omitempty"`

	cleanups []func() // run after the scenario, before the target closes
}

// SetupResult says how long opening the tasks took.
type SetupResult struct {
	Tasks     int     `json:"tasks"`
	Workflows int     `json:"workflows"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"tasks_per_s"`
	Synthetic bool    `json:"synthetic,omitempty"` // noop: tokens made up, nothing opened
}

// RunResult is one measured run (one concurrency level, or the whole of a
// timers run).
type RunResult struct {
	Name          string           `json:"name"`
	Concurrency   int              `json:"concurrency,omitempty"`
	Seconds       float64          `json:"seconds"`
	Count         int64            `json:"count"` // successful calls, workflows or timeouts
	PerSecond     float64          `json:"per_s"`
	Unit          string           `json:"unit"` // what Count counts
	Latency       *latency         `json:"latency,omitempty"`
	Repeats       []float64        `json:"repeats_per_s,omitempty"` // every repeat's rate; the run shown is the median one
	Errors        map[string]int64 `json:"errors,omitempty"`
	ErrorExamples []string         `json:"error_examples,omitempty"`
	CPU           *CPU             `json:"cpu,omitempty"` // during the measured window

	// timers
	Expected        int      `json:"expected,omitempty"`
	HistoryLateness *latency `json:"history_lateness,omitempty"`
	DeciderLateness *latency `json:"decider_lateness,omitempty"`
	DeliveryDelay   *latency `json:"delivery_delay,omitempty"` // decider receipt − event timestamp

	// scale
	MemoryBefore   *memory `json:"memory_before,omitempty"`
	MemoryAfter    *memory `json:"memory_after,omitempty"`
	RoundSeconds   float64 `json:"round_s,omitempty"` // time to heartbeat every task once at the measured rate
	TasksTouched   int64   `json:"tasks_touched,omitempty"`
	KeepsUpWithTTL bool    `json:"keeps_up,omitempty"` // RoundSeconds < heartbeat timeout
}

// Run runs the scenario against every target in turn and prints the
// report (a table, or JSON). It returns the report and an error if any
// target failed; the others' figures are still printed.
func Run(ctx context.Context, o Options) (*Report, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	if o.Profile != "" {
		creds, err := profileCredentials(ctx, o.Profile)
		if err != nil {
			return nil, err
		}
		o.creds = creds
	}
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	rep := &Report{
		Scenario: o.Scenario, Machine: thisMachine(), Started: time.Now().UTC(),
		Params: Params{
			Tasks: o.Tasks, Concurrency: o.Concurrency, DurationSeconds: o.Duration.Seconds(),
			HeartbeatTimeout: o.HeartbeatTimeout, PerWorkflow: o.PerWorkflow, Deciders: o.deciders(),
			DetailsBytes: o.DetailsBytes, Rate: o.Rate, Probes: o.Probes,
		},
	}
	if o.Scenario == "abuse" {
		rep.Params.IdleConns, rep.Params.LongPolls, rep.Params.SlowClients = max(o.IdleConns, 0), max(o.LongPolls, 0), max(o.SlowClients, 0)
		rep.Params.Flooders, rep.Params.FloodRate = max(o.Flooders, 0), o.FloodRate
	}
	if o.Scenario == "soak" {
		rep.Params.SampleEvery = o.SampleEvery.Seconds()
	}
	var failed []string
	for _, spec := range o.Targets {
		if ctx.Err() != nil {
			break
		}
		res := runTarget(ctx, spec, &o)
		rep.Results = append(rep.Results, res)
		if res.Error != "" {
			failed = append(failed, res.Target+": "+res.Error)
		}
	}
	if o.JSON {
		enc := json.NewEncoder(o.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return rep, err
		}
	} else {
		printReport(o.Stdout, rep)
	}
	if o.JSONFile != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err == nil {
			err = os.WriteFile(o.JSONFile, append(b, '\n'), 0o644)
		}
		if err != nil {
			return rep, fmt.Errorf("write %s: %w", o.JSONFile, err)
		}
	}
	if len(failed) > 0 {
		return rep, fmt.Errorf("%s", strings.Join(failed, "; "))
	}
	return rep, ctx.Err()
}

func runTarget(ctx context.Context, spec string, o *Options) *Result {
	label, kind, _, _ := parseTarget(spec)
	res := &Result{Target: label, Kind: kind}
	t, err := openTarget(ctx, spec, o)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res.Endpoint = t.URL
	if !o.Quiet {
		fmt.Fprintf(o.Stderr, "bench %s: target %s at %s\n", o.Scenario, t.Label, t.URL)
	}
	switch o.Scenario {
	case "heartbeat":
		err = runHeartbeat(ctx, t, o, res)
	case "roundtrip":
		err = runRoundtrip(ctx, t, o, res)
	case "timers":
		err = runTimers(ctx, t, o, res)
	case "scale":
		err = runScale(ctx, t, o, res)
	case "soak":
		err = runSoak(ctx, t, o, res)
	case "abuse":
		err = runAbuse(ctx, t, o, res)
	}
	if err != nil {
		res.Error = err.Error()
	}
	for _, f := range res.cleanups {
		f()
	}
	if cerr := t.close(); cerr != nil && res.Error == "" {
		res.Notes = append(res.Notes, "closing the target: "+cerr.Error())
	}
	return res
}

// median runs measure o.Repeat times and returns the run with the median
// rate, with every repeat's rate in Repeats.
func median(o *Options, measure func() *RunResult) *RunResult {
	var runs []*RunResult
	for range o.Repeat {
		runs = append(runs, measure())
	}
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].PerSecond < runs[j].PerSecond })
	m := runs[len(runs)/2]
	if len(runs) > 1 {
		for _, r := range runs {
			m.Repeats = append(m.Repeats, r.PerSecond)
		}
	}
	return m
}

// metric is one printed row of a run.
type metric struct {
	name  string
	value float64
	ok    bool // present
	unit  string
}

func (r *RunResult) metrics() []metric {
	var ms []metric
	add := func(name string, v float64, unit string) { ms = append(ms, metric{name, v, true, unit}) }
	addLat := func(prefix string, l *latency) {
		if l == nil || l.Count == 0 {
			return
		}
		add(prefix+"p50 ms", l.P50, "ms")
		add(prefix+"p90 ms", l.P90, "ms")
		add(prefix+"p99 ms", l.P99, "ms")
		add(prefix+"max ms", l.Max, "ms")
	}
	if r.Unit != "timeouts" {
		add(r.Unit+"/s", r.PerSecond, "/s")
	}
	add(r.Unit, float64(r.Count), "")
	if r.Expected > 0 {
		add("expected", float64(r.Expected), "")
	}
	addLat("", r.Latency)
	addLat("history late ", r.HistoryLateness)
	addLat("decider late ", r.DeciderLateness)
	addLat("delivery ", r.DeliveryDelay)
	var errs int64
	for _, n := range r.Errors {
		errs += n
	}
	add("errors", float64(errs), "")
	if r.MemoryAfter != nil {
		add("server RSS MiB", float64(r.MemoryAfter.RSS)/(1<<20), "MiB")
		add("server RSS peak MiB", float64(r.MemoryAfter.HWM)/(1<<20), "MiB")
		if r.MemoryAfter.Heap > 0 {
			add("Go heap in use MiB", float64(r.MemoryAfter.Heap)/(1<<20), "MiB")
		}
		if r.MemoryBefore != nil && r.Count > 0 {
			add("RSS bytes/task", float64(r.MemoryAfter.RSS-r.MemoryBefore.RSS)/float64(r.Expected), "B")
		}
	}
	if len(r.Repeats) > 1 {
		lo, hi := r.Repeats[0], r.Repeats[0]
		for _, v := range r.Repeats {
			lo, hi = min(lo, v), max(hi, v)
		}
		add("repeats: min "+r.Unit+"/s", lo, "/s")
		add("repeats: max "+r.Unit+"/s", hi, "/s")
	}
	if r.CPU != nil {
		if r.PerSecond > 0 && r.Unit != "timeouts" {
			// What one call (or workflow) cost the client and the server
			// together: less sensitive than the rate to CPU taken by
			// other processes.
			add("cpu µs per "+strings.TrimSuffix(r.Unit, "s"), (r.CPU.Bench+r.CPU.Server)/r.PerSecond*1e6, "µs")
		}
		add("cpu: bench cores", r.CPU.Bench, "cores")
		if r.CPU.Server > 0 {
			add("cpu: server cores", r.CPU.Server, "cores")
		}
		add("cpu: other procs cores", r.CPU.Other, "cores")
	}
	if r.RoundSeconds > 0 {
		add("round over all tasks s", r.RoundSeconds, "s")
	}
	return ms
}

// printReport prints one table: a row per run and metric, a column per
// target, and the first target's ratio to each of the others.
func printReport(w io.Writer, rep *Report) {
	m := rep.Machine
	fmt.Fprintf(w, "%s  (%d CPUs, %s, %s, %s)\n", rep.Scenario, m.CPUs, m.CPUModel, m.Go, m.OS)
	p := rep.Params
	params := []string{}
	param := func(name string, v any, show bool) {
		if show {
			params = append(params, fmt.Sprintf("%s=%v", name, v))
		}
	}
	param("tasks", p.Tasks, p.Tasks > 0)
	param("probes", p.Probes, p.Probes > 0)
	param("concurrency", p.Concurrency, len(p.Concurrency) > 0 && rep.Scenario != "timers")
	param("duration", fmt.Sprintf("%gs", p.DurationSeconds), rep.Scenario != "timers")
	param("heartbeat-timeout", fmt.Sprintf("%ds", p.HeartbeatTimeout), p.HeartbeatTimeout > 0)
	param("per-workflow", p.PerWorkflow, p.PerWorkflow > 0)
	param("deciders", p.Deciders, rep.Scenario == "timers")
	param("details-bytes", p.DetailsBytes, p.DetailsBytes > 0)
	param("rate", p.Rate, p.Rate > 0)
	if rep.Scenario == "abuse" {
		param("idle-conns", p.IdleConns, true)
		param("long-polls", p.LongPolls, true)
		param("slow-clients", p.SlowClients, true)
		param("flooders", p.Flooders, true)
		param("flood-rate", p.FloodRate, true)
	}
	param("sample", fmt.Sprintf("%gs", p.SampleEvery), p.SampleEvery > 0)
	fmt.Fprintf(w, "params: %s\n", strings.Join(params, " "))
	for _, r := range rep.Results {
		fmt.Fprintf(w, "target %s (%s %s)", r.Target, r.Kind, r.Endpoint)
		if s := r.Setup; s != nil {
			if s.Synthetic {
				fmt.Fprintf(w, ": no set-up, %d synthetic tokens", s.Tasks)
			} else {
				fmt.Fprintf(w, ": set-up %d tasks in %d workflows, %.1fs (%.0f tasks/s)", s.Tasks, s.Workflows, s.Seconds, s.PerSecond)
			}
		}
		fmt.Fprintln(w)
		if r.Error != "" {
			fmt.Fprintf(w, "  FAILED: %s\n", r.Error)
		}
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
		for _, run := range r.Runs {
			for _, e := range run.ErrorExamples {
				fmt.Fprintf(w, "  %s error: %s\n", run.Name, e)
			}
		}
		if len(r.Samples) > 0 {
			fmt.Fprintln(w)
			printSamples(w, r.Samples)
		}
	}
	fmt.Fprintln(w)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := "run\tmetric\t"
	for _, r := range rep.Results {
		header += r.Target + "\t"
	}
	base := rep.Results[0].Target
	for _, r := range rep.Results[1:] {
		header += base + "/" + r.Target + "\t"
	}
	fmt.Fprintln(tw, header)
	// Runs are matched by name across targets, in the first target's
	// order, then any others'.
	var names []string
	seen := map[string]bool{}
	for _, r := range rep.Results {
		for _, run := range r.Runs {
			if !seen[run.Name] {
				seen[run.Name] = true
				names = append(names, run.Name)
			}
		}
	}
	for _, name := range names {
		var rows []string
		vals := map[string][]metric{}
		for i, r := range rep.Results {
			var run *RunResult
			for _, x := range r.Runs {
				if x.Name == name {
					run = x
				}
			}
			if run == nil {
				continue
			}
			for _, mt := range run.metrics() {
				if _, ok := vals[mt.name]; !ok {
					rows = append(rows, mt.name)
					vals[mt.name] = make([]metric, len(rep.Results))
				}
				vals[mt.name][i] = mt
			}
		}
		for _, row := range rows {
			line := name + "\t" + row + "\t"
			v := vals[row]
			for _, x := range v {
				line += fmtVal(x) + "\t"
			}
			for _, x := range v[1:] {
				if v[0].ok && x.ok && x.value > 0 && v[0].value > 0 {
					line += fmt.Sprintf("%.2fx\t", v[0].value/x.value)
				} else {
					line += "-\t"
				}
			}
			fmt.Fprintln(tw, line)
		}
	}
	tw.Flush()
}

func fmtVal(m metric) string {
	switch {
	case !m.ok:
		return "-"
	case m.unit == "cores":
		return fmt.Sprintf("%.2f", m.value)
	case m.unit == "ms" && m.value < 10 && m.value > -10:
		return fmt.Sprintf("%.2f", m.value)
	case m.unit == "" || m.unit == "B":
		return count(int64(m.value))
	case m.value >= 1000 || m.value <= -1000:
		return count(int64(m.value))
	default:
		return fmt.Sprintf("%.1f", m.value)
	}
}
