--
-- PostgreSQL database dump
--

\restrict JA4tVG031FmhxdfrokSzsTzfHcSIButM3xcNf2YgrqL5nVh8dWaxIdAb87JerXi

-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: openswf_upgrade_fixture; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA openswf_upgrade_fixture;


--
-- Name: openswf_fence(text, integer[], bigint[]); Type: FUNCTION; Schema: openswf_upgrade_fixture; Owner: -
--

CREATE FUNCTION openswf_upgrade_fixture.openswf_fence(p_owner text, p_shards integer[], p_epochs bigint[]) RETURNS void
    LANGUAGE plpgsql
    AS $$
	DECLARE
		lost text;
	BEGIN
		-- Lock the rows before reading them: a takeover (an UPDATE of the
		-- row) waits until this transaction ends, so it cannot slip in
		-- between the check and the writes that follow it.
		PERFORM 1 FROM shard_leases WHERE shard = ANY (p_shards) ORDER BY shard FOR SHARE;
		SELECT string_agg(f.shard || ':' || f.epoch, ',' ORDER BY f.shard, f.epoch) INTO lost
		FROM unnest(p_shards, p_epochs) AS f(shard, epoch)
		LEFT JOIN shard_leases l ON l.shard = f.shard
		WHERE l.owner IS DISTINCT FROM p_owner OR l.epoch IS DISTINCT FROM f.epoch;
		IF lost IS NOT NULL THEN
			RAISE EXCEPTION 'shard lease lost' USING ERRCODE = 'OSWF1', DETAIL = lost;
		END IF;
	END $$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: activities; Type: TABLE; Schema: openswf_upgrade_fixture; Owner: -
--

CREATE TABLE openswf_upgrade_fixture.activities (
    run_id text NOT NULL COLLATE pg_catalog."C",
    scheduled_event_id bigint NOT NULL,
    data text NOT NULL,
    hb_at bigint,
    hb_details bytea
)
WITH (fillfactor='80');


--
-- Name: activity_types; Type: TABLE; Schema: openswf_upgrade_fixture; Owner: -
--

CREATE TABLE openswf_upgrade_fixture.activity_types (
    domain text NOT NULL COLLATE pg_catalog."C",
    name text NOT NULL COLLATE pg_catalog."C",
    version text NOT NULL COLLATE pg_catalog."C",
    data text NOT NULL
);


--
-- Name: domains; Type: TABLE; Schema: openswf_upgrade_fixture; Owner: -
--

CREATE TABLE openswf_upgrade_fixture.domains (
    name text NOT NULL COLLATE pg_catalog."C",
    data text NOT NULL
);


--
-- Name: events; Type: TABLE; Schema: openswf_upgrade_fixture; Owner: -
--

CREATE TABLE openswf_upgrade_fixture.events (
    run_id text NOT NULL COLLATE pg_catalog."C",
    event_id bigint NOT NULL,
    data text NOT NULL
);


--
-- Name: executions; Type: TABLE; Schema: openswf_upgrade_fixture; Owner: -
--

CREATE TABLE openswf_upgrade_fixture.executions (
    run_id text NOT NULL COLLATE pg_catalog."C",
    domain text NOT NULL COLLATE pg_catalog."C",
    workflow_id text NOT NULL COLLATE pg_catalog."C",
    open boolean NOT NULL,
    start_ms bigint NOT NULL,
    close_ms bigint NOT NULL,
    type_name text NOT NULL COLLATE pg_catalog."C",
    type_version text NOT NULL COLLATE pg_catalog."C",
    close_status text NOT NULL COLLATE pg_catalog."C",
    tags text[] NOT NULL COLLATE pg_catalog."C",
    data text NOT NULL,
    shard integer DEFAULT '-1'::integer NOT NULL
)
WITH (fillfactor='80');


--
-- Name: meta; Type: TABLE; Schema: openswf_upgrade_fixture; Owner: -
--

CREATE TABLE openswf_upgrade_fixture.meta (
    key text NOT NULL COLLATE pg_catalog."C",
    value bytea NOT NULL
);


--
-- Name: nodes; Type: TABLE; Schema: openswf_upgrade_fixture; Owner: -
--

CREATE TABLE openswf_upgrade_fixture.nodes (
    id text NOT NULL COLLATE pg_catalog."C",
    address text NOT NULL,
    heartbeat_at timestamp with time zone NOT NULL,
    draining boolean DEFAULT false NOT NULL
);


--
-- Name: schema_migrations; Type: TABLE; Schema: openswf_upgrade_fixture; Owner: -
--

