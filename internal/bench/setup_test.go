package bench

import (
	"context"
	"slices"
	"testing"
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

// A paced set-up starts its workflows at the pace of the activity starts
// (a little ahead), not all at once: a flood of starts and first decisions
// saturated the server for the first 20 s of a 100,000-task set-up and
// pushed the activity schedules past SWF's rate limit.
func TestPacedSetupSpreadsStarts(t *testing.T) {
	t.Parallel()
	o := Options{Targets: []string{"server"}, Scenario: "timers", TempDir: t.TempDir(), Quiet: true}
	o = o.withDefaults()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tg, err := openTarget(ctx, "server", &o)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.close()
	c := newClient(tg, &o)
	f, err := newFixture(ctx, c, tg, &o, "paced")
	if err != nil {
		t.Fatal(err)
	}
	stop := f.startDeciders(nil)
	defer stop()
	const n, rate = 25, 10.0 // 2.4 s from the first poll to the last; starts span that less startLead
	if _, err := f.openActivities(ctx, "wf", n, 1, "3600", rate, newProgress(&o, "", "", n, nil)); err != nil {
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
