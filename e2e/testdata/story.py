#!/usr/bin/env python3
"""A short heartbeat story told with boto3 against an openswf server.

Usage: story.py ENDPOINT_URL

Run by e2e/boto3_test.go (TestBoto3Story). Prints one line per step and
exits 0 when every check passed; on a failed check it exits 1 with the
reason on stderr.
"""

import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

DOMAIN = "boto3-story"
DECIDERS = "deciders"
WORKERS = "workers"
WORKFLOW_ID = "ship-1"


def check(cond, msg):
    if not cond:
        print("FAIL: " + msg, file=sys.stderr)
        sys.exit(1)


def step(msg):
    print(msg, flush=True)


def main(url):
    swf = boto3.client(
        "swf",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        # Long polls answer within 60 s; no retries, so a failure shows.
        config=Config(read_timeout=70, retries={"max_attempts": 1, "mode": "standard"}),
    )

    swf.register_domain(name=DOMAIN, workflowExecutionRetentionPeriodInDays="1")
    swf.register_workflow_type(
        domain=DOMAIN, name="ship", version="1",
        defaultTaskList={"name": DECIDERS}, defaultChildPolicy="TERMINATE",
        defaultExecutionStartToCloseTimeout="600", defaultTaskStartToCloseTimeout="60",
    )
    swf.register_activity_type(
        domain=DOMAIN, name="pack", version="1",
        defaultTaskList={"name": WORKERS}, defaultTaskHeartbeatTimeout="60",
        defaultTaskScheduleToStartTimeout="60", defaultTaskStartToCloseTimeout="300",
        defaultTaskScheduleToCloseTimeout="360",
    )
    at = swf.describe_activity_type(domain=DOMAIN, activityType={"name": "pack", "version": "1"})
    check(at["configuration"]["defaultTaskHeartbeatTimeout"] == "60",
          "describe_activity_type: heartbeat timeout %r" % at["configuration"].get("defaultTaskHeartbeatTimeout"))
    step("registered domain and types")

    run_id = swf.start_workflow_execution(
        domain=DOMAIN, workflowId=WORKFLOW_ID, workflowType={"name": "ship", "version": "1"}, input="parcel 7",
    )["runId"]
    execution = {"workflowId": WORKFLOW_ID, "runId": run_id}
    step("started " + run_id)

    dt = swf.poll_for_decision_task(domain=DOMAIN, taskList={"name": DECIDERS}, identity="decider")
    check(dt.get("taskToken"), "no decision task after the start")
    check(dt["events"][0]["eventType"] == "WorkflowExecutionStarted", "first event %r" % dt["events"][0]["eventType"])
    swf.respond_decision_task_completed(taskToken=dt["taskToken"], decisions=[{
        "decisionType": "ScheduleActivityTask",
        "scheduleActivityTaskDecisionAttributes": {
            "activityId": "pack-1", "activityType": {"name": "pack", "version": "1"}, "input": "parcel 7",
        },
    }])
    step("scheduled pack-1")

    task = swf.poll_for_activity_task(domain=DOMAIN, taskList={"name": WORKERS}, identity="worker")
    check(task.get("taskToken"), "no activity task")
    check(task["activityId"] == "pack-1" and task["input"] == "parcel 7", "activity task %r" % task)
    token = task["taskToken"]

    status = swf.record_activity_task_heartbeat(taskToken=token)
    check(status.get("cancelRequested") is False, "heartbeat without details answered %r" % status)
    status = swf.record_activity_task_heartbeat(taskToken=token, details="half packed")
    check(status.get("cancelRequested") is False, "heartbeat answered %r" % status)
    step("heartbeats answered cancelRequested=False")

    swf.respond_activity_task_completed(taskToken=token, result="packed")
    try:
        swf.record_activity_task_heartbeat(taskToken=token, details="too late")
        check(False, "heartbeat on a completed task succeeded")
    except ClientError as e:
        code = e.response["Error"]["Code"]
        check(code == "UnknownResourceFault", "heartbeat on a completed task: %s" % code)
    step("completed pack-1; its token is dead")

    dt = swf.poll_for_decision_task(domain=DOMAIN, taskList={"name": DECIDERS}, identity="decider")
    check(dt.get("taskToken"), "no decision task after the completion")
    done = [e for e in dt["events"] if e["eventType"] == "ActivityTaskCompleted"]
    check(len(done) == 1 and done[0]["activityTaskCompletedEventAttributes"]["result"] == "packed",
          "decision task's ActivityTaskCompleted: %r" % done)
    check(dt["previousStartedEventId"] > 0, "previousStartedEventId %r" % dt.get("previousStartedEventId"))
    swf.respond_decision_task_completed(taskToken=dt["taskToken"], decisions=[{
        "decisionType": "CompleteWorkflowExecution",
        "completeWorkflowExecutionDecisionAttributes": {"result": "shipped"},
    }])
    step("closed the workflow")

    desc = swf.describe_workflow_execution(domain=DOMAIN, execution=execution)
    info = desc["executionInfo"]
    check(info["executionStatus"] == "CLOSED" and info["closeStatus"] == "COMPLETED",
          "describe: %s/%s" % (info["executionStatus"], info.get("closeStatus")))
    check("closeTimestamp" in info and info["closeTimestamp"] >= info["startTimestamp"], "describe: timestamps %r" % info)
    counts = desc["openCounts"]
    check(counts["openActivityTasks"] == 0 and counts["openDecisionTasks"] == 0 and counts["openTimers"] == 0,
          "describe: open counts %r" % counts)

    events = swf.get_workflow_execution_history(domain=DOMAIN, execution=execution)["events"]
    ids = [e["eventId"] for e in events]
    check(ids == list(range(1, len(ids) + 1)), "event ids %r" % ids)
    types = [e["eventType"] for e in events]
    check(types[-1] == "WorkflowExecutionCompleted", "last event %r" % types[-1])
    check(events[-1]["workflowExecutionCompletedEventAttributes"]["result"] == "shipped", "result %r" % events[-1])
    step("described; history has %d events" % len(events))
    print("OK")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
