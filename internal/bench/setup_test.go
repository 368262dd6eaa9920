package bench

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
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
