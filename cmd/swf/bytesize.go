package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// byteSize is a flag value in bytes, written with an optional binary unit:
// 65536, 512KiB, 64MiB, 1GiB.
type byteSize int64

var byteUnits = []struct {
	suffix string
	n      int64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

func (b *byteSize) String() string {
	for _, u := range byteUnits {
		if *b != 0 && int64(*b)%u.n == 0 {
			return fmt.Sprintf("%d%s", int64(*b)/u.n, u.suffix)
		}
	}
	return "0"
}

func (b *byteSize) Set(s string) error {
	unit := int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(s, u.suffix) {
			s, unit = strings.TrimSuffix(s, u.suffix), u.n
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 || n > (1<<62)/unit {
		return errors.New("want a size like 64MiB, 512KiB or a number of bytes")
	}
	*b = byteSize(n * unit)
	return nil
}
