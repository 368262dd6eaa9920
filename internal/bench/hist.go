package bench

import (
	"math"
	"sort"
	"time"
)

// hist is a latency histogram with logarithmic buckets about 1% wide, from
// 1µs to well past any timeout the bench allows, plus the exact minimum and
// maximum. Its memory is fixed however many samples it takes, so a long
// scale run cannot grow it. Each worker fills its own; merge adds them.
// Values below 1µs (and negative ones, which the lateness measures can
// produce against a server that stamps early) go to the first bucket, or
// to neg when negative, so that percentiles stay honest about them.
type hist struct {
	counts   [histBuckets]int64
	neg      []time.Duration // negative values, kept exactly (rare)
	n        int64
	min, max time.Duration
	sum      time.Duration
}

const (
	histBuckets = 2200 // 1.01^2200 µs ≈ 3.2e9 µs: ~53 minutes
	histGrowth  = 1.01
)

var logGrowth = math.Log(histGrowth)

func bucketOf(d time.Duration) int {
	us := float64(d) / float64(time.Microsecond)
	if us <= 1 {
		return 0
	}
	i := int(math.Log(us)/logGrowth) + 1
	if i >= histBuckets {
		i = histBuckets - 1
	}
	return i
}

// upper is the largest value bucket i holds.
func upper(i int) time.Duration {
	return time.Duration(math.Pow(histGrowth, float64(i)) * float64(time.Microsecond))
}

func (h *hist) add(d time.Duration) {
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if h.n == 0 || d > h.max {
		h.max = d
	}
	h.n++
	h.sum += d
	if d < 0 {
		if len(h.neg) < 1<<16 {
			h.neg = append(h.neg, d)
		}
		return
	}
	h.counts[bucketOf(d)]++
}

func (h *hist) merge(o *hist) {
	if o.n == 0 {
		return
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if h.n == 0 || o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
	h.neg = append(h.neg, o.neg...)
	for i, c := range o.counts {
		h.counts[i] += c
	}
}

// quantile returns the value at q (0..1): exact for the negative values,
// otherwise the upper edge of its bucket (within 1%), never above max.
func (h *hist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	if rank <= int64(len(h.neg)) {
		sort.Slice(h.neg, func(i, j int) bool { return h.neg[i] < h.neg[j] })
		return h.neg[rank-1]
	}
	seen := int64(len(h.neg))
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			v := upper(i)
			if v > h.max {
				v = h.max
			}
			if v < h.min {
				v = h.min
			}
			return v
		}
	}
	return h.max
}

func (h *hist) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// latency is a histogram's summary in milliseconds, as reports show it.
type latency struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
	Min   float64 `json:"min_ms"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (h *hist) summary() latency {
	return latency{
		Count: h.n, Mean: ms(h.mean()),
		P50: ms(h.quantile(0.50)), P90: ms(h.quantile(0.90)), P99: ms(h.quantile(0.99)),
		Max: ms(h.max), Min: ms(h.min),
	}
}
