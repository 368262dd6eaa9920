#!/usr/bin/env python3
"""A five-minute heartbeat timeout, tested with boto3 in well under a second.

Usage: manual_clock.py ENDPOINT_URL SWF_BINARY

The server runs with `swf server --clock manual`: its clock stands still
until `swf clock advance` moves it, firing every timeout it passes before
it answers. Run by e2e/boto3_test.go (TestBoto3ManualClock). Prints one line
per step and exits 0 when every check passed; on a failed check it exits 1
with the reason on stderr.
"""

import json
import subprocess
import sys
import time

import boto3
from botocore.config import Config

DOMAIN = "clock"
WORKFLOW_ID = "order-1"


def check(cond, msg):
    if not cond:
        print("FAIL: " + msg, file=sys.stderr)
        sys.exit(1)


def step(msg):
    print(msg, flush=True)


def main(url, swf_binary):
    began = time.monotonic()
    swf = boto3.client(
        "swf", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="x", aws_secret_access_key="y",
        config=Config(read_timeout=70, retries={"max_attempts": 1, "mode": "standard"}),
    )

    def clock(*args):
        out = subprocess.run([swf_binary, "clock", *args, "--endpoint-url", url],
                             check=True, capture_output=True, text=True).stdout
        return json.loads(out)

    def history():
        return swf.get_workflow_execution_history(
            domain=DOMAIN, execution={"workflowId": WORKFLOW_ID, "runId": run_id})["events"]

    def timed_out():
        return [e for e in history() if e["eventType"] == "ActivityTaskTimedOut"]

    start = clock("show")
    check(start["mode"] == "manual", "clock show: mode %r, want manual" % start["mode"])

    swf.register_domain(name=DOMAIN, workflowExecutionRetentionPeriodInDays="1")
    swf.register_workflow_type(
        domain=DOMAIN, name="order", version="1", defaultTaskList={"name": "decider"},
        defaultChildPolicy="TERMINATE", defaultExecutionStartToCloseTimeout="3600",
        defaultTaskStartToCloseTimeout="3600")
    swf.register_activity_type(
        domain=DOMAIN, name="charge", version="1", defaultTaskList={"name": "workers"},
        defaultTaskHeartbeatTimeout="300", defaultTaskScheduleToStartTimeout="NONE",
        defaultTaskStartToCloseTimeout="NONE", defaultTaskScheduleToCloseTimeout="NONE")
    run_id = swf.start_workflow_execution(
        domain=DOMAIN, workflowId=WORKFLOW_ID, workflowType={"name": "order", "version": "1"})["runId"]
    task = swf.poll_for_decision_task(domain=DOMAIN, taskList={"name": "decider"})
    swf.respond_decision_task_completed(taskToken=task["taskToken"], decisions=[{
        "decisionType": "ScheduleActivityTask",
        "scheduleActivityTaskDecisionAttributes": {
            "activityId": "charge-1", "activityType": {"name": "charge", "version": "1"}}}])
    activity = swf.poll_for_activity_task(domain=DOMAIN, taskList={"name": "workers"})
    swf.record_activity_task_heartbeat(taskToken=activity["taskToken"], details="10%")
    step("a worker took the task and heartbeat; its heartbeat timeout is 5 minutes")

    # Four minutes pass: within the timeout. The worker heartbeats again.
    clock("advance", "4m")
    check(not timed_out(), "timed out after 4 minutes, want the 5-minute timeout still running")
    swf.record_activity_task_heartbeat(taskToken=activity["taskToken"], details="75%")
    step("4 minutes later: still running; the worker heartbeats with 75%")

    # Six more: the worker has been quiet for longer than five minutes.
    after = clock("advance", "6m")
    check(after["epochSeconds"] - start["epochSeconds"] == 600,
          "the clock moved %s s, want 600" % (after["epochSeconds"] - start["epochSeconds"]))
    events = timed_out()
    check(len(events) == 1, "%d ActivityTaskTimedOut events, want 1" % len(events))
    attrs = events[0]["activityTaskTimedOutEventAttributes"]
    check(attrs["timeoutType"] == "HEARTBEAT" and attrs["details"] == "75%",
          "timed out %s with details %r, want HEARTBEAT with 75%%" % (attrs["timeoutType"], attrs.get("details")))
    started = [e for e in history() if e["eventType"] == "ActivityTaskStarted"][0]["eventTimestamp"]
    fired = events[0]["eventTimestamp"]
    check((fired - started).total_seconds() == 540,
          "timed out %s s after the start, want 540 (the last heartbeat at 240, plus 300)" % (fired - started).total_seconds())
    try:
        swf.record_activity_task_heartbeat(taskToken=activity["taskToken"])
        check(False, "a heartbeat of the timed-out task was accepted")
    except swf.exceptions.UnknownResourceFault:
        pass
    step("6 minutes later: timed out (HEARTBEAT) with 75%, 5 minutes after the last heartbeat")

    # The timeout woke the decider, which completes the workflow.
    task = swf.poll_for_decision_task(domain=DOMAIN, taskList={"name": "decider"})
    check(any(e["eventType"] == "ActivityTaskTimedOut" for e in task["events"]),
          "the decision task does not show the timeout")
    swf.respond_decision_task_completed(taskToken=task["taskToken"], decisions=[{
        "decisionType": "FailWorkflowExecution",
        "failWorkflowExecutionDecisionAttributes": {"reason": "charge timed out"}}])
    check(history()[-1]["eventType"] == "WorkflowExecutionFailed", "the workflow did not close")

    elapsed = time.monotonic() - began
    check(elapsed < 10, "took %.1f s of real time, want well under 10" % elapsed)
    step("10 minutes of workflow time in %.2f s of real time" % elapsed)
    step("OK")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
