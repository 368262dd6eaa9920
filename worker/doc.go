// Package worker runs Amazon SWF activity workers and deciders on
// aws-sdk-go-v2. It works against Amazon SWF and openswf alike: it uses
// nothing but the SWF API.
//
// An ActivityWorker polls one task list with a number of pollers and hands
// each task to the handler registered for its activity type:
//
//	w := worker.NewActivityWorker(client, worker.ActivityWorkerOptions{Domain: "demo", TaskList: "workers"})
//	w.Handle("charge", "1", func(ctx context.Context, t *worker.ActivityTask) (string, error) {
//		for i := range 10 {
//			t.Progress(fmt.Sprintf("%d%%", i*10)) // the next heartbeat carries it
//			if err := chargeStep(ctx, i); err != nil {
//				return "", err // ctx is canceled when the decider cancels the task
//			}
//		}
//		return "charged", nil
//	})
//	err := w.Run(ctx) // until ctx is canceled, then a graceful shutdown
//
// While a handler runs, the worker heartbeats for it, carrying the details
// of its latest Progress call, and cancels its ctx when
//   - a heartbeat answers cancelRequested (context.Cause is
//     ErrCancelRequested); the worker then answers the task with
//     RespondActivityTaskCanceled, with the latest progress as details,
//     unless the handler returns a result,
//   - the task is gone: a heartbeat answered UnknownResourceFault because it
//     timed out or its execution closed (ErrTaskGone); nothing is answered,
//     since SWF would refuse it,
//   - the worker shuts down and the grace period has passed (ErrShutdown).
//
// A handler's result completes the task (RespondActivityTaskCompleted), an
// error fails it (RespondActivityTaskFailed; see Failure), and a panic fails
// it with the panic and its stack.
//
// # The heartbeat interval
//
// The worker heartbeats every third of the task's heartbeat timeout. SWF
// does not hand a worker its task's timeouts (PollForActivityTask answers
// no timeout at all); they are in the execution's ActivityTaskScheduled
// event, which only GetWorkflowExecutionHistory reads: one history read
// per task, of a history that may hold 25,000 events, with a permission
// workers are usually not given. So the worker takes the timeout the
// activity type was registered with (DescribeActivityType, once per type):
//
//   - ActivityWorkerOptions.HeartbeatInterval, when set, wins for every
//     task. Set it when deciders schedule tasks with a shorter
//     heartbeatTimeout than their type's default.
//   - Otherwise a third of the type's defaultTaskHeartbeatTimeout.
//   - A type with no default heartbeat timeout (NONE), or one the worker
//     cannot describe, gets DefaultHeartbeatInterval: heartbeats are still
//     how a worker learns that its task was canceled.
//
// # Deciders
//
// A Decider polls a decision task list, reads the whole history of each
// task (following nextPageToken), and calls its handler with the history
// and the events new since the previous decision task
// (previousStartedEventId). The decisions it returns complete the task. The
// functions named after the decision types (ScheduleActivityTask,
// CompleteWorkflowExecution, StartTimer, ...) build them. A handler's error
// or panic leaves the decision task unanswered: it times out and SWF
// schedules it again, so no event is lost.
//
// # Errors, throttling and shutdown
//
// Calls that fail with throttling (ThrottlingException and its kin), a 5xx
// answer or a broken connection are retried with exponential backoff and
// full jitter (Backoff); the same backoff paces a poller whose polls fail.
// Run stops polling when its ctx is canceled: it starts no new poll, lets
// the polls in flight answer (a task they bring still runs) and running
// tasks finish within the grace period, then cancels what is left, waits
// for the handlers to return, answers their tasks, and returns. The grace
// period defaults to 60 seconds because SWF may hand a task to a poll the
// worker has given up on, and that task then waits for its timeout
// (DefaultShutdownGrace); against openswftest, advancing the clock by a
// minute ends the polls at once.
package worker
