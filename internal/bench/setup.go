package bench

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsswf "github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
	"github.com/aws/smithy-go"
)

// fixture is a fresh domain with one workflow type and one activity type,
// registered for one scenario run so that runs never see each other's
// executions.
type fixture struct {
	c            *awsswf.Client
	domain       string
	wfType       types.WorkflowType
	actType      types.ActivityType
	decisionList string
	activityList string
	o            *Options
	external     bool // the server outlives the run: clean up after it

	derrs   errCounts    // the deciders' errors
	retries atomic.Int64 // set-up calls retried after a 5xx
	broken  atomic.Int64 // set-up calls retried after the client broke the connection (clientBroke)
	// lostPolls counts activity polls whose answer the client lost: a task
	// they handed out stays started, unseen by the set-up.
	lostPolls atomic.Int64
	dupes     atomic.Int64 // decision tasks answered twice (refused the second time)
	// rateRetries counts activities scheduled again after the task list's
	// schedule rate refused them.
	rateRetries atomic.Int64

	mu   sync.Mutex // guards runs
	runs []types.WorkflowExecution
}

// newFixture registers the domain and types.
func newFixture(ctx context.Context, c *awsswf.Client, t *target, o *Options, scenario string) (*fixture, error) {
	id := strconv.FormatInt(time.Now().UnixNano(), 36)
	f := &fixture{
		c:            c,
		o:            o,
		external:     t.Kind == kindURL,
		domain:       "bench-" + scenario + "-" + id,
		wfType:       types.WorkflowType{Name: aws.String("bench-workflow"), Version: aws.String("1")},
		actType:      types.ActivityType{Name: aws.String("bench-activity"), Version: aws.String("1")},
		decisionList: "bench-decisions",
		activityList: "bench-activities",
	}
	retention := o.retentionDays
	if retention == "" {
		retention = "1"
	}
	if _, err := c.RegisterDomain(ctx, &awsswf.RegisterDomainInput{
		Name: aws.String(f.domain), WorkflowExecutionRetentionPeriodInDays: aws.String(retention),
	}); err != nil {
		return nil, fmt.Errorf("register domain %s: %w", f.domain, err)
	}
	if _, err := c.RegisterWorkflowType(ctx, &awsswf.RegisterWorkflowTypeInput{
		Domain: aws.String(f.domain), Name: f.wfType.Name, Version: f.wfType.Version,
	}); err != nil {
		return nil, fmt.Errorf("register workflow type: %w", err)
	}
	if _, err := c.RegisterActivityType(ctx, &awsswf.RegisterActivityTypeInput{
		Domain: aws.String(f.domain), Name: f.actType.Name, Version: f.actType.Version,
	}); err != nil {
		return nil, fmt.Errorf("register activity type: %w", err)
	}
	return f, nil
}

// startWorkflow starts one execution on the fixture's decision task list.
// input tells the setup decider how many activities to schedule.
func (f *fixture) startWorkflow(ctx context.Context, workflowID, taskList, input string) (*awsswf.StartWorkflowExecutionOutput, error) {
	out, err := f.c.StartWorkflowExecution(ctx, &awsswf.StartWorkflowExecutionInput{
		Domain:                       aws.String(f.domain),
		WorkflowId:                   aws.String(workflowID),
		WorkflowType:                 &f.wfType,
		TaskList:                     &types.TaskList{Name: aws.String(taskList)},
		Input:                        aws.String(input),
		ExecutionStartToCloseTimeout: aws.String("86400"),
		// A decision task whose answer the client lost (clientBroke) comes
		// back after this; the bench's deciders answer in milliseconds.
		TaskStartToCloseTimeout: aws.String("60"),
		ChildPolicy:             types.ChildPolicyTerminate,
	})
	if err == nil {
		f.mu.Lock()
		f.runs = append(f.runs, types.WorkflowExecution{WorkflowId: aws.String(workflowID), RunId: out.RunId})
		f.mu.Unlock()
	}
	return out, err
}

// scheduleDecisions schedules n activities with the given heartbeat
// timeout ("NONE" or seconds); the other timeouts are NONE.
func (f *fixture) scheduleDecisions(n int, taskList, heartbeatTimeout string) []types.Decision {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = "a" + strconv.Itoa(i)
	}
	return f.scheduleActivities(ids, taskList, heartbeatTimeout)
}

