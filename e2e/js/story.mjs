// The README's heartbeat story told with the AWS SDK for JavaScript v3
// (@aws-sdk/client-swf, pinned in package-lock.json) against an openswf
// server.
//
// Usage: node story.mjs ENDPOINT_URL
//
// Run by e2e/js_test.go (TestJavaScriptSDKStory); install the SDK first with
// `npm ci --prefix e2e/js`. It prints one line per step. A check that the
// rest of the story cannot do without stops it at once; every other failed
// check is collected, so one run reports them all. It ends with OK and exit
// status 0, or with the failed checks on stderr and exit status 1.
//
// Besides the story, it checks what a JavaScript caller sees that other
// clients may not: members that are zero or false (previousStartedEventId,
// parentInitiatedEventId, cancelRequested, truncated) arrive as the number 0
// or the boolean false rather than undefined, both through the SDK and in the
// raw JSON; and faults arrive as instances of the SDK's exception classes.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  CountPendingActivityTasksCommand,
  CountPendingDecisionTasksCommand,
  DescribeDomainCommand,
  DescribeWorkflowExecutionCommand,
  DomainAlreadyExistsFault,
  ListTagsForResourceCommand,
  PollForActivityTaskCommand,
  PollForDecisionTaskCommand,
  RecordActivityTaskHeartbeatCommand,
  RegisterActivityTypeCommand,
  RegisterDomainCommand,
  RegisterWorkflowTypeCommand,
  RespondActivityTaskCanceledCommand,
  RespondDecisionTaskCompletedCommand,
  SignalWorkflowExecutionCommand,
  StartWorkflowExecutionCommand,
  SWFClient,
  SWFServiceException,
  UnknownResourceFault,
  WorkflowExecutionAlreadyStartedFault,
  paginateGetWorkflowExecutionHistory,
} from "@aws-sdk/client-swf";

// The README's walkthrough, end to end: the event types of the finished
// history, in order.
const README_HISTORY = [
  "WorkflowExecutionStarted",
  "DecisionTaskScheduled",
  "DecisionTaskStarted",
  "DecisionTaskCompleted",
  "ActivityTaskScheduled",
  "ActivityTaskStarted",
  "WorkflowExecutionSignaled",
  "DecisionTaskScheduled",
  "DecisionTaskStarted",
  "DecisionTaskCompleted",
  "ActivityTaskCancelRequested",
  "ActivityTaskCanceled",
  "DecisionTaskScheduled",
  "DecisionTaskStarted",
  "DecisionTaskCompleted",
  "ActivityTaskScheduled",
  "ActivityTaskStarted",
  "ActivityTaskTimedOut",
  "DecisionTaskScheduled",
  "DecisionTaskStarted",
  "DecisionTaskCompleted",
  "WorkflowExecutionCompleted",
];

const DECIDERS = "decider";
const WORKERS = "workers";
const WORKFLOW_ID = "order-1";

// failures collects the checks that failed but let the story go on.
const failures = [];

function step(msg) {
  console.log(msg);
}

// check records a failed check and goes on.
function check(cond, msg) {
  if (!cond) {
    failures.push(msg);
    console.log("  FAILED CHECK: " + msg);
  }
  return cond;
}

// must stops the story on a failed check: what follows needs it.
function must(cond, msg) {
  if (!cond) {
    finish("cannot go on: " + msg);
  }
}

// finish reports the collected failures (plus a fatal one, if given) and
// exits.
function finish(fatal) {
  if (fatal) {
    failures.push(fatal);
  }
  if (failures.length === 0) {
    console.log("OK");
    process.exit(0);
  }
  console.error(`FAIL: ${failures.length} check(s) failed:`);
  for (const f of failures) {
    console.error("  - " + f);
  }
  process.exit(1);
}

// show renders a value for a failure message, undefined included.
function show(v) {
  return v === undefined ? "undefined" : JSON.stringify(v);
}

// checkMember checks that obj[key] is strictly want (0, false, ...): a member
// the server left out arrives as undefined and fails here.
function checkMember(where, obj, key, want) {
  const got = obj?.[key];
  return check(
    got === want,
    `${where}: ${key} is ${show(got)} (${typeof got}), want ${show(want)} (${typeof want})`,
  );
}

