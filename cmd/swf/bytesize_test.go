package main

import "testing"

// --history-cache takes a number of bytes or a binary unit, and refuses
// anything else with a message that says what it wants.
func TestByteSizeFlag(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "65536": 65536, "512KiB": 512 << 10, "64MiB": 64 << 20, "1GiB": 1 << 30, "10B": 10} {
		var b byteSize
		if err := b.Set(in); err != nil || int64(b) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, b, err, want)
		}
	}
	for _, in := range []string{"", "-1", "64MB", "1.5GiB", "lots", "99999999999GiB"} {
		var b byteSize
		if err := b.Set(in); err == nil {
			t.Errorf("Set(%q) = %d, want an error", in, b)
		}
	}
	for in, want := range map[int64]string{64 << 20: "64MiB", 512 << 10: "512KiB", 1000: "1000B", 0: "0"} {
		b := byteSize(in)
		if got := b.String(); got != want {
			t.Errorf("String(%d) = %q, want %q", in, got, want)
		}
	}
}