// scheduleActivities schedules the activities named by ids.
func (f *fixture) scheduleActivities(ids []string, taskList, heartbeatTimeout string) []types.Decision {
	ds := make([]types.Decision, len(ids))
	for i, id := range ids {
		ds[i] = types.Decision{
			DecisionType: types.DecisionTypeScheduleActivityTask,
			ScheduleActivityTaskDecisionAttributes: &types.ScheduleActivityTaskDecisionAttributes{
				ActivityId:             aws.String(id),
				ActivityType:           &f.actType,
				TaskList:               &types.TaskList{Name: aws.String(taskList)},
				Input:                  aws.String("bench"),
				HeartbeatTimeout:       aws.String(heartbeatTimeout),
				ScheduleToStartTimeout: aws.String("NONE"),
				ScheduleToCloseTimeout: aws.String("NONE"),
				StartToCloseTimeout:    aws.String("NONE"),
			},
		}
	}
	return ds
}

// decisionTask is a polled decision task with its whole history.
type decisionTask struct {
	token    string
	run      types.WorkflowExecution
	events   []types.HistoryEvent
	received time.Time // when the first page arrived
}

// pollDecision long-polls the task list and pages through the history.
// No task: nil, nil.
func (f *fixture) pollDecision(ctx context.Context, taskList string) (*decisionTask, error) {
	in := &awsswf.PollForDecisionTaskInput{
		Domain: aws.String(f.domain), TaskList: &types.TaskList{Name: aws.String(taskList)},
		Identity: aws.String("bench-decider"), MaximumPageSize: 1000,
	}
	out, err := f.c.PollForDecisionTask(ctx, in)
	if err != nil {
		return nil, err
	}
	if aws.ToString(out.TaskToken) == "" {
		return nil, nil
	}
	t := &decisionTask{token: *out.TaskToken, events: out.Events, received: time.Now()}
	if out.WorkflowExecution != nil {
		t.run = *out.WorkflowExecution
	}
	for page := out.NextPageToken; aws.ToString(page) != ""; {
		in.NextPageToken = page
		more, err := f.c.PollForDecisionTask(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("history page: %w", err)
		}
		t.events = append(t.events, more.Events...)
		page = more.NextPageToken
	}
	return t, nil
}

func (f *fixture) respondDecision(ctx context.Context, token string, ds []types.Decision) error {
	_, err := f.c.RespondDecisionTaskCompleted(ctx, &awsswf.RespondDecisionTaskCompletedInput{
		TaskToken: aws.String(token), Decisions: ds,
	})
	return err
}

// pollActivity long-polls the activity task list. No task: nil, nil.
func (f *fixture) pollActivity(ctx context.Context, taskList string) (*awsswf.PollForActivityTaskOutput, error) {
	out, err := f.c.PollForActivityTask(ctx, &awsswf.PollForActivityTaskInput{
		Domain: aws.String(f.domain), TaskList: &types.TaskList{Name: aws.String(taskList)},
		Identity: aws.String("bench-worker"),
	})
	if err != nil || aws.ToString(out.TaskToken) == "" {
		return nil, err
	}
	return out, nil
}

// startedInput reads the workflow input from a history.
func startedInput(events []types.HistoryEvent) string {
	for _, ev := range events {
		if a := ev.WorkflowExecutionStartedEventAttributes; a != nil {
			return aws.ToString(a.Input)
		}
	}
	return ""
}

// hasScheduled reports whether the history shows any attempt to schedule
// an activity, successful or not.
func hasScheduled(events []types.HistoryEvent) bool {
	for _, ev := range events {
		if ev.EventType == types.EventTypeActivityTaskScheduled || ev.EventType == types.EventTypeScheduleActivityTaskFailed {
			return true
		}
	}
	return false
}

