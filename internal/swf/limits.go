package swf

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits are the service quotas. AWS fixes them; openswf makes them server
// settings with AWS's values as defaults.
type Limits struct {
	MaxDomains        int
	MaxTypesPerDomain int
	MaxOpenActivities int // per execution
	MaxOpenTimers     int // per execution
	MaxOpenChildren   int // per execution
	// MaxActivityRate is how many activity tasks may be scheduled per
	// second on one task list (0: no limit).
	MaxActivityRate         int
	MaxHistoryEvents        int64
	MaxPollersPerTaskList   int
	MaxTagsPerExecution     int
	MaxOpenExecutionsPerDom int
	MaxRequestBytes         int64
	LongPollTimeout         time.Duration
	MaxDurationSeconds      int64
	MaxRetentionDays        int64
	HistoryDefaultPageSize  int
	ListDefaultPageSize     int
}

// DefaultLimits returns the quotas AWS documents.
func DefaultLimits() Limits {
	return Limits{
		MaxDomains:              100,
		MaxTypesPerDomain:       10000,
		MaxOpenActivities:       1000,
		MaxOpenTimers:           1000,
		MaxOpenChildren:         1000,
		MaxActivityRate:         2000,
		MaxHistoryEvents:        25000,
		MaxPollersPerTaskList:   1000,
		MaxTagsPerExecution:     5,
		MaxOpenExecutionsPerDom: 100000,
		MaxRequestBytes:         1 << 20,
		LongPollTimeout:         60 * time.Second,
		MaxDurationSeconds:      31536000,
		MaxRetentionDays:        90,
		HistoryDefaultPageSize:  1000,
		ListDefaultPageSize:     1000,
	}
}

// CheckName applies SWF's rules for names (domains, types, task lists, ids):
// no leading or trailing white space, no ':' '/' '|', no control characters,
// and not the literal "arn". field names the member in the error.
func CheckName(field, v string) error {
	if v == "" {
		return Invalid("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length greater than or equal to 1", field)
	}
	if strings.TrimSpace(v) != v {
		return Invalid("%s '%s' must not start or end with white space", field, v)
	}
	if v == "arn" {
		return Invalid("%s must not be the literal string 'arn'", field)
	}
	for _, r := range v {
		switch {
		case r == ':' || r == '/' || r == '|':
			return Invalid("%s '%s' must not contain ':', '/' or '|'", field, v)
		case r <= 0x1f || (r >= 0x7f && r <= 0x9f):
			return Invalid("%s must not contain control characters (U+%04X found)", field, r)
		case r == utf8.RuneError:
			return Invalid("%s is not valid UTF-8", field)
		}
	}
	return nil
}

// None is the duration value that means "no limit".
const None = "NONE"

// ParseDuration reads a duration member: whole seconds, or NONE where
// allowNone. It returns -1 for NONE. max bounds the seconds (0 = no bound).
func ParseDuration(field, v string, allowNone bool, max int64) (int64, error) {
	if v == None {
		if !allowNone {
			return 0, Invalid("%s: NONE is not allowed here; give a number of seconds", field)
		}
		return -1, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		if allowNone {
			return 0, Invalid("%s: '%s' is not a whole number of seconds or NONE", field, v)
		}
		return 0, Invalid("%s: '%s' is not a whole number of seconds", field, v)
	}
	if max > 0 && n > max {
		return 0, Invalid("%s: %d seconds is more than the limit of %d", field, n, max)
	}
	return n, nil
}
