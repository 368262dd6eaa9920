package shape

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Timestamp is an SWF timestamp. On the wire it is a JSON number holding
// seconds since the Unix epoch with millisecond precision.
type Timestamp struct{ time.Time }

// TS converts t to a Timestamp in UTC, truncated to milliseconds.
func TS(t time.Time) Timestamp {
	return Timestamp{t.UTC().Truncate(time.Millisecond)}
}

// MarshalJSON writes epoch seconds with up to three fraction digits.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return []byte(formatEpoch(t.Time)), nil
}

func formatEpoch(t time.Time) string { return string(appendEpoch(nil, t)) }

// UnmarshalJSON accepts epoch seconds as a JSON number (integer or
// fraction) and, leniently, an RFC 3339 string. null leaves t unchanged.
func (t *Timestamp) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if string(data) == "null" {
		return nil
	}
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		v, err := parseTimeString(s)
		if err != nil {
			return err
		}
		t.Time = v
		return nil
	}
	v, err := parseEpoch(string(data))
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

func parseTimeString(s string) (time.Time, error) {
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid timestamp %q", s)
	}
	return v.UTC(), nil
}

var errBadEpoch = errors.New("invalid epoch timestamp")

// maxEpochSeconds bounds accepted timestamps (roughly ±34,000 years around
// 1970) so conversions to milliseconds never overflow.
const maxEpochSeconds = 1 << 40

// parseEpoch parses a JSON number of epoch seconds. Plain decimal literals
// are parsed exactly; literals with an exponent go through float64 and are
// rounded to the millisecond.
func parseEpoch(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errBadEpoch
	}
	if strings.ContainsAny(s, "eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > maxEpochSeconds {
			return time.Time{}, errBadEpoch
		}
		ms := int64(math.Round(f * 1000))
		return time.UnixMilli(ms).UTC(), nil
	}
	neg := false
	rest := s
	if rest[0] == '-' {
		neg = true
		rest = rest[1:]
	}
	intPart, fracPart, hasFrac := strings.Cut(rest, ".")
	if intPart == "" || !allDigits(intPart) || (hasFrac && (fracPart == "" || !allDigits(fracPart))) {
		return time.Time{}, errBadEpoch
	}
	sec, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil || sec > maxEpochSeconds {
		return time.Time{}, errBadEpoch
	}
	var nsec int64
	if hasFrac {
		if len(fracPart) > 9 {
			fracPart = fracPart[:9]
		}
		n, _ := strconv.ParseInt(fracPart, 10, 64)
		for i := len(fracPart); i < 9; i++ {
			n *= 10
		}
		nsec = n
	}
	if neg {
		sec, nsec = -sec, -nsec
	}
	return time.Unix(sec, nsec).UTC(), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
