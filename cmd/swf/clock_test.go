package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/server"
)

// startClockServer runs a server whose clock is mode.
func startClockServer(t *testing.T, mode server.ClockMode) *server.Server {
	t.Helper()
	s, err := server.New(server.Config{
		Listen: "127.0.0.1:0", DataDir: t.TempDir(), ClockMode: mode,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	t.Cleanup(func() {
		s.Close()
		<-served
	})
	return s
}

// swfRun runs `swf args...` and returns the exit code and outputs.
func swfRun(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// swf clock shows and moves a manual clock.
func TestClock(t *testing.T) {
	t.Parallel()
	s := startClockServer(t, server.ClockManual)
	start := s.ClockControl().Now()

	code, stdout, stderr := swfRun("clock", "show", "--endpoint-url", s.URL())
	if code != 0 {
		t.Fatalf("clock show: exit %d, stderr %q", code, stderr)
	}
	var shown struct {
		Mode         string
		Now          string
		EpochSeconds float64
	}
	if err := json.Unmarshal([]byte(stdout), &shown); err != nil || shown.Mode != "manual" || shown.EpochSeconds != float64(start.UnixMilli())/1000 {
		t.Fatalf("clock show printed %q (%v), want the manual clock at %v", stdout, err, start)
	}

	code, stdout, stderr = swfRun("--endpoint-url", s.URL(), "clock", "advance", "10m", "--query", "now", "--output", "text")
	want := start.Add(10 * time.Minute).UTC().Format("2006-01-02T15:04:05.000Z")
	if code != 0 || stdout != want+"\n" {
		t.Fatalf("clock advance 10m: exit %d, stdout %q, stderr %q; want %s", code, stdout, stderr, want)
	}
	if got := s.ClockControl().Now(); !got.Equal(start.Add(10 * time.Minute)) {
		t.Errorf("the server's clock is %v, want start+10m", got)
	}
	target := start.Add(48 * time.Hour).UTC().Format(time.RFC3339)
	if code, stdout, stderr = swfRun("clock", "set", target, "--endpoint-url", s.URL(), "--output", "text"); code != 0 || !strings.Contains(stdout, "\tmanual\t") {
		t.Fatalf("clock set: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	for _, c := range []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"Backwards", []string{"clock", "set", start.UTC().Format(time.RFC3339)}, 254, "only moves forward"},
		{"BadDuration", []string{"clock", "advance", "soon"}, 254, "(ValidationException) when calling the AdvanceClock operation"},
		{"NoCommand", []string{"clock"}, 252, "the following arguments are required"},
		{"UnknownCommand", []string{"clock", "rewind", "1m"}, 252, `unknown clock command "rewind 1m"`},
		{"UnknownOption", []string{"clock", "show", "--fast"}, 252, "Unknown options: --fast"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := swfRun(append(c.args, "--endpoint-url", s.URL())...)
			if code != c.wantCode || !strings.Contains(stderr, c.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, c.wantCode, c.wantErr)
			}
		})
	}
	if code, stdout, _ := swfRun("clock", "help"); code != 0 || !strings.Contains(stdout, "advance DURATION") {
		t.Errorf("clock help: exit %d, stdout %q", code, stdout)
	}
}

// A real clock shows, and refuses to move.
func TestClockReal(t *testing.T) {
	t.Parallel()
	s := startClockServer(t, server.ClockReal)
	if code, stdout, stderr := swfRun("clock", "show", "--endpoint-url", s.URL(), "--query", "mode", "--output", "text"); code != 0 || stdout != "real\n" {
		t.Errorf("clock show: exit %d, stdout %q, stderr %q; want real", code, stdout, stderr)
	}
	if code, _, stderr := swfRun("clock", "advance", "1m", "--endpoint-url", s.URL()); code != 254 || !strings.Contains(stderr, "--clock manual") {
		t.Errorf("clock advance on a real clock: exit %d, stderr %q; want 254 naming --clock manual", code, stderr)
	}
}

// swf server refuses an unknown --clock.
func TestServerClockFlag(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"server", "--clock", "sometimes"}, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "want real, manual or auto-skip") {
		t.Errorf("exit %d, stderr %q; want 2 and the modes named", code, stderr.String())
	}
	if server.ClockPath != "/openswf/clock" {
		t.Errorf("server.ClockPath is %q; swf clock (internal/cli) calls /openswf/clock", server.ClockPath)
	}
}
