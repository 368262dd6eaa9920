#!/usr/bin/env python3
"""Listing and counting workflow executions with boto3, every filter.

Usage: visibility.py ENDPOINT_URL

Run by e2e/boto3_test.go (TestBoto3Visibility). Exits 0 after printing OK
when every check passed; on a failed check it exits 1 with the reason.
"""

import datetime
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

DOMAIN = "boto3-visibility"


def check(cond, msg):
    if not cond:
        print("FAIL: " + msg, file=sys.stderr)
        sys.exit(1)


def ids(resp):
    return [i["execution"]["workflowId"] for i in resp["executionInfos"]]


def main(url):
    swf = boto3.client("swf", endpoint_url=url, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="y",
                       config=Config(retries={"max_attempts": 1}))
    swf.register_domain(name=DOMAIN, workflowExecutionRetentionPeriodInDays="1")
    for name in ("alpha", "beta"):
        swf.register_workflow_type(domain=DOMAIN, name=name, version="1",
                                   defaultTaskList={"name": "d"}, defaultChildPolicy="TERMINATE",
                                   defaultExecutionStartToCloseTimeout="3600",
                                   defaultTaskStartToCloseTimeout="60")
    since = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    window = {"oldestDate": since}

    # w1 alpha [red], w2 alpha [blue], w3 beta [red]; w1 completed, w2 terminated.
    runs = {}
    for wid, typ, tag in (("w1", "alpha", "red"), ("w2", "alpha", "blue"), ("w3", "beta", "red")):
        runs[wid] = swf.start_workflow_execution(domain=DOMAIN, workflowId=wid,
                                                 workflowType={"name": typ, "version": "1"},
                                                 tagList=[tag])["runId"]
    task = swf.poll_for_decision_task(domain=DOMAIN, taskList={"name": "d"})
    while task["workflowExecution"]["workflowId"] != "w1":
        # Hand back the others' tasks unanswered: they time out harmlessly.
        task = swf.poll_for_decision_task(domain=DOMAIN, taskList={"name": "d"})
    swf.respond_decision_task_completed(taskToken=task["taskToken"],
                                        decisions=[{"decisionType": "CompleteWorkflowExecution"}])
    swf.terminate_workflow_execution(domain=DOMAIN, workflowId="w2", reason="test")

    open_all = swf.list_open_workflow_executions(domain=DOMAIN, startTimeFilter=window)
    check(ids(open_all) == ["w3"], "open executions: %s" % ids(open_all))
    closed = swf.list_closed_workflow_executions(domain=DOMAIN, startTimeFilter=window)
    check(sorted(ids(closed)) == ["w1", "w2"], "closed executions: %s" % ids(closed))
    closed = swf.list_closed_workflow_executions(domain=DOMAIN, closeTimeFilter=window)
    check(sorted(ids(closed)) == ["w1", "w2"], "closed by close time: %s" % ids(closed))

    def count_open(**kw):
        return swf.count_open_workflow_executions(domain=DOMAIN, startTimeFilter=window, **kw)["count"]

    def count_closed(**kw):
        return swf.count_closed_workflow_executions(domain=DOMAIN, startTimeFilter=window, **kw)["count"]

    def list_closed(**kw):
        return ids(swf.list_closed_workflow_executions(domain=DOMAIN, startTimeFilter=window, **kw))

    check(count_open() == 1, "count open")
    check(count_open(typeFilter={"name": "beta"}) == 1, "count open by type beta")
    check(count_open(typeFilter={"name": "alpha", "version": "1"}) == 0, "count open by type alpha")
    check(count_open(tagFilter={"tag": "red"}) == 1, "count open by tag")
    check(count_open(executionFilter={"workflowId": "w3"}) == 1, "count open by workflow id")
    check(count_closed() == 2, "count closed")
    check(count_closed(closeStatusFilter={"status": "COMPLETED"}) == 1, "count closed COMPLETED")
    check(count_closed(closeStatusFilter={"status": "TERMINATED"}) == 1, "count closed TERMINATED")
    check(count_closed(typeFilter={"name": "alpha"}) == 2, "count closed by type")
    check(count_closed(tagFilter={"tag": "blue"}) == 1, "count closed by tag")
    check(count_closed(executionFilter={"workflowId": "w1"}) == 1, "count closed by workflow id")
    check(list_closed(closeStatusFilter={"status": "TERMINATED"}) == ["w2"], "list closed TERMINATED")
    check(list_closed(tagFilter={"tag": "red"}) == ["w1"], "list closed by tag")
    check(list_closed(typeFilter={"name": "alpha"}) == ["w2", "w1"], "list closed newest first")
    check(list_closed(typeFilter={"name": "alpha"}, reverseOrder=True) == ["w1", "w2"], "list closed reversed")
    later = {"oldestDate": datetime.datetime(2999, 1, 1, tzinfo=datetime.timezone.utc)}
    check(swf.count_open_workflow_executions(domain=DOMAIN, startTimeFilter=later)["count"] == 0, "future window")

    # Paging, one execution a page.
    page = swf.list_closed_workflow_executions(domain=DOMAIN, startTimeFilter=window, maximumPageSize=1)
    seen = ids(page)
    while "nextPageToken" in page:
        page = swf.list_closed_workflow_executions(domain=DOMAIN, startTimeFilter=window, maximumPageSize=1,
                                                   nextPageToken=page["nextPageToken"])
        seen += ids(page)
    check(seen == ["w2", "w1"], "paged: %s" % seen)
    paginator = swf.get_paginator("list_open_workflow_executions")
    got = [i["execution"]["workflowId"] for p in paginator.paginate(domain=DOMAIN, startTimeFilter=window)
           for i in p["executionInfos"]]
    check(got == ["w3"], "paginator: %s" % got)

    # Filters that exclude each other are refused.
    for kw in ({"tagFilter": {"tag": "red"}, "typeFilter": {"name": "alpha"}},
               {"executionFilter": {"workflowId": "w1"}, "closeStatusFilter": {"status": "COMPLETED"}}):
        try:
            swf.count_closed_workflow_executions(domain=DOMAIN, startTimeFilter=window, **kw)
            check(False, "two filters accepted: %s" % kw)
        except ClientError as e:
            check(e.response["Error"]["Code"] == "ValidationException", "code %s" % e.response["Error"]["Code"])
    try:
        swf.count_closed_workflow_executions(domain=DOMAIN, startTimeFilter=window, closeTimeFilter=window)
        check(False, "both time filters accepted")
    except ClientError as e:
        check(e.response["Error"]["Code"] == "ValidationException", "code %s" % e.response["Error"]["Code"])
    print("OK")


if __name__ == "__main__":
    main(sys.argv[1])
