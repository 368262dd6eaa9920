package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuSample is a reading of the machine's CPU time and that of the bench
// and the server processes, in clock ticks (USER_HZ, 100 a second on
// Linux), from /proc. The bench shares the machine with whatever else runs
// on it; comparing two samples says how much CPU the others took during a
// run, so that a noisy figure can be recognised as such.
type cpuSample struct {
	at     time.Time
	busy   uint64 // all CPUs: user+nice+system+irq+softirq+steal
	self   uint64 // this process: utime+stime
	server uint64 // the server process, when it is another one
	ok     bool
}

const userHZ = 100

func sampleCPU(serverPID int) cpuSample {
	s := cpuSample{at: time.Now()}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return s
	}
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseUint(v, 10, 64)
		s.busy += n
	}
	s.self = procTicks(os.Getpid())
	if serverPID != 0 && serverPID != os.Getpid() {
		s.server = procTicks(serverPID)
	}
	s.ok = true
	return s
}

// procTicks is a process's utime+stime.
func procTicks(pid int) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command, which is in parentheses and may hold spaces.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	return u + st
}

// CPU is where the CPU went during a run, in cores (1.0 = one core busy
// for the whole run).
type CPU struct {
	Bench  float64 `json:"bench_cores"`  // this process: the client, and an in-process server
	Server float64 `json:"server_cores"` // a spawned (or --pid) server
	Other  float64 `json:"other_cores"`  // everything else on the machine
}

func cpuBetween(a, b cpuSample) *CPU {
	secs := b.at.Sub(a.at).Seconds()
	if !a.ok || !b.ok || secs <= 0 {
		return nil
	}
	cores := func(d uint64) float64 { return float64(d) / userHZ / secs }
	c := &CPU{Bench: cores(b.self - a.self), Server: cores(b.server - a.server)}
	c.Other = cores(b.busy-a.busy) - c.Bench - c.Server
	if c.Other < 0 {
		c.Other = 0
	}
	return c
}
