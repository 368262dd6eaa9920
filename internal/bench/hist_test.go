package bench

import (
	"math"
	"testing"
	"time"
)

func TestHist(t *testing.T) {
	t.Parallel()
	var h hist
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {1, time.Second}} {
		got := h.quantile(tc.q)
		if rel := math.Abs(float64(got-tc.want)) / float64(tc.want); rel > 0.011 {
			t.Errorf("quantile(%v): got %v, want %v within 1%%", tc.q, got, tc.want)
		}
	}
	if h.max != time.Second || h.min != time.Millisecond {
		t.Errorf("got min %v max %v, want 1ms and 1s", h.min, h.max)
	}

	t.Run("NegativeAndMerge", func(t *testing.T) {
		t.Parallel()
		var a, b hist
		a.add(-3 * time.Millisecond)
		b.add(time.Millisecond)
		b.add(2 * time.Millisecond)
		a.merge(&b)
		if a.n != 3 || a.min != -3*time.Millisecond || a.max != 2*time.Millisecond {
			t.Fatalf("got n %d min %v max %v, want 3, -3ms, 2ms", a.n, a.min, a.max)
		}
		if got := a.quantile(0.1); got != -3*time.Millisecond {
			t.Errorf("quantile(0.1): got %v, want -3ms", got)
		}
	})
}

func TestParseTarget(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ spec, label, kind, arg string }{
		{"server", "openswf", kindServer, ""},
		{"noop", "noop", kindNoop, ""},
		{"spawn:/bin/swf", "openswf(spawn)", kindSpawn, "/bin/swf"},
		{"http://127.0.0.1:5000/", "http://127.0.0.1:5000", kindURL, "http://127.0.0.1:5000"},
		{"moto=http://127.0.0.1:5000", "moto", kindURL, "http://127.0.0.1:5000"},
	} {
		label, kind, arg, err := parseTarget(tc.spec)
		if err != nil || label != tc.label || kind != tc.kind || arg != tc.arg {
			t.Errorf("parseTarget(%q): got %q %q %q %v, want %q %q %q", tc.spec, label, kind, arg, err, tc.label, tc.kind, tc.arg)
		}
	}
	if _, kind, arg, pid, err := parseTargetPID("moto=http://127.0.0.1:5000?pid=42"); err != nil || kind != kindURL || arg != "http://127.0.0.1:5000" || pid != 42 {
		t.Errorf("parseTargetPID(...?pid=42): got %q %q %d %v, want url http://127.0.0.1:5000 42", kind, arg, pid, err)
	}
	if _, _, _, err := parseTarget("ftp://x"); err == nil {
		t.Errorf("parseTarget(ftp://x): got no error")
	}
	for u, ok := range map[string]bool{
		"http://127.0.0.1:5000": true, "http://localhost:1": true, "http://[::1]:7171": true,
		"http://10.0.0.1:7171": false, "https://swf.us-east-1.amazonaws.com": false,
	} {
		if err := checkLoopback(u, false); (err == nil) != ok {
			t.Errorf("checkLoopback(%s): got %v, want ok=%v", u, err, ok)
		}
	}
}
