package worker

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

// Client is the part of *swf.Client the workers call. *swf.Client
// implements it; a test or a wrapper (metrics, logging) may too.
type Client interface {
	PollForActivityTask(context.Context, *swf.PollForActivityTaskInput, ...func(*swf.Options)) (*swf.PollForActivityTaskOutput, error)
	RecordActivityTaskHeartbeat(context.Context, *swf.RecordActivityTaskHeartbeatInput, ...func(*swf.Options)) (*swf.RecordActivityTaskHeartbeatOutput, error)
	RespondActivityTaskCompleted(context.Context, *swf.RespondActivityTaskCompletedInput, ...func(*swf.Options)) (*swf.RespondActivityTaskCompletedOutput, error)
	RespondActivityTaskFailed(context.Context, *swf.RespondActivityTaskFailedInput, ...func(*swf.Options)) (*swf.RespondActivityTaskFailedOutput, error)
	RespondActivityTaskCanceled(context.Context, *swf.RespondActivityTaskCanceledInput, ...func(*swf.Options)) (*swf.RespondActivityTaskCanceledOutput, error)
	DescribeActivityType(context.Context, *swf.DescribeActivityTypeInput, ...func(*swf.Options)) (*swf.DescribeActivityTypeOutput, error)
	PollForDecisionTask(context.Context, *swf.PollForDecisionTaskInput, ...func(*swf.Options)) (*swf.PollForDecisionTaskOutput, error)
	RespondDecisionTaskCompleted(context.Context, *swf.RespondDecisionTaskCompletedInput, ...func(*swf.Options)) (*swf.RespondDecisionTaskCompletedOutput, error)
}

var _ Client = (*swf.Client)(nil)

// Backoff paces retries: the n'th retry (from 0) waits a random time
// between zero and min(Max, Initial·2ⁿ) ("full jitter"), so that many
// workers throttled together do not come back together.
type Backoff struct {
	Initial time.Duration // default 100 ms
	Max     time.Duration // default 20 s
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = 100 * time.Millisecond
	}
	if b.Max <= 0 {
		b.Max = 20 * time.Second
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
	}
	return b
}

// delay is how long to wait before retry n (from 0).
func (b Backoff) delay(n int) time.Duration {
	ceil := b.Max
	if n < 62 {
		if d := b.Initial << n; d > 0 && d < b.Max {
			ceil = d
		}
	}
	return rand.N(ceil + 1)
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// retryable reports whether a call that failed with err may succeed if
// made again: throttling, a 5xx answer, a connection that broke, or the
// SDK's own retry quota running out. Faults SWF answered about the call
// itself (UnknownResourceFault, ValidationException, ...) are not.
func retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var quota ratelimit.QuotaExceededError
	if errors.As(err, &quota) {
		return true
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}

// callTimeout bounds, in real time, each call that is not a long poll.
const callTimeout = 30 * time.Second

// pollTimeout bounds a long poll: SWF answers within 60 s, and its own
// workers give up after 70.
const pollTimeout = 70 * time.Second

// respondFor is how long a worker keeps trying to deliver a task's answer
// through throttling and server errors. Past it the task is left to time
// out.
const respondFor = 2 * time.Minute

// withRetry calls f until it succeeds, fails in a way retrying cannot fix,
// or ctx ends; each attempt gets callTimeout. It waits by b between
// attempts.
func withRetry(ctx context.Context, b Backoff, f func(context.Context) error) error {
	for n := 0; ; n++ {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		err := f(cctx)
		cancel()
		if err == nil || !retryable(err) || ctx.Err() != nil {
			return err
		}
		if !sleep(ctx, b.delay(n)) {
			return err
		}
	}
}

// defaultIdentity names the worker in the history: host and process.
func defaultIdentity() string {
	host, err := os.Hostname()
	if err != nil {
		host = "worker"
	}
	return truncate(host+":"+strconv.Itoa(os.Getpid()), 256)
}

// truncate cuts s to at most n characters (SWF counts characters, not
// bytes), without splitting one.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// isUnknownResource reports whether SWF answered that the task (or its
// execution, or the domain) does not exist: for a task, that it has
// closed.
func isUnknownResource(err error) bool {
	var f *types.UnknownResourceFault
	return errors.As(err, &f)
}