// rateRefused returns the activities whose latest attempt to be scheduled
// failed with ACTIVITY_CREATION_RATE_EXCEEDED: a real decider schedules
// them again, a little later. (A set-up of thousands of activities on one
// task list goes past the 2,000 a second that SWF allows.)
func rateRefused(events []types.HistoryEvent) []string {
	refused := map[string]bool{}
	var order []string
	for _, ev := range events {
		switch {
		case ev.ActivityTaskScheduledEventAttributes != nil:
			delete(refused, aws.ToString(ev.ActivityTaskScheduledEventAttributes.ActivityId))
		case ev.ScheduleActivityTaskFailedEventAttributes != nil:
			a := ev.ScheduleActivityTaskFailedEventAttributes
			if a.Cause == types.ScheduleActivityTaskFailedCauseActivityCreationRateExceeded {
				id := aws.ToString(a.ActivityId)
				if !refused[id] {
					order = append(order, id)
				}
				refused[id] = true
			}
		}
	}
	var ids []string
	for _, id := range order {
		if refused[id] {
			ids = append(ids, id)
			delete(refused, id)
		}
	}
	return ids
}

// setupNotes says what the set-up had to work around.
func (f *fixture) setupNotes() []string {
	var notes []string
	if n := f.retries.Load(); n > 0 {
		notes = append(notes, fmt.Sprintf("set-up retried %d calls that failed with a 5xx (moto_server races under concurrent calls)", n))
	}
	if n := f.broken.Load(); n > 0 {
		notes = append(notes, fmt.Sprintf("set-up retried %d calls whose connection the client closed under them (aws-sdk-go-v2#2737)", n))
	}
	if n := f.lostPolls.Load(); n > 0 {
		notes = append(notes, fmt.Sprintf("%d activity polls lost their answer that way: a task one of them handed out stays started and is not measured", n))
	}
	if n := f.dupes.Load(); n > 0 {
		notes = append(notes, fmt.Sprintf("%d decision tasks were handed out twice (the second answer was refused)", n))
	}
	if n := f.rateRetries.Load(); n > 0 {
		notes = append(notes, fmt.Sprintf("%d activities were scheduled again after ACTIVITY_CREATION_RATE_EXCEEDED (2,000 a second per task list)", n))
	}
	return notes
}

// rateBackoff is how long a set-up decider waits before scheduling again
// what the rate limit refused: a tenth of the limit's refill time.
const rateBackoff = 100 * time.Millisecond

// startLead is how far a paced set-up starts each workflow ahead of the
// poll that is to start its first activity: time for a decider to
// schedule it.
const startLead = time.Second

// paced is when the i-th of a series paced at rate a second is due.
func paced(t0 time.Time, i int, rate float64) time.Time {
	return t0.Add(time.Duration(float64(i) / rate * float64(time.Second)))
}

// openTask is an open, started activity task.
type openTask struct {
	token string
	run   types.WorkflowExecution
}

// deciderFunc answers a decision task with decisions; nil decisions still
// complete the decision task.
type deciderFunc func(t *decisionTask) []types.Decision

// setupDecider schedules the activities a workflow's input asks for
// ("n=K hb=T": K activities with heartbeat timeout T) on its first
// decision task; otherwise it answers nothing, or calls other when given.
func (f *fixture) setupDecider(other deciderFunc) deciderFunc {
	return func(t *decisionTask) []types.Decision {
		var n int
		var hb string
		if _, err := fmt.Sscanf(startedInput(t.events), "n=%d hb=%s", &n, &hb); err == nil {
			if !hasScheduled(t.events) {
				return f.scheduleDecisions(n, f.activityList, hb)
			}
			if ids := rateRefused(t.events); len(ids) > 0 {
				f.rateRetries.Add(int64(len(ids)))
				time.Sleep(rateBackoff)
				return f.scheduleActivities(ids, f.activityList, hb)
			}
		}
		if other != nil {
			return other(t)
		}
		return nil
	}
}

// startDeciders runs the set-up deciders (o.Deciders of them) until the
// returned stop is called; other, if not nil, answers the decision tasks
// after the first of each workflow. Their errors go to f.derrs.
func (f *fixture) startDeciders(other deciderFunc) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	wg := f.runDeciders(ctx, f.o.deciders(), f.setupDecider(other), &f.derrs)
	return func() {
		cancel()
		wg.Wait()
	}
}