CREATE TABLE openswf_upgrade_fixture.schema_migrations (
    version integer NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: shard_leases; Type: TABLE; Schema: openswf_upgrade_fixture; Owner: -
--

CREATE TABLE openswf_upgrade_fixture.shard_leases (
    shard integer NOT NULL,
    owner text NOT NULL COLLATE pg_catalog."C",
    epoch bigint NOT NULL,
    expires_at timestamp with time zone NOT NULL
);


--
-- Name: timers; Type: TABLE; Schema: openswf_upgrade_fixture; Owner: -
--

CREATE TABLE openswf_upgrade_fixture.timers (
    run_id text NOT NULL COLLATE pg_catalog."C",
    timer_id text NOT NULL COLLATE pg_catalog."C",
    data text NOT NULL
);


--
-- Name: workflow_types; Type: TABLE; Schema: openswf_upgrade_fixture; Owner: -
--

CREATE TABLE openswf_upgrade_fixture.workflow_types (
    domain text NOT NULL COLLATE pg_catalog."C",
    name text NOT NULL COLLATE pg_catalog."C",
    version text NOT NULL COLLATE pg_catalog."C",
    data text NOT NULL
);


--
-- Data for Name: activities; Type: TABLE DATA; Schema: openswf_upgrade_fixture; Owner: -
--

COPY openswf_upgrade_fixture.activities (run_id, scheduled_event_id, data, hb_at, hb_details) FROM stdin;
1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA	6	{"RunID":"1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA","ActivityID":"waiting","ActivityType":{"name":"ship","version":"1"},"ScheduledEventID":6,"ScheduledAt":"2026-01-01T00:00:06Z","Input":"ship me","TaskList":"shipping","Priority":5,"Nonce":0}	\N	\N
1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA	5	{"RunID":"1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA","ActivityID":"hb","ActivityType":{"name":"charge","version":"1"},"ScheduledEventID":5,"ScheduledAt":"2026-01-01T00:00:06Z","StartedEventID":12,"StartedAt":"2026-01-01T00:00:07Z","Identity":"worker","Input":"charge me","TaskList":"workers","Heartbeat":300,"Nonce":13783060673561675786}	1767225608000000000	\\x666978747572652034322520e29c93
1JDRDLKNOt5zuOY2qe2DPrKizGIeO83oSzeWBsXQ7mg	5	{"RunID":"1JDRDLKNOt5zuOY2qe2DPrKizGIeO83oSzeWBsXQ7mg","ActivityID":"eu-act","ActivityType":{"name":"charge","version":"1"},"ScheduledEventID":5,"ScheduledAt":"2026-01-01T00:00:12Z","StartedEventID":6,"StartedAt":"2026-01-01T00:00:13Z","Identity":"worker","Input":"eu activity input","TaskList":"workers","Nonce":3768536236725186464}	\N	\N
\.


--
-- Data for Name: activity_types; Type: TABLE DATA; Schema: openswf_upgrade_fixture; Owner: -
--

COPY openswf_upgrade_fixture.activity_types (domain, name, version, data) FROM stdin;
upgrade	charge	1	{"Domain":"upgrade","Info":{"activityType":{"name":"charge","version":"1"},"creationDate":1767225600,"description":"activity charge","status":"REGISTERED"},"Config":{"defaultTaskHeartbeatTimeout":"NONE","defaultTaskList":{"name":"workers"},"defaultTaskScheduleToCloseTimeout":"NONE","defaultTaskScheduleToStartTimeout":"NONE","defaultTaskStartToCloseTimeout":"NONE"}}
upgrade	ship	1	{"Domain":"upgrade","Info":{"activityType":{"name":"ship","version":"1"},"creationDate":1767225600,"description":"activity ship","status":"REGISTERED"},"Config":{"defaultTaskHeartbeatTimeout":"NONE","defaultTaskList":{"name":"shipping"},"defaultTaskScheduleToCloseTimeout":"NONE","defaultTaskScheduleToStartTimeout":"NONE","defaultTaskStartToCloseTimeout":"NONE"}}
upgrade	refund	1	{"Domain":"upgrade","Info":{"activityType":{"name":"refund","version":"1"},"creationDate":1767225600,"deprecationDate":1767225600,"description":"activity refund","status":"DEPRECATED"},"Config":{"defaultTaskHeartbeatTimeout":"NONE","defaultTaskList":{"name":"workers"},"defaultTaskScheduleToCloseTimeout":"NONE","defaultTaskScheduleToStartTimeout":"NONE","defaultTaskStartToCloseTimeout":"NONE"}}
eu-west-1/upgrade	charge	1	{"Domain":"eu-west-1/upgrade","Info":{"activityType":{"name":"charge","version":"1"},"creationDate":1767225600,"description":"activity charge","status":"REGISTERED"},"Config":{"defaultTaskHeartbeatTimeout":"NONE","defaultTaskList":{"name":"workers"},"defaultTaskScheduleToCloseTimeout":"NONE","defaultTaskScheduleToStartTimeout":"NONE","defaultTaskStartToCloseTimeout":"NONE"}}
\.


--
-- Data for Name: domains; Type: TABLE DATA; Schema: openswf_upgrade_fixture; Owner: -
--

COPY openswf_upgrade_fixture.domains (name, data) FROM stdin;
upgrade	{"Info":{"arn":"arn:aws:swf:us-east-1:123456789012:/domain/upgrade","description":"upgrade fixture in us-east-1","name":"upgrade","status":"REGISTERED"},"Config":{"workflowExecutionRetentionPeriodInDays":"30"},"Tags":null}
eu-west-1/upgrade	{"Info":{"arn":"arn:aws:swf:eu-west-1:123456789012:/domain/upgrade","description":"upgrade fixture in eu-west-1","name":"eu-west-1/upgrade","status":"REGISTERED"},"Config":{"workflowExecutionRetentionPeriodInDays":"7"},"Tags":null}
upgrade-old	{"Info":{"arn":"arn:aws:swf:us-east-1:123456789012:/domain/upgrade-old","name":"upgrade-old","status":"DEPRECATED"},"Config":{"workflowExecutionRetentionPeriodInDays":"1"},"Tags":null}
\.


--
-- Data for Name: events; Type: TABLE DATA; Schema: openswf_upgrade_fixture; Owner: -
--

COPY openswf_upgrade_fixture.events (run_id, event_id, data) FROM stdin;
1JDRDLAV8pNYY9_Pt8dmodC0AKac0XejIlVQykTLiow	1	{"eventId":1,"eventTimestamp":1767225601,"eventType":"WorkflowExecutionStarted","workflowExecutionStartedEventAttributes":{"childPolicy":"TERMINATE","executionStartToCloseTimeout":"2592000","input":"héllo ✓","parentInitiatedEventId":0,"tagList":["done"],"taskList":{"name":"deciders"},"taskStartToCloseTimeout":"3600","workflowType":{"name":"order","version":"1"}}}
1JDRDLAV8pNYY9_Pt8dmodC0AKac0XejIlVQykTLiow	2	{"decisionTaskScheduledEventAttributes":{"scheduleToStartTimeout":"NONE","startToCloseTimeout":"3600","taskList":{"name":"deciders"}},"eventId":2,"eventTimestamp":1767225601,"eventType":"DecisionTaskScheduled"}
1JDRDLAV8pNYY9_Pt8dmodC0AKac0XejIlVQykTLiow	3	{"decisionTaskStartedEventAttributes":{"identity":"decider","scheduledEventId":2},"eventId":3,"eventTimestamp":1767225602,"eventType":"DecisionTaskStarted"}
1JDRDLAV8pNYY9_Pt8dmodC0AKac0XejIlVQykTLiow	4	{"decisionTaskCompletedEventAttributes":{"executionContext":"context of order-completed","scheduledEventId":2,"startedEventId":3},"eventId":4,"eventTimestamp":1767225602,"eventType":"DecisionTaskCompleted"}
1JDRDLAV8pNYY9_Pt8dmodC0AKac0XejIlVQykTLiow	5	{"eventId":5,"eventTimestamp":1767225602,"eventType":"WorkflowExecutionCompleted","workflowExecutionCompletedEventAttributes":{"decisionTaskCompletedEventId":4,"result":"result ✓"}}
1JDRDLCTO4tfmlVnRgyx9M3klKzlrIlAbGe_vJ134qA	1	{"eventId":1,"eventTimestamp":1767225603,"eventType":"WorkflowExecutionStarted","workflowExecutionStartedEventAttributes":{"childPolicy":"TERMINATE","executionStartToCloseTimeout":"2592000","input":"to be terminated","parentInitiatedEventId":0,"taskList":{"name":"deciders"},"taskStartToCloseTimeout":"3600","workflowType":{"name":"order","version":"1"}}}
1JDRDLCTO4tfmlVnRgyx9M3klKzlrIlAbGe_vJ134qA	2	{"decisionTaskScheduledEventAttributes":{"scheduleToStartTimeout":"NONE","startToCloseTimeout":"3600","taskList":{"name":"deciders"}},"eventId":2,"eventTimestamp":1767225603,"eventType":"DecisionTaskScheduled"}
1JDRDLCTO4tfmlVnRgyx9M3klKzlrIlAbGe_vJ134qA	3	{"eventId":3,"eventTimestamp":1767225604,"eventType":"WorkflowExecutionTerminated","workflowExecutionTerminatedEventAttributes":{"cause":"OPERATOR_INITIATED","childPolicy":"TERMINATE","details":"terminated by the fixture","reason":"fixture"}}
1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA	1	{"eventId":1,"eventTimestamp":1767225605,"eventType":"WorkflowExecutionStarted","workflowExecutionStartedEventAttributes":{"childPolicy":"TERMINATE","executionStartToCloseTimeout":"2592000","input":"parent input","parentInitiatedEventId":0,"tagList":["blue","fixture"],"taskList":{"name":"deciders"},"taskStartToCloseTimeout":"3600","workflowType":{"name":"order","version":"1"}}}
1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA	2	{"decisionTaskScheduledEventAttributes":{"scheduleToStartTimeout":"NONE","startToCloseTimeout":"3600","taskList":{"name":"deciders"}},"eventId":2,"eventTimestamp":1767225605,"eventType":"DecisionTaskScheduled"}
1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA	3	{"decisionTaskStartedEventAttributes":{"identity":"decider","scheduledEventId":2},"eventId":3,"eventTimestamp":1767225606,"eventType":"DecisionTaskStarted"}
1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA	4	{"decisionTaskCompletedEventAttributes":{"executionContext":"context of order-open","scheduledEventId":2,"startedEventId":3},"eventId":4,"eventTimestamp":1767225606,"eventType":"DecisionTaskCompleted"}
1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA	5	{"activityTaskScheduledEventAttributes":{"activityId":"hb","activityType":{"name":"charge","version":"1"},"decisionTaskCompletedEventId":4,"heartbeatTimeout":"300","input":"charge me","scheduleToCloseTimeout":"NONE","scheduleToStartTimeout":"NONE","startToCloseTimeout":"NONE","taskList":{"name":"workers"}},"eventId":5,"eventTimestamp":1767225606,"eventType":"ActivityTaskScheduled"}
1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA	6	{"activityTaskScheduledEventAttributes":{"activityId":"waiting","activityType":{"name":"ship","version":"1"},"decisionTaskCompletedEventId":4,"heartbeatTimeout":"NONE","input":"ship me","scheduleToCloseTimeout":"NONE","scheduleToStartTimeout":"NONE","startToCloseTimeout":"NONE","taskList":{"name":"shipping"},"taskPriority":"5"},"eventId":6,"eventTimestamp":1767225606,"eventType":"ActivityTaskScheduled"}
1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA	7	{"eventId":7,"eventTimestamp":1767225606,"eventType":"TimerStarted","timerStartedEventAttributes":{"decisionTaskCompletedEventId":4,"startToFireTimeout":"900","timerId":"t1"}}
1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA	8	{"eventId":8,"eventTimestamp":1767225606,"eventType":"StartChildWorkflowExecutionInitiated","startChildWorkflowExecutionInitiatedEventAttributes":{"childPolicy":"TERMINATE","decisionTaskCompletedEventId":4,"executionStartToCloseTimeout":"2592000","input":"child input","tagList":["child"],"taskList":{"name":"child-deciders"},"taskStartToCloseTimeout":"3600","workflowId":"order-open-child","workflowType":{"name":"child","version":"1"}}}
1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA	9	{"eventId":9,"eventTimestamp":1767225606,"eventType":"MarkerRecorded","markerRecordedEventAttributes":{"decisionTaskCompletedEventId":4,"details":"marker details","markerName":"fixture"}}
1JDRDLFRGJiePanNPt2o2p6klfuRfjJGMbKgQXaDe1w	1	{"eventId":1,"eventTimestamp":1767225606,"eventType":"WorkflowExecutionStarted","workflowExecutionStartedEventAttributes":{"childPolicy":"TERMINATE","executionStartToCloseTimeout":"2592000","input":"child input","parentInitiatedEventId":8,"parentWorkflowExecution":{"runId":"1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA","workflowId":"order-open"},"tagList":["child"],"taskList":{"name":"child-deciders"},"taskStartToCloseTimeout":"3600","workflowType":{"name":"child","version":"1"}}}
1JDRDLFRGJiePanNPt2o2p6klfuRfjJGMbKgQXaDe1w	2	{"decisionTaskScheduledEventAttributes":{"scheduleToStartTimeout":"NONE","startToCloseTimeout":"3600","taskList":{"name":"child-deciders"}},"eventId":2,"eventTimestamp":1767225606,"eventType":"DecisionTaskScheduled"}
1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA	10	{"childWorkflowExecutionStartedEventAttributes":{"initiatedEventId":8,"workflowExecution":{"runId":"1JDRDLFRGJiePanNPt2o2p6klfuRfjJGMbKgQXaDe1w","workflowId":"order-open-child"},"workflowType":{"name":"child","version":"1"}},"eventId":10,"eventTimestamp":1767225606,"eventType":"ChildWorkflowExecutionStarted"}
1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA	11	{"decisionTaskScheduledEventAttributes":{"scheduleToStartTimeout":"NONE","startToCloseTimeout":"3600","taskList":{"name":"deciders"}},"eventId":11,"eventTimestamp":1767225606,"eventType":"DecisionTaskScheduled"}
1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA	12	{"activityTaskStartedEventAttributes":{"identity":"worker","scheduledEventId":5},"eventId":12,"eventTimestamp":1767225607,"eventType":"ActivityTaskStarted"}
1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA	13	{"eventId":13,"eventTimestamp":1767225609,"eventType":"WorkflowExecutionSignaled","workflowExecutionSignaledEventAttributes":{"externalInitiatedEventId":0,"input":"ping","signalName":"poke"}}
1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA	14	{"decisionTaskStartedEventAttributes":{"identity":"decider","scheduledEventId":11},"eventId":14,"eventTimestamp":1767225610,"eventType":"DecisionTaskStarted"}
1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA	15	{"decisionTaskCompletedEventAttributes":{"executionContext":"context of order-open","scheduledEventId":11,"startedEventId":14},"eventId":15,"eventTimestamp":1767225610,"eventType":"DecisionTaskCompleted"}
1JDRDLFRGJiePanNPt2o2p6klfuRfjJGMbKgQXaDe1w	3	{"decisionTaskStartedEventAttributes":{"identity":"decider","scheduledEventId":2},"eventId":3,"eventTimestamp":1767225610,"eventType":"DecisionTaskStarted"}
1JDRDLFRGJiePanNPt2o2p6klfuRfjJGMbKgQXaDe1w	4	{"decisionTaskCompletedEventAttributes":{"executionContext":"context of order-open-child","scheduledEventId":2,"startedEventId":3},"eventId":4,"eventTimestamp":1767225610,"eventType":"DecisionTaskCompleted"}
1JDRDLFRGJiePanNPt2o2p6klfuRfjJGMbKgQXaDe1w	5	{"eventId":5,"eventTimestamp":1767225610,"eventType":"MarkerRecorded","markerRecordedEventAttributes":{"decisionTaskCompletedEventId":4,"details":"child marker","markerName":"child"}}
1JDRDLKNOt5zuOY2qe2DPrKizGIeO83oSzeWBsXQ7mg	1	{"eventId":1,"eventTimestamp":1767225611,"eventType":"WorkflowExecutionStarted","workflowExecutionStartedEventAttributes":{"childPolicy":"TERMINATE","executionStartToCloseTimeout":"2592000","input":"eu input","parentInitiatedEventId":0,"taskList":{"name":"deciders"},"taskStartToCloseTimeout":"3600","workflowType":{"name":"order","version":"1"}}}
1JDRDLKNOt5zuOY2qe2DPrKizGIeO83oSzeWBsXQ7mg	2	{"decisionTaskScheduledEventAttributes":{"scheduleToStartTimeout":"NONE","startToCloseTimeout":"3600","taskList":{"name":"deciders"}},"eventId":2,"eventTimestamp":1767225611,"eventType":"DecisionTaskScheduled"}
1JDRDLKNOt5zuOY2qe2DPrKizGIeO83oSzeWBsXQ7mg	3	{"decisionTaskStartedEventAttributes":{"identity":"decider","scheduledEventId":2},"eventId":3,"eventTimestamp":1767225612,"eventType":"DecisionTaskStarted"}
1JDRDLKNOt5zuOY2qe2DPrKizGIeO83oSzeWBsXQ7mg	4	{"decisionTaskCompletedEventAttributes":{"executionContext":"context of order-eu","scheduledEventId":2,"startedEventId":3},"eventId":4,"eventTimestamp":1767225612,"eventType":"DecisionTaskCompleted"}
1JDRDLKNOt5zuOY2qe2DPrKizGIeO83oSzeWBsXQ7mg	5	{"activityTaskScheduledEventAttributes":{"activityId":"eu-act","activityType":{"name":"charge","version":"1"},"decisionTaskCompletedEventId":4,"heartbeatTimeout":"NONE","input":"eu activity input","scheduleToCloseTimeout":"NONE","scheduleToStartTimeout":"NONE","startToCloseTimeout":"NONE","taskList":{"name":"workers"}},"eventId":5,"eventTimestamp":1767225612,"eventType":"ActivityTaskScheduled"}
1JDRDLKNOt5zuOY2qe2DPrKizGIeO83oSzeWBsXQ7mg	6	{"activityTaskStartedEventAttributes":{"identity":"worker","scheduledEventId":5},"eventId":6,"eventTimestamp":1767225613,"eventType":"ActivityTaskStarted"}
1JDRDLNLG3ERNGK_1i9-EV2YdflST64CGhMN29hIk_g	1	{"eventId":1,"eventTimestamp":1767225614,"eventType":"WorkflowExecutionStarted","workflowExecutionStartedEventAttributes":{"childPolicy":"TERMINATE","executionStartToCloseTimeout":"2592000","input":"eu input 2","parentInitiatedEventId":0,"tagList":["failing"],"taskList":{"name":"deciders"},"taskStartToCloseTimeout":"3600","workflowType":{"name":"order","version":"1"}}}
1JDRDLNLG3ERNGK_1i9-EV2YdflST64CGhMN29hIk_g	2	{"decisionTaskScheduledEventAttributes":{"scheduleToStartTimeout":"NONE","startToCloseTimeout":"3600","taskList":{"name":"deciders"}},"eventId":2,"eventTimestamp":1767225614,"eventType":"DecisionTaskScheduled"}
1JDRDLNLG3ERNGK_1i9-EV2YdflST64CGhMN29hIk_g	3	{"decisionTaskStartedEventAttributes":{"identity":"decider","scheduledEventId":2},"eventId":3,"eventTimestamp":1767225615,"eventType":"DecisionTaskStarted"}
1JDRDLNLG3ERNGK_1i9-EV2YdflST64CGhMN29hIk_g	4	{"decisionTaskCompletedEventAttributes":{"executionContext":"context of order-eu-failed","scheduledEventId":2,"startedEventId":3},"eventId":4,"eventTimestamp":1767225615,"eventType":"DecisionTaskCompleted"}
1JDRDLNLG3ERNGK_1i9-EV2YdflST64CGhMN29hIk_g	5	{"eventId":5,"eventTimestamp":1767225615,"eventType":"WorkflowExecutionFailed","workflowExecutionFailedEventAttributes":{"decisionTaskCompletedEventId":4,"details":"fixture details","reason":"fixture reason"}}
\.


--
-- Data for Name: executions; Type: TABLE DATA; Schema: openswf_upgrade_fixture; Owner: -
--

COPY openswf_upgrade_fixture.executions (run_id, domain, workflow_id, open, start_ms, close_ms, type_name, type_version, close_status, tags, data, shard) FROM stdin;
1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA	upgrade	order-open	t	1767225605000	0	order	1		{"\\"blue\\"","\\"fixture\\""}	{"Domain":"upgrade","Info":{"cancelRequested":false,"execution":{"runId":"1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA","workflowId":"order-open"},"executionStatus":"OPEN","startTimestamp":1767225605,"tagList":["blue","fixture"],"workflowType":{"name":"order","version":"1"}},"Config":{"childPolicy":"TERMINATE","executionStartToCloseTimeout":"2592000","taskList":{"name":"deciders"},"taskStartToCloseTimeout":"3600"},"NextEventID":16,"PreviousStartedEventID":14,"LatestExecutionContext":"context of order-open","LatestActivityTaskAt":"2026-01-01T00:00:06Z","DecisionScheduledAt":"2026-01-01T00:00:06Z","DecisionStartedAt":"2026-01-01T00:00:10Z","DecisionAttempt":2,"DecisionTaskList":"deciders","ExpiresAt":"2026-01-31T00:00:05Z","Children":{"1JDRDLFRGJiePanNPt2o2p6klfuRfjJGMbKgQXaDe1w":{"WorkflowID":"order-open-child","WorkflowType":{"name":"child","version":"1"},"InitiatedEventID":8,"StartedEventID":10}}}	62
1JDRDLAV8pNYY9_Pt8dmodC0AKac0XejIlVQykTLiow	upgrade	order-completed	f	1767225601000	1767225602000	order	1	COMPLETED	{"\\"done\\""}	{"Domain":"upgrade","Info":{"cancelRequested":false,"closeStatus":"COMPLETED","closeTimestamp":1767225602,"execution":{"runId":"1JDRDLAV8pNYY9_Pt8dmodC0AKac0XejIlVQykTLiow","workflowId":"order-completed"},"executionStatus":"CLOSED","startTimestamp":1767225601,"tagList":["done"],"workflowType":{"name":"order","version":"1"}},"Config":{"childPolicy":"TERMINATE","executionStartToCloseTimeout":"2592000","taskList":{"name":"deciders"},"taskStartToCloseTimeout":"3600"},"NextEventID":6,"PreviousStartedEventID":3,"LatestExecutionContext":"context of order-completed","DecisionScheduledAt":"2026-01-01T00:00:01Z","DecisionStartedAt":"2026-01-01T00:00:02Z","DecisionAttempt":1,"DecisionTaskList":"deciders","ExpiresAt":"2026-01-31T00:00:01Z","ClosedByEventID":5}	19
1JDRDLCTO4tfmlVnRgyx9M3klKzlrIlAbGe_vJ134qA	upgrade	order-terminated	f	1767225603000	1767225604000	order	1	TERMINATED	{}	{"Domain":"upgrade","Info":{"cancelRequested":false,"closeStatus":"TERMINATED","closeTimestamp":1767225604,"execution":{"runId":"1JDRDLCTO4tfmlVnRgyx9M3klKzlrIlAbGe_vJ134qA","workflowId":"order-terminated"},"executionStatus":"CLOSED","startTimestamp":1767225603,"workflowType":{"name":"order","version":"1"}},"Config":{"childPolicy":"TERMINATE","executionStartToCloseTimeout":"2592000","taskList":{"name":"deciders"},"taskStartToCloseTimeout":"3600"},"NextEventID":4,"DecisionScheduledAt":"2026-01-01T00:00:03Z","DecisionTaskList":"deciders","ExpiresAt":"2026-01-31T00:00:03Z","ClosedByEventID":3}	55
1JDRDLFRGJiePanNPt2o2p6klfuRfjJGMbKgQXaDe1w	upgrade	order-open-child	t	1767225606000	0	child	1		{"\\"child\\""}	{"Domain":"upgrade","Info":{"cancelRequested":false,"execution":{"runId":"1JDRDLFRGJiePanNPt2o2p6klfuRfjJGMbKgQXaDe1w","workflowId":"order-open-child"},"executionStatus":"OPEN","parent":{"runId":"1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA","workflowId":"order-open"},"startTimestamp":1767225606,"tagList":["child"],"workflowType":{"name":"child","version":"1"}},"Config":{"childPolicy":"TERMINATE","executionStartToCloseTimeout":"2592000","taskList":{"name":"child-deciders"},"taskStartToCloseTimeout":"3600"},"NextEventID":6,"PreviousStartedEventID":3,"LatestExecutionContext":"context of order-open-child","DecisionScheduledAt":"2026-01-01T00:00:06Z","DecisionStartedAt":"2026-01-01T00:00:10Z","DecisionAttempt":1,"DecisionTaskList":"child-deciders","ExpiresAt":"2026-01-31T00:00:06Z","ParentInitiatedEventID":8}	25
1JDRDLKNOt5zuOY2qe2DPrKizGIeO83oSzeWBsXQ7mg	eu-west-1/upgrade	order-eu	t	1767225611000	0	order	1		{}	{"Domain":"eu-west-1/upgrade","Info":{"cancelRequested":false,"execution":{"runId":"1JDRDLKNOt5zuOY2qe2DPrKizGIeO83oSzeWBsXQ7mg","workflowId":"order-eu"},"executionStatus":"OPEN","startTimestamp":1767225611,"workflowType":{"name":"order","version":"1"}},"Config":{"childPolicy":"TERMINATE","executionStartToCloseTimeout":"2592000","taskList":{"name":"deciders"},"taskStartToCloseTimeout":"3600"},"NextEventID":7,"PreviousStartedEventID":3,"LatestExecutionContext":"context of order-eu","LatestActivityTaskAt":"2026-01-01T00:00:12Z","DecisionScheduledAt":"2026-01-01T00:00:11Z","DecisionStartedAt":"2026-01-01T00:00:12Z","DecisionAttempt":1,"DecisionTaskList":"deciders","ExpiresAt":"2026-01-31T00:00:11Z"}	17
1JDRDLNLG3ERNGK_1i9-EV2YdflST64CGhMN29hIk_g	eu-west-1/upgrade	order-eu-failed	f	1767225614000	1767225615000	order	1	FAILED	{"\\"failing\\""}	{"Domain":"eu-west-1/upgrade","Info":{"cancelRequested":false,"closeStatus":"FAILED","closeTimestamp":1767225615,"execution":{"runId":"1JDRDLNLG3ERNGK_1i9-EV2YdflST64CGhMN29hIk_g","workflowId":"order-eu-failed"},"executionStatus":"CLOSED","startTimestamp":1767225614,"tagList":["failing"],"workflowType":{"name":"order","version":"1"}},"Config":{"childPolicy":"TERMINATE","executionStartToCloseTimeout":"2592000","taskList":{"name":"deciders"},"taskStartToCloseTimeout":"3600"},"NextEventID":6,"PreviousStartedEventID":3,"LatestExecutionContext":"context of order-eu-failed","DecisionScheduledAt":"2026-01-01T00:00:14Z","DecisionStartedAt":"2026-01-01T00:00:15Z","DecisionAttempt":1,"DecisionTaskList":"deciders","ExpiresAt":"2026-01-31T00:00:14Z","ClosedByEventID":5}	9
\.


--
-- Data for Name: meta; Type: TABLE DATA; Schema: openswf_upgrade_fixture; Owner: -
--

COPY openswf_upgrade_fixture.meta (key, value) FROM stdin;
token_secret	\\xa8d7840f2da52cd83b2d895f61b2dcecc89d5bcd158c4a64baedde784d5e1609
\.


--
-- Data for Name: nodes; Type: TABLE DATA; Schema: openswf_upgrade_fixture; Owner: -
--

COPY openswf_upgrade_fixture.nodes (id, address, heartbeat_at, draining) FROM stdin;
\.


--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: openswf_upgrade_fixture; Owner: -
--

COPY openswf_upgrade_fixture.schema_migrations (version, applied_at) FROM stdin;
1	2026-12-01 16:08:56.617545+00
2	2026-12-01 16:08:56.845621+00
3	2026-12-01 16:08:56.857497+00
4	2026-12-01 16:08:56.865512+00
\.


--
-- Data for Name: shard_leases; Type: TABLE DATA; Schema: openswf_upgrade_fixture; Owner: -
--

COPY openswf_upgrade_fixture.shard_leases (shard, owner, epoch, expires_at) FROM stdin;
\.


--
-- Data for Name: timers; Type: TABLE DATA; Schema: openswf_upgrade_fixture; Owner: -
--

COPY openswf_upgrade_fixture.timers (run_id, timer_id, data) FROM stdin;
1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA	t1	{"RunID":"1JDRDLES8eOv0QvhaQBTvlc5dPSSQh57457uSjJf7jA","TimerID":"t1","StartedEventID":7,"FireAt":"2026-01-01T00:15:06Z","Control":""}
\.


--
-- Data for Name: workflow_types; Type: TABLE DATA; Schema: openswf_upgrade_fixture; Owner: -
--

COPY openswf_upgrade_fixture.workflow_types (domain, name, version, data) FROM stdin;
upgrade	order	1	{"Domain":"upgrade","Info":{"creationDate":1767225600,"description":"workflow order","status":"REGISTERED","workflowType":{"name":"order","version":"1"}},"Config":{"defaultChildPolicy":"TERMINATE","defaultExecutionStartToCloseTimeout":"2592000","defaultTaskList":{"name":"deciders"},"defaultTaskStartToCloseTimeout":"3600"}}
upgrade	child	1	{"Domain":"upgrade","Info":{"creationDate":1767225600,"description":"workflow child","status":"REGISTERED","workflowType":{"name":"child","version":"1"}},"Config":{"defaultChildPolicy":"TERMINATE","defaultExecutionStartToCloseTimeout":"2592000","defaultTaskList":{"name":"child-deciders"},"defaultTaskStartToCloseTimeout":"3600"}}
upgrade	order	0	{"Domain":"upgrade","Info":{"creationDate":1767225600,"deprecationDate":1767225600,"description":"workflow order","status":"DEPRECATED","workflowType":{"name":"order","version":"0"}},"Config":{"defaultChildPolicy":"TERMINATE","defaultExecutionStartToCloseTimeout":"2592000","defaultTaskList":{"name":"deciders"},"defaultTaskStartToCloseTimeout":"3600"}}
eu-west-1/upgrade	order	1	{"Domain":"eu-west-1/upgrade","Info":{"creationDate":1767225600,"description":"workflow order","status":"REGISTERED","workflowType":{"name":"order","version":"1"}},"Config":{"defaultChildPolicy":"TERMINATE","defaultExecutionStartToCloseTimeout":"2592000","defaultTaskList":{"name":"deciders"},"defaultTaskStartToCloseTimeout":"3600"}}
\.


--
-- Name: activities activities_pkey; Type: CONSTRAINT; Schema: openswf_upgrade_fixture; Owner: -
--

ALTER TABLE ONLY openswf_upgrade_fixture.activities
    ADD CONSTRAINT activities_pkey PRIMARY KEY (run_id, scheduled_event_id);


--
-- Name: activity_types activity_types_pkey; Type: CONSTRAINT; Schema: openswf_upgrade_fixture; Owner: -
--

ALTER TABLE ONLY openswf_upgrade_fixture.activity_types
    ADD CONSTRAINT activity_types_pkey PRIMARY KEY (domain, name, version);


--
-- Name: domains domains_pkey; Type: CONSTRAINT; Schema: openswf_upgrade_fixture; Owner: -
--

ALTER TABLE ONLY openswf_upgrade_fixture.domains
    ADD CONSTRAINT domains_pkey PRIMARY KEY (name);


--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: openswf_upgrade_fixture; Owner: -
--

ALTER TABLE ONLY openswf_upgrade_fixture.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (run_id, event_id);


--
-- Name: executions executions_pkey; Type: CONSTRAINT; Schema: openswf_upgrade_fixture; Owner: -
--

ALTER TABLE ONLY openswf_upgrade_fixture.executions
    ADD CONSTRAINT executions_pkey PRIMARY KEY (run_id);


--
-- Name: meta meta_pkey; Type: CONSTRAINT; Schema: openswf_upgrade_fixture; Owner: -
--

ALTER TABLE ONLY openswf_upgrade_fixture.meta
    ADD CONSTRAINT meta_pkey PRIMARY KEY (key);


--
-- Name: nodes nodes_pkey; Type: CONSTRAINT; Schema: openswf_upgrade_fixture; Owner: -
--

ALTER TABLE ONLY openswf_upgrade_fixture.nodes
    ADD CONSTRAINT nodes_pkey PRIMARY KEY (id);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: openswf_upgrade_fixture; Owner: -
--

ALTER TABLE ONLY openswf_upgrade_fixture.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: shard_leases shard_leases_pkey; Type: CONSTRAINT; Schema: openswf_upgrade_fixture; Owner: -
--

ALTER TABLE ONLY openswf_upgrade_fixture.shard_leases
    ADD CONSTRAINT shard_leases_pkey PRIMARY KEY (shard);


--
-- Name: timers timers_pkey; Type: CONSTRAINT; Schema: openswf_upgrade_fixture; Owner: -
--

ALTER TABLE ONLY openswf_upgrade_fixture.timers
    ADD CONSTRAINT timers_pkey PRIMARY KEY (run_id, timer_id);


--
-- Name: workflow_types workflow_types_pkey; Type: CONSTRAINT; Schema: openswf_upgrade_fixture; Owner: -
--

ALTER TABLE ONLY openswf_upgrade_fixture.workflow_types
    ADD CONSTRAINT workflow_types_pkey PRIMARY KEY (domain, name, version);


--
-- Name: executions_by_close; Type: INDEX; Schema: openswf_upgrade_fixture; Owner: -
--

CREATE INDEX executions_by_close ON openswf_upgrade_fixture.executions USING btree (domain, open, close_ms, run_id);


--
-- Name: executions_by_start; Type: INDEX; Schema: openswf_upgrade_fixture; Owner: -
--

CREATE INDEX executions_by_start ON openswf_upgrade_fixture.executions USING btree (domain, open, start_ms, run_id);


--
-- Name: executions_by_workflow; Type: INDEX; Schema: openswf_upgrade_fixture; Owner: -
--

CREATE INDEX executions_by_workflow ON openswf_upgrade_fixture.executions USING btree (domain, workflow_id, start_ms);


--
-- Name: executions_open_by_shard; Type: INDEX; Schema: openswf_upgrade_fixture; Owner: -
--

CREATE INDEX executions_open_by_shard ON openswf_upgrade_fixture.executions USING btree (shard, run_id) WHERE open;


--
-- PostgreSQL database dump complete
--

\unrestrict JA4tVG031FmhxdfrokSzsTzfHcSIButM3xcNf2YgrqL5nVh8dWaxIdAb87JerXi