// expectFault runs call, which must throw an instance of cls (an exception
// class the SDK exports) with a message and HTTP status 400.
async function expectFault(what, cls, call) {
  let out;
  try {
    out = await call();
  } catch (err) {
    const ok = check(
      err instanceof cls,
      `${what}: threw ${err?.constructor?.name} (name ${show(err?.name)}, message ${show(err?.message)}), want an instance of ${cls.name}`,
    );
    check(
      err instanceof SWFServiceException,
      `${what}: the error is not an SWFServiceException`,
    );
    check(
      typeof err?.message === "string" && err.message.length > 0,
      `${what}: message is ${show(err?.message)}, want a non-empty string`,
    );
    check(
      err?.$metadata?.httpStatusCode === 400,
      `${what}: $metadata.httpStatusCode is ${show(err?.$metadata?.httpStatusCode)}, want 400`,
    );
    if (ok) {
      step(`  ${what}: ${cls.name}: ${err.message}`);
    }
    return;
  }
  check(false, `${what}: succeeded (${show(out)}), want ${cls.name}`);
}

// raw calls the server without the SDK, with an unsigned JSON request (the
// server accepts those on loopback), and returns the parsed JSON answer: what
// the SDK would hide, such as whether a member was sent at all.
async function raw(url, op, input) {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "X-Amz-Target": "SimpleWorkflowService." + op,
      "Content-Type": "application/x-amz-json-1.0",
    },
    body: JSON.stringify(input),
  });
  const text = await res.text();
  must(res.status === 200, `raw ${op}: HTTP ${res.status}: ${text}`);
  return JSON.parse(text);
}

// checkRawKey checks that the raw JSON object obj has key, with value want.
function checkRawKey(where, obj, key, want) {
  if (check(obj !== null && typeof obj === "object" && Object.hasOwn(obj, key),
    `raw ${where}: no "${key}" key in ${JSON.stringify(obj)}`)) {
    check(obj[key] === want, `raw ${where}: "${key}" is ${show(obj[key])}, want ${show(want)}`);
  }
}

// attrsOf returns the typed attributes of a history event
// (activityTaskTimedOutEventAttributes for ActivityTaskTimedOut, ...).
function attrsOf(ev) {
  const t = ev.eventType;
  return ev[t[0].toLowerCase() + t.slice(1) + "EventAttributes"];
}