// runDeciders long-polls the decision task list with n goroutines until
// ctx ends, answering each task with decide. Errors other than the
// cancellation go to errs.
func (f *fixture) runDeciders(ctx context.Context, n int, decide deciderFunc, errs *errCounts) *sync.WaitGroup {
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				var t *decisionTask
				err := f.retry(ctx, func() (err error) {
					t, err = f.pollDecision(ctx, f.decisionList)
					return err
				})
				if err != nil {
					if ctx.Err() == nil {
						errs.add(fmt.Errorf("PollForDecisionTask: %w", err))
						sleepCtx(ctx, 100*time.Millisecond)
					}
					continue
				}
				if t == nil {
					continue
				}
				ds := decide(t)
				err = f.retry(ctx, func() error { return f.respondDecision(ctx, t.token, ds) })
				var unknown *types.UnknownResourceFault
				switch {
				case err == nil || ctx.Err() != nil:
				case errors.As(err, &unknown):
					// moto_server, racing, hands one decision task to two
					// pollers; the second answer is refused. Not ours
					// to fail the set-up for: counted and noted.
					f.dupes.Add(1)
				default:
					errs.add(fmt.Errorf("RespondDecisionTaskCompleted: %w", err))
				}
			}
		}()
	}
	return &wg
}

// openActivities starts workflows (named prefix-0, prefix-1, ...), lets
// the deciders (startDeciders must be running) schedule n activities,
// perWorkflow to a workflow, with the given heartbeat timeout, and polls
// them until n are started. It fails at the first error or after
// o.SetupTimeout.
//
// rate, when positive, paces the activity polls to that many a second in
// total, so that the tasks start (and their deadlines follow) at that pace,
// and the workflow starts to match, startLead ahead.
func (f *fixture) openActivities(ctx context.Context, prefix string, n, perWorkflow int, heartbeatTimeout string, rate float64, prog *progress) (tasks []openTask, err error) {
	if perWorkflow < 1 {
		perWorkflow = 1
	}
	ctx, cancel := context.WithTimeout(ctx, f.o.SetupTimeout)
	defer cancel()

	workflows := (n + perWorkflow - 1) / perWorkflow
	conc := f.o.SetupConcurrency
	var (
		next    atomic.Int64
		started atomic.Int64
		failed  = make(chan error, 2*conc+1)
		mu      sync.Mutex // guards seen, tasks
		seen    = make(map[string]bool, n)
		done    = make(chan struct{})
	)
	fail := func(err error) {
		select {
		case failed <- err:
		default:
		}
	}
	var wg sync.WaitGroup
	t0 := time.Now()
	for range conc {
		wg.Add(1)
		go func() { // starters
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= workflows || ctx.Err() != nil {
					return
				}
				if rate > 0 {
					// Paced like the polls, a little ahead of them, so that
					// the set-up's load stays even instead of a flood of
					// starts and decisions first (which at 100,000 tasks
					// saturated the server for its first 20 s).
					sleepCtx(ctx, time.Until(paced(t0, i*perWorkflow, rate).Add(-startLead)))
				}
				k := perWorkflow
				if i == workflows-1 {
					k = n - i*perWorkflow
				}
				attempts := 0
				err := f.retry(ctx, func() error {
					attempts++
					id := prefix + "-" + strconv.Itoa(i)
					_, err := f.startWorkflow(ctx, id, f.decisionList, fmt.Sprintf("n=%d hb=%s", k, heartbeatTimeout))
					var dup *types.WorkflowExecutionAlreadyStartedFault
					if attempts > 1 && errors.As(err, &dup) {
						// An earlier attempt started it; its answer was lost.
						f.mu.Lock()
						f.runs = append(f.runs, types.WorkflowExecution{WorkflowId: aws.String(id)})
						f.mu.Unlock()
						return nil
					}
					return err
				})
				if err != nil {
					fail(fmt.Errorf("StartWorkflowExecution: %w", err))
					return
				}
				started.Add(1)
			}
		}()
	}
	pctx, pcancel := context.WithCancel(ctx)
	defer pcancel()
	var polls, lost atomic.Int64
	var finish sync.Once
	// enough ends the set-up once every task is open, but for those a lost
	// poll answer may have taken (see clientBroke). Called with mu held.
	enough := func() {
		if len(tasks) >= n-int(lost.Load()) {
			finish.Do(func() { close(done) })
		}
	}
	for range conc {
		wg.Add(1)
		go func() { // workers
			defer wg.Done()
			for pctx.Err() == nil {
				if rate > 0 {
					sleepCtx(pctx, time.Until(paced(t0, int(polls.Add(1)-1), rate)))
				}
				var out *awsswf.PollForActivityTaskOutput
				err := f.retry(pctx, func() (err error) {
					out, err = f.pollActivity(pctx, f.activityList)
					if err != nil && clientBroke(err) {
						lost.Add(1)
						f.lostPolls.Add(1)
						mu.Lock()
						enough()
						mu.Unlock()
					}
					return err
				})
				if err != nil {
					if pctx.Err() == nil {
						fail(fmt.Errorf("PollForActivityTask: %w", err))
					}
					return
				}
				if out == nil {
					continue
				}
				mu.Lock()
				if !seen[*out.TaskToken] {
					seen[*out.TaskToken] = true
					tasks = append(tasks, openTask{token: *out.TaskToken, run: *out.WorkflowExecution})
					prog.set(int64(len(tasks)))
					enough()
				}
				mu.Unlock()
			}
		}()
	}
	watch := time.NewTicker(200 * time.Millisecond)
	defer watch.Stop()
	for {
		select {
		case <-done:
			pcancel()
			wg.Wait()
			return tasks[:min(len(tasks), n)], nil
		case err := <-failed:
			pcancel()
			wg.Wait()
			return nil, err
		case <-watch.C:
			if f.derrs.total() > 0 {
				pcancel()
				wg.Wait()
				return nil, fmt.Errorf("setup decider: %s", strings.Join(f.derrs.examples(), "; "))
			}
		case <-ctx.Done():
			pcancel()
			wg.Wait()
			mu.Lock()
			got := len(tasks)
			mu.Unlock()
			return nil, fmt.Errorf("setup: %d of %d activity tasks open (%d of %d workflows started) after %v: %w",
				got, n, started.Load(), workflows, f.o.SetupTimeout, context.Cause(ctx))
		}
	}
}

