package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func TestSeconds(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "NONE"}, {-time.Second, "NONE"}, {time.Millisecond, "1"}, {time.Second, "1"},
		{1500 * time.Millisecond, "2"}, {5 * time.Minute, "300"},
	} {
		if got := aws.ToString(Seconds(c.d)); got != c.want {
			t.Errorf("Seconds(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 5, "abc"}, {"abcdef", 3, "abc"}, {"héllo", 2, "hé"}, {"ééé", 3, "ééé"}, {"", 0, ""},
	} {
		if got := truncate(c.s, c.n); got != c.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
}

// The n'th delay is at most min(Max, Initial·2ⁿ), and jittered.
func TestBackoffDelay(t *testing.T) {
	t.Parallel()
	b := Backoff{Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond}.withDefaults()
	for n, ceil := range []time.Duration{10, 20, 40, 80, 100, 100} {
		ceil *= time.Millisecond
		distinct := map[time.Duration]bool{}
		for range 200 {
			d := b.delay(n)
			if d < 0 || d > ceil {
				t.Fatalf("delay(%d) = %v, want within [0, %v]", n, d, ceil)
			}
			distinct[d] = true
		}
		if len(distinct) < 10 {
			t.Errorf("delay(%d) took %d distinct values in 200 draws, want jitter", n, len(distinct))
		}
	}
	if d := b.delay(1000); d > b.Max {
		t.Errorf("delay(1000) = %v, want at most Max", d)
	}
	if got := (Backoff{}).withDefaults(); got.Initial != 100*time.Millisecond || got.Max != 20*time.Second {
		t.Errorf("default backoff %+v, want 100ms to 20s", got)
	}
}

func TestRetryable(t *testing.T) {
	t.Parallel()
	status := func(code int) error {
		return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}}, Err: errors.New("x"),
		}}
	}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"Throttling", &smithy.GenericAPIError{Code: "ThrottlingException"}, true},
		{"503", status(503), true},
		{"500", status(500), true},
		{"Connection", &net.OpError{Op: "dial", Err: errors.New("refused")}, true},
		{"UnknownResource", &types.UnknownResourceFault{Message: aws.String("gone")}, false},
		{"Validation", &smithy.GenericAPIError{Code: "ValidationException"}, false},
		{"400", status(400), false},
		{"Canceled", context.Canceled, false},
		{"WrappedThrottling", fmt.Errorf("call: %w", &smithy.GenericAPIError{Code: "ThrottlingException"}), true},
	} {
		if got := retryable(c.err); got != c.want {
			t.Errorf("%s: retryable = %v, want %v", c.name, got, c.want)
		}
	}
}

// describer answers DescribeActivityType from a table; the rest of Client
// is not called.
type describer struct {
	Client
	timeouts map[string]string // by type name; absent: UnknownResourceFault
	calls    int
}

func (d *describer) DescribeActivityType(_ context.Context, in *swf.DescribeActivityTypeInput, _ ...func(*swf.Options)) (*swf.DescribeActivityTypeOutput, error) {
	d.calls++
	hb, ok := d.timeouts[aws.ToString(in.ActivityType.Name)]
	if !ok {
		return nil, &types.UnknownResourceFault{Message: aws.String("unknown type")}
	}
	return &swf.DescribeActivityTypeOutput{Configuration: &types.ActivityTypeConfiguration{DefaultTaskHeartbeatTimeout: aws.String(hb)}}, nil
}

// The heartbeat interval is the configured one, else a third of the
// type's default heartbeat timeout, else DefaultHeartbeatInterval; the
// type is described once.
func TestHeartbeatInterval(t *testing.T) {
	t.Parallel()
	d := &describer{timeouts: map[string]string{"five-minutes": "300", "none": "NONE"}}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := NewActivityWorker(d, ActivityWorkerOptions{Domain: "d", TaskList: "l", Logger: quiet})
	for _, c := range []struct {
		name string
		want time.Duration
	}{
		{"five-minutes", 100 * time.Second},
		{"none", DefaultHeartbeatInterval},
		{"unknown", DefaultHeartbeatInterval},
		{"five-minutes", 100 * time.Second},
	} {
		if got := w.interval(t.Context(), *ActivityType(c.name, "1"), quiet); got != c.want {
			t.Errorf("interval of %s = %v, want %v", c.name, got, c.want)
		}
	}
	if d.calls != 3 {
		t.Errorf("%d DescribeActivityType calls, want one per type", d.calls)
	}
	w = NewActivityWorker(d, ActivityWorkerOptions{Domain: "d", TaskList: "l", HeartbeatInterval: time.Second, Logger: quiet})
	if got := w.interval(t.Context(), *ActivityType("five-minutes", "1"), quiet); got != time.Second {
		t.Errorf("interval with HeartbeatInterval set = %v, want it", got)
	}
}

func TestRunNeedsOptions(t *testing.T) {
	t.Parallel()
	if err := NewActivityWorker(&describer{}, ActivityWorkerOptions{}).Run(t.Context()); err == nil {
		t.Error("ActivityWorker.Run without a domain: got no error")
	}
	if err := NewDecider(&describer{}, DeciderOptions{Domain: "d", TaskList: "l"}, nil).Run(t.Context()); err == nil {
		t.Error("Decider.Run without a handler: got no error")
	}
}
