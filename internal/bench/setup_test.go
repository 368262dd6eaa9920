package bench

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsswf "github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

func scheduled(id string) types.HistoryEvent {
	return types.HistoryEvent{EventType: types.EventTypeActivityTaskScheduled,
		ActivityTaskScheduledEventAttributes: &types.ActivityTaskScheduledEventAttributes{ActivityId: aws.String(id)}}
}

func refused(id string, cause types.ScheduleActivityTaskFailedCause) types.HistoryEvent {
	return types.HistoryEvent{EventType: types.EventTypeScheduleActivityTaskFailed,
		ScheduleActivityTaskFailedEventAttributes: &types.ScheduleActivityTaskFailedEventAttributes{ActivityId: aws.String(id), Cause: cause}}
}

// The set-up decider schedules again exactly the activities whose latest
// attempt the rate limit refused, in the order they were refused.
func TestRateRefused(t *testing.T) {
	rate := types.ScheduleActivityTaskFailedCauseActivityCreationRateExceeded
	events := []types.HistoryEvent{
		scheduled("a0"), refused("a1", rate), refused("a2", rate), refused("a3", types.ScheduleActivityTaskFailedCauseActivityIdAlreadyInUse),
		refused("a4", rate),
		// The next decision scheduled a1 again, and a2 was refused again.
		scheduled("a1"), refused("a2", rate),
	}
	if got, want := rateRefused(events), []string{"a2", "a4"}; !slices.Equal(got, want) {
		t.Fatalf("rateRefused = %v, want %v", got, want)
	}
	if got := rateRefused(events[:1]); got != nil {
		t.Fatalf("nothing refused: got %v", got)
	}
	if !hasScheduled([]types.HistoryEvent{refused("a0", rate)}) {
		t.Fatal("a history whose only schedule was refused counts as not scheduled: the decider would schedule everything again")
	}
}

// testServer starts a server in this process for a set-up test.
func testServer(t *testing.T, scenario string) (context.Context, *Options, *target) {
	t.Helper()
	o := Options{Targets: []string{"server"}, Scenario: scenario, TempDir: t.TempDir(), Quiet: true}
	o = o.withDefaults()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	tg, err := openTarget(ctx, "server", &o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.close() })
	return ctx, &o, tg
}

// A paced set-up starts its workflows at the pace of the activity starts
// (a little ahead), not all at once: a flood of starts and first decisions
// saturated the server for the first 20 s of a 100,000-task set-up and
// pushed the activity schedules past SWF's rate limit.
func TestPacedSetupSpreadsStarts(t *testing.T) {
	t.Parallel()
	ctx, o, tg := testServer(t, "timers")
	c := newClient(tg, o)
	f, err := newFixture(ctx, c, tg, o, "paced")
	if err != nil {
		t.Fatal(err)
	}
	stop := f.startDeciders(nil)
	defer stop()
	const n, rate = 25, 10.0 // 2.4 s from the first poll to the last; starts span that less startLead
	if _, err := f.openActivities(ctx, "wf", n, 1, "3600", rate, newProgress(o, "", "", n, nil)); err != nil {
		t.Fatal(err)
	}
	out, err := c.ListOpenWorkflowExecutions(ctx, &awsswf.ListOpenWorkflowExecutionsInput{
		Domain: aws.String(f.domain), StartTimeFilter: &types.ExecutionTimeFilter{OldestDate: aws.Time(time.Now().Add(-time.Hour))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ExecutionInfos) != n {
		t.Fatalf("got %d open executions, want %d", len(out.ExecutionInfos), n)
	}
	first, last := *out.ExecutionInfos[0].StartTimestamp, *out.ExecutionInfos[0].StartTimestamp
	for _, e := range out.ExecutionInfos {
		if e.StartTimestamp.Before(first) {
			first = *e.StartTimestamp
		}
		if e.StartTimestamp.After(last) {
			last = *e.StartTimestamp
		}
	}
	if span, want := last.Sub(first), (time.Duration(float64(n-1)/rate*float64(time.Second))-startLead)*8/10; span < want {
		t.Fatalf("the %d starts spanned %v, want at least %v at %v a second", n, span, want, rate)
	}
}

// loseAnswers hands the client a broken connection instead of the server's
// answer, once for each named operation (whose answer contains must), as
// the aws-sdk-go-v2#2737 race does: the server has acted, the client
// sees "use of closed network connection".
type loseAnswers struct {
	rt   http.RoundTripper
	mu   sync.Mutex
	lose map[string]string // operation -> text its answer must contain
}

func (l *loseAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.rt.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "SimpleWorkflowService.")
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	must, ok := l.lose[op]
	if ok && bytes.Contains(body, []byte(must)) {
		delete(l.lose, op)
		l.mu.Unlock()
		resp.Body = io.NopCloser(iotest.ErrReader(&net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed}))
		return resp, nil
	}
	l.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// The set-up survives answers the client loses: a start is retried and
// found already done, a lost activity task is left out and said so.
func TestSetupSurvivesLostAnswers(t *testing.T) {
	t.Parallel()
	ctx, o, tg := testServer(t, "heartbeat")
	lose := &loseAnswers{lose: map[string]string{"StartWorkflowExecution": "runId", "PollForActivityTask": "taskToken"}}
	c := newClient(tg, o)
	c = awsswf.New(c.Options(), func(so *awsswf.Options) {
		lose.rt = so.HTTPClient.(*http.Client).Transport
		so.HTTPClient = &http.Client{Transport: lose}
	})
	f, err := newFixture(ctx, c, tg, o, "lost")
	if err != nil {
		t.Fatal(err)
	}
	stop := f.startDeciders(nil)
	defer stop()
	const n = 5
	tasks, err := f.openActivities(ctx, "wf", n, 1, "3600", 0, newProgress(o, "", "", n, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(lose.lose) != 0 {
		t.Fatalf("answers not lost: %v", lose.lose)
	}
	if len(tasks) != n-1 || f.lostPolls.Load() != 1 || f.broken.Load() != 2 {
		t.Fatalf("got %d tasks, %d lost polls, %d retried calls; want %d, 1, 2", len(tasks), f.lostPolls.Load(), f.broken.Load(), n-1)
	}
	out, err := c.CountOpenWorkflowExecutions(ctx, &awsswf.CountOpenWorkflowExecutionsInput{
		Domain: aws.String(f.domain), StartTimeFilter: &types.ExecutionTimeFilter{OldestDate: aws.Time(time.Now().Add(-time.Hour))},
	})
	if err != nil || out.Count != n {
		t.Fatalf("open workflows: %v, %v; want %d", out, err, n)
	}
	if notes := strings.Join(f.setupNotes(), "\n"); !strings.Contains(notes, "1 activity polls lost") {
		t.Fatalf("notes do not say a task was lost:\n%s", notes)
	}
}