// cleanup terminates the runs this fixture started on an external server
// (a server the bench started is thrown away whole), so that a long-lived
// server (moto keeps everything in memory and scans it on every call) is
// not left carrying them. Bounded by a minute; failures are ignored.
func (f *fixture) cleanup() {
	f.mu.Lock()
	runs := f.runs
	f.runs = nil
	f.mu.Unlock()
	if len(runs) == 0 || !f.o.Cleanup || !f.external {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range f.o.SetupConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(runs) {
					return
				}
				f.c.TerminateWorkflowExecution(ctx, &awsswf.TerminateWorkflowExecutionInput{
					Domain: aws.String(f.domain), WorkflowId: runs[i].WorkflowId, RunId: runs[i].RunId,
				})
			}
		}()
	}
	wg.Wait()
}

// retry runs call, again after a short pause if it failed with an HTTP 5xx
// status and no SWF fault, or because the client broke its own connection
// (up to 5 attempts). Only the set-up retries, and counts what it retried:
// moto_server is not thread-safe and, under concurrent calls, sometimes
// fails a call with a Python exception (500, HTML body) before it changed
// anything; and see clientBroke. The measured calls never retry.
func (f *fixture) retry(ctx context.Context, call func() error) error {
	for attempt := 1; ; attempt++ {
		err := call()
		if err == nil || attempt == 5 || ctx.Err() != nil {
			return err
		}
		var re *awshttp.ResponseError
		var api smithy.APIError
		switch {
		case clientBroke(err):
			f.broken.Add(1)
		case errors.As(err, &api) || !errors.As(err, &re) || re.HTTPStatusCode() < 500:
			return err
		default:
			f.retries.Add(1)
		}
		sleepCtx(ctx, time.Duration(attempt)*50*time.Millisecond)
	}
}

// clientBroke reports whether a call failed because the client closed its
// own connection while the answer was on its way: net/http's writeLoop
// and aws-sdk-go-v2 race over the request body (aws-sdk-go-v2#2737, "use
// of closed network connection" on a 200). The server may have acted on
// the call, so a retry can find its effect already there.
func clientBroke(err error) bool {
	return retry.RetryableConnectionError{}.IsErrorRetryable(err) == aws.TrueTernary
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

var errNoop = errors.New("the noop ceiling server answers only RecordActivityTaskHeartbeat: this scenario needs a real server")