async function main(url) {
  const swf = new SWFClient({
    endpoint: url,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "y" },
    maxAttempts: 1,
    // Long polls answer within 60 s.
    requestHandler: { requestTimeout: 70_000, connectionTimeout: 10_000 },
  });
  const send = (cmd) => swf.send(cmd);
  const domain = `js-story-${Date.now()}-${randomBytes(4).toString("hex")}`;

  // Register a domain, a workflow type and an activity type.
  await send(new RegisterDomainCommand({ name: domain, workflowExecutionRetentionPeriodInDays: "1" }));
  await send(new RegisterWorkflowTypeCommand({
    domain, name: "order", version: "1",
    defaultTaskList: { name: DECIDERS }, defaultChildPolicy: "TERMINATE",
    defaultExecutionStartToCloseTimeout: "3600", defaultTaskStartToCloseTimeout: "300",
  }));
  await send(new RegisterActivityTypeCommand({
    domain, name: "charge", version: "1",
    defaultTaskList: { name: WORKERS }, defaultTaskHeartbeatTimeout: "300",
    defaultTaskScheduleToStartTimeout: "300", defaultTaskStartToCloseTimeout: "3600",
    defaultTaskScheduleToCloseTimeout: "3600",
  }));
  step(`registered domain ${domain}, workflow type order/1, activity type charge/1`);
  await expectFault("registering the domain twice", DomainAlreadyExistsFault, () =>
    send(new RegisterDomainCommand({ name: domain, workflowExecutionRetentionPeriodInDays: "1" })),
  );

  const dom = await send(new DescribeDomainCommand({ name: domain }));
  const arn = dom.domainInfo?.arn;
  must(typeof arn === "string" && arn.length > 0, `describeDomain: domainInfo.arn is ${show(arn)}`);
  const tags = await send(new ListTagsForResourceCommand({ resourceArn: arn }));
  if (check(Array.isArray(tags.tags), `listTagsForResource(${arn}): tags is ${show(tags.tags)}, want an array`)) {
    check(tags.tags.length === 0, `listTagsForResource(${arn}): tags ${show(tags.tags)}, want none`);
  }
  step(`listed the domain's tags: ${show(tags.tags)}`);

  // Start the workflow.
  const start = { domain, workflowId: WORKFLOW_ID, workflowType: { name: "order", version: "1" } };
  const { runId } = await send(new StartWorkflowExecutionCommand(start));
  must(typeof runId === "string" && runId.length > 0, `startWorkflowExecution: runId ${show(runId)}`);
  const execution = { workflowId: WORKFLOW_ID, runId };
  step(`started ${WORKFLOW_ID} run ${runId}`);
  await expectFault("starting the same workflowId twice", WorkflowExecutionAlreadyStartedFault, () =>
    send(new StartWorkflowExecutionCommand(start)),
  );
  await expectFault("describing an unknown execution", UnknownResourceFault, () =>
    send(new DescribeWorkflowExecutionCommand({
      domain, execution: { workflowId: "no-such-workflow", runId: "00000000000000000000000000000000" },
    })),
  );

  let n = await send(new CountPendingDecisionTasksCommand({ domain, taskList: { name: DECIDERS } }));
  check(n.count === 1, `countPendingDecisionTasks before the poll: count ${show(n.count)}, want 1`);
  checkMember("countPendingDecisionTasks", n, "truncated", false);
  step(`counted pending decision tasks: ${n.count} (truncated ${show(n.truncated)})`);

  // As the decider, take the first decision task and schedule an activity.
  let dt = await send(new PollForDecisionTaskCommand({ domain, taskList: { name: DECIDERS }, identity: "decider" }));
  must(dt.taskToken, "no first decision task");
  checkMember("first decision task", dt, "previousStartedEventId", 0);
  check(dt.startedEventId === 3, `first decision task: startedEventId ${show(dt.startedEventId)}, want 3`);
  const started = dt.events?.[0];
  must(started?.eventType === "WorkflowExecutionStarted", `first event ${show(started?.eventType)}`);
  checkMember("WorkflowExecutionStarted attributes", started.workflowExecutionStartedEventAttributes,
    "parentInitiatedEventId", 0);
  check(started.eventTimestamp instanceof Date, `WorkflowExecutionStarted: eventTimestamp ${show(started.eventTimestamp)}, want a Date`);
  step(`polled the first decision task (previousStartedEventId ${show(dt.previousStartedEventId)}, ` +
    `parentInitiatedEventId ${show(started.workflowExecutionStartedEventAttributes?.parentInitiatedEventId)})`);
  await send(new RespondDecisionTaskCompletedCommand({
    taskToken: dt.taskToken,
    decisions: [{
      decisionType: "ScheduleActivityTask",
      scheduleActivityTaskDecisionAttributes: { activityId: "charge-1", activityType: { name: "charge", version: "1" } },
    }],
  }));
  step("scheduled charge-1");

  // As a worker, take it and heartbeat.
  let at = await send(new PollForActivityTaskCommand({ domain, taskList: { name: WORKERS }, identity: "worker" }));
  must(at.taskToken, "no activity task for charge-1");
  check(at.activityId === "charge-1", `activity task: activityId ${show(at.activityId)}, want charge-1`);
  const token1 = at.taskToken;
  let hb = await send(new RecordActivityTaskHeartbeatCommand({ taskToken: token1, details: "10%" }));
  checkMember("heartbeat with 10%", hb, "cancelRequested", false);
  step(`heartbeat 10%: cancelRequested ${show(hb.cancelRequested)}`);

  n = await send(new CountPendingActivityTasksCommand({ domain, taskList: { name: WORKERS } }));
  check(n.count === 0, `countPendingActivityTasks: count ${show(n.count)}, want 0`);
  checkMember("countPendingActivityTasks", n, "truncated", false);
  n = await send(new CountPendingDecisionTasksCommand({ domain, taskList: { name: DECIDERS } }));
  check(n.count === 0, `countPendingDecisionTasks: count ${show(n.count)}, want 0`);
  checkMember("countPendingDecisionTasks", n, "truncated", false);
  step(`counted pending tasks: 0 and 0 (truncated ${show(n.truncated)})`);

  let desc = await send(new DescribeWorkflowExecutionCommand({ domain, execution }));
  check(desc.executionInfo?.executionStatus === "OPEN", `describe: executionStatus ${show(desc.executionInfo?.executionStatus)}`);
  checkMember("describeWorkflowExecution executionInfo", desc.executionInfo, "cancelRequested", false);
  check(desc.openCounts?.openActivityTasks === 1, `describe: openActivityTasks ${show(desc.openCounts?.openActivityTasks)}, want 1`);
  step(`described the open execution (cancelRequested ${show(desc.executionInfo?.cancelRequested)})`);

  // The raw JSON of the same answers: the zero and false members are sent.
  const rawCount = await raw(url, "CountPendingActivityTasks", { domain, taskList: { name: WORKERS } });
  checkRawKey("CountPendingActivityTasks", rawCount, "count", 0);
  checkRawKey("CountPendingActivityTasks", rawCount, "truncated", false);
  const rawDesc = await raw(url, "DescribeWorkflowExecution", { domain, execution });
  checkRawKey("DescribeWorkflowExecution executionInfo", rawDesc.executionInfo, "cancelRequested", false);
  // A first decision task of its own, on a task list of its own, for the raw
  // PollForDecisionTask; the decider closes it at once.
  const rawStart = await send(new StartWorkflowExecutionCommand({
    domain, workflowId: "order-raw", workflowType: { name: "order", version: "1" },
    taskList: { name: "raw-decider" },
  }));
  const rawDT = await raw(url, "PollForDecisionTask", { domain, taskList: { name: "raw-decider" } });
  must(typeof rawDT.taskToken === "string", `raw PollForDecisionTask: no task: ${JSON.stringify(rawDT)}`);
  checkRawKey("PollForDecisionTask", rawDT, "previousStartedEventId", 0);
  checkRawKey("PollForDecisionTask WorkflowExecutionStarted attributes",
    rawDT.events?.[0]?.workflowExecutionStartedEventAttributes, "parentInitiatedEventId", 0);
  await send(new RespondDecisionTaskCompletedCommand({
    taskToken: rawDT.taskToken, decisions: [{ decisionType: "CompleteWorkflowExecution" }],
  }));
  const rawDone = await send(new DescribeWorkflowExecutionCommand({
    domain, execution: { workflowId: "order-raw", runId: rawStart.runId },
  }));
  check(rawDone.executionInfo?.closeStatus === "COMPLETED", `order-raw: closeStatus ${show(rawDone.executionInfo?.closeStatus)}`);
  step("checked the raw JSON of CountPendingActivityTasks, DescribeWorkflowExecution and PollForDecisionTask");

  // A signal gives the decider a decision task; it asks to cancel charge-1.
  await send(new SignalWorkflowExecutionCommand({ domain, workflowId: WORKFLOW_ID, signalName: "stop" }));
  dt = await send(new PollForDecisionTaskCommand({ domain, taskList: { name: DECIDERS }, identity: "decider" }));
  must(dt.taskToken, "no decision task after the signal");
  check(dt.previousStartedEventId === 3, `decision task after the signal: previousStartedEventId ${show(dt.previousStartedEventId)}, want 3`);
  check(dt.events?.some((e) => e.eventType === "WorkflowExecutionSignaled" &&
    e.workflowExecutionSignaledEventAttributes?.signalName === "stop"),
  "decision task after the signal: no WorkflowExecutionSignaled stop event");
  await send(new RespondDecisionTaskCompletedCommand({
    taskToken: dt.taskToken,
    decisions: [{
      decisionType: "RequestCancelActivityTask",
      requestCancelActivityTaskDecisionAttributes: { activityId: "charge-1" },
    }],
  }));
  step("signaled; the decider requested to cancel charge-1");

  hb = await send(new RecordActivityTaskHeartbeatCommand({ taskToken: token1, details: "20%" }));
  checkMember("heartbeat with 20% after the cancel request", hb, "cancelRequested", true);
  step(`heartbeat 20%: cancelRequested ${show(hb.cancelRequested)}`);
  await send(new RespondActivityTaskCanceledCommand({ taskToken: token1, details: "stopped at 20%" }));
  step("the worker canceled charge-1");
  await expectFault("heartbeating the canceled task", UnknownResourceFault, () =>
    send(new RecordActivityTaskHeartbeatCommand({ taskToken: token1, details: "too late" })),
  );

  // The cancellation gave the decider a decision task: it schedules charge-2
  // with a 2-second heartbeat timeout (the README's is 5 s; 2 s keeps the
  // test quick, with room for a slow machine between poll and heartbeat).
  dt = await send(new PollForDecisionTaskCommand({ domain, taskList: { name: DECIDERS }, identity: "decider" }));
  must(dt.taskToken, "no decision task after the cancellation");
  const canceled = dt.events?.find((e) => e.eventType === "ActivityTaskCanceled");
  check(canceled?.activityTaskCanceledEventAttributes?.details === "stopped at 20%",
    `ActivityTaskCanceled: ${show(canceled)}`);
  await send(new RespondDecisionTaskCompletedCommand({
    taskToken: dt.taskToken,
    decisions: [{
      decisionType: "ScheduleActivityTask",
      scheduleActivityTaskDecisionAttributes: {
        activityId: "charge-2", activityType: { name: "charge", version: "1" }, heartbeatTimeout: "2",
      },
    }],
  }));
  step("scheduled charge-2 with a 2 s heartbeat timeout");

  at = await send(new PollForActivityTaskCommand({ domain, taskList: { name: WORKERS }, identity: "worker" }));
  must(at.taskToken, "no activity task for charge-2");
  check(at.activityId === "charge-2", `activity task: activityId ${show(at.activityId)}, want charge-2`);
  hb = await send(new RecordActivityTaskHeartbeatCommand({ taskToken: at.taskToken, details: "75%" }));
  checkMember("heartbeat with 75%", hb, "cancelRequested", false);
  step("heartbeat 75%, then silence");

  // The decider waits for the timeout's decision task.
  const deadline = Date.now() + 30_000;
  let timedOut;
  for (;;) {
    must(Date.now() < deadline, "no ActivityTaskTimedOut within 30 s of the last heartbeat");
    dt = await send(new PollForDecisionTaskCommand({ domain, taskList: { name: DECIDERS }, identity: "decider" }));
    if (dt.taskToken) {
      timedOut = dt.events?.find((e) => e.eventType === "ActivityTaskTimedOut");
      must(timedOut, `a decision task without ActivityTaskTimedOut: ${show(dt.events?.map((e) => e.eventType))}`);
      break;
    }
  }
  const tattrs = timedOut.activityTaskTimedOutEventAttributes;
  check(tattrs?.timeoutType === "HEARTBEAT", `ActivityTaskTimedOut: timeoutType ${show(tattrs?.timeoutType)}, want HEARTBEAT`);
  check(tattrs?.details === "75%", `ActivityTaskTimedOut: details ${show(tattrs?.details)}, want "75%"`);
  check(tattrs?.scheduledEventId === 16 && tattrs?.startedEventId === 17,
    `ActivityTaskTimedOut: scheduled/started ${show(tattrs?.scheduledEventId)}/${show(tattrs?.startedEventId)}, want 16/17`);
  step(`charge-2 timed out: ${JSON.stringify(tattrs)}`);

  await send(new RespondDecisionTaskCompletedCommand({
    taskToken: dt.taskToken,
    decisions: [{
      decisionType: "CompleteWorkflowExecution",
      completeWorkflowExecutionDecisionAttributes: { result: "done" },
    }],
  }));
  step("completed the workflow");

  // The whole story is in the history.
  const events = [];
  for await (const page of paginateGetWorkflowExecutionHistory(
    { client: swf, pageSize: 10 }, { domain, execution },
  )) {
    events.push(...(page.events ?? []));
  }
  const ids = events.map((e) => e.eventId);
  check(ids.every((id, i) => id === i + 1), `history: event ids ${show(ids)}, want 1..${ids.length}`);
  try {
    assert.deepEqual(events.map((e) => e.eventType), README_HISTORY);
  } catch (err) {
    check(false, `history differs from the README's:\n${err.message}`);
  }
  const last = attrsOf(events.at(-1));
  check(last?.result === "done", `WorkflowExecutionCompleted: ${show(last)}`);
  const hto = events.find((e) => e.eventType === "ActivityTaskTimedOut");
  check(hto?.activityTaskTimedOutEventAttributes?.timeoutType === "HEARTBEAT" &&
    hto.activityTaskTimedOutEventAttributes.details === "75%",
  `history's ActivityTaskTimedOut: ${show(hto)}`);
  step(`read the history in pages of 10: ${events.length} events, as in the README`);

  desc = await send(new DescribeWorkflowExecutionCommand({ domain, execution }));
  check(desc.executionInfo?.executionStatus === "CLOSED" && desc.executionInfo?.closeStatus === "COMPLETED",
    `describe after the close: ${show(desc.executionInfo?.executionStatus)}/${show(desc.executionInfo?.closeStatus)}`);
  checkMember("describeWorkflowExecution executionInfo after the close", desc.executionInfo, "cancelRequested", false);
  step("described the closed execution");

  finish();
}

if (process.argv.length !== 3) {
  console.error("usage: node story.mjs ENDPOINT_URL");
  process.exit(2);
}
main(process.argv[2]).catch((err) => {
  const status = err?.$metadata?.httpStatusCode;
  finish(`unexpected error: ${err?.name}: ${err?.message}` + (status ? ` (HTTP ${status})` : "") +
    (err?.stack ? `\n${err.stack}` : ""));
});
