package engine

import (
	"context"
	"fmt"

	"github.com/openswf/openswf/internal/auth"
	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/swf"
)

// Authorize decides whether the caller attached to ctx (auth.WithPrincipal)
// may make the call op with input in, as IAM would: the action
// swf:<op>, the domain's ARN as resource, and the condition keys AWS defines
// for the operation. The wire layer calls it before the operation. Calls
// that carry a task token are authorized inside the operation instead,
// against the token's domain, once the token is verified.
//
// A ctx with no caller is allowed: the wire layer always attaches one
// (auth.AllowAll when the server runs without credentials), so only
// in-process callers reach the engine without.
//
// Faults: OperationNotPermittedFault.
func (e *Engine) Authorize(ctx context.Context, op string, in any) error {
	a, ok := auth.FromContext(ctx)
	if !ok || a == auth.AllowAll {
		return nil
	}
	domain, keys, err := e.authQuestion(ctx, in)
	if err != nil {
		return err
	}
	if domain == "" {
		return nil // decided inside the operation
	}
	return e.check(a, "swf:"+op, domain, keys)
}

// check asks a about action on domain; a domain's tags are added as
// aws:ResourceTag keys.
func (e *Engine) check(a auth.Authorizer, action, domain string, keys auth.Context) error {
	resource := e.domainARN(domain)
	if keys == nil {
		keys = auth.Context{}
	}
	e.regMu.RLock()
	if d := e.domains[domain]; d != nil {
		for _, t := range d.Tags {
			keys[auth.KeyResourceTag(t.Key)] = []string{t.Value}
		}
	}
	e.regMu.RUnlock()
	if !a.Allowed(action, resource, keys) {
		return swf.NewFault(swf.OperationNotPermittedFault, "User: %s is not authorized to perform: %s on resource: %s", e.callerARN(a), action, resource)
	}
	return nil
}

// callerARN names the caller in an OperationNotPermittedFault, as IAM's
// denials do: the user's ARN, or anonymous for a caller with no name.
func (e *Engine) callerARN(a auth.Authorizer) string {
	if name := auth.PrincipalName(a); name != "" {
		return "arn:aws:iam::" + e.cfg.AccountID + ":user/" + name
	}
	return "anonymous"
}

// authorizeDomain checks a call whose domain comes from a verified token.
// A token of another region's domain is unknown in this one.
func (e *Engine) authorizeDomain(ctx context.Context, op, domain string) error {
	if !e.inRegion(ctx, domain) {
		return swf.Unknown("Unknown task token: it belongs to a domain of another region")
	}
	a, ok := auth.FromContext(ctx)
	if !ok || a == auth.AllowAll {
		return nil
	}
	return e.check(a, "swf:"+op, domain, nil)
}

// authQuestion returns the domain and condition keys of an API call. An
// empty domain means the operation decides (task-token calls). A type this
// switch does not know is refused, so a new operation cannot slip through
// unchecked.
func (e *Engine) authQuestion(ctx context.Context, in any) (string, auth.Context, error) {
	k := auth.Context{}
	set := func(key, v string) {
		if v != "" {
			k[key] = []string{v}
		}
	}
	tags := func(list []string) {
		for i, t := range list {
			set(auth.KeyTagListMember(i), t)
		}
	}
	requestTags := func(list []shape.ResourceTag) {
		for _, t := range list {
			k[auth.KeyRequestTag(t.Key)] = []string{t.Value}
			k[auth.KeyTagKeys] = append(k[auth.KeyTagKeys], t.Key)
		}
	}
	atype := func(t *shape.ActivityType) {
		if t == nil {
			return
		}
		set(auth.KeyActivityTypeName, t.Name)
		set(auth.KeyActivityTypeVersion, t.Version)
	}
	wtype := func(t *shape.WorkflowType) {
		if t == nil {
			return
		}
		set(auth.KeyWorkflowTypeName, t.Name)
		set(auth.KeyWorkflowTypeVersion, t.Version)
	}
	filters := func(tag *shape.TagFilter, typ *shape.WorkflowTypeFilter) {
		if tag != nil {
			set(auth.KeyTagFilterTag, tag.Tag)
		}
		if typ != nil {
			set(auth.KeyTypeFilterName, typ.Name)
			set(auth.KeyTypeFilterVersion, typ.Version)
		}
	}
	taskList := func(tl *shape.TaskList) {
		if tl != nil {
			set(auth.KeyTaskListName, tl.Name)
		}
	}
	switch in := in.(type) {
	case *shape.RecordActivityTaskHeartbeatInput, *shape.RespondActivityTaskCompletedInput,
		*shape.RespondActivityTaskFailedInput, *shape.RespondActivityTaskCanceledInput,
		*shape.RespondDecisionTaskCompletedInput:
		return "", nil, nil
	case *shape.RegisterDomainInput:
		requestTags(in.Tags)
		return in.Name, k, nil
	case *shape.DescribeDomainInput:
		return in.Name, k, nil
	case *shape.DeprecateDomainInput:
		return in.Name, k, nil
	case *shape.UndeprecateDomainInput:
		return in.Name, k, nil
	case *shape.ListDomainsInput:
		return domainKey(e.region(ctx), "*"), k, nil
	case *shape.TagResourceInput:
		requestTags(in.Tags)
		return e.arnDomain(ctx, in.ResourceArn), k, nil
	case *shape.UntagResourceInput:
		k[auth.KeyTagKeys] = in.TagKeys
		return e.arnDomain(ctx, in.ResourceArn), k, nil
	case *shape.ListTagsForResourceInput:
		return e.arnDomain(ctx, in.ResourceArn), k, nil
	case *shape.RegisterActivityTypeInput:
		set(auth.KeyName, in.Name)
		set(auth.KeyVersion, in.Version)
		if in.DefaultTaskList != nil {
			set(auth.KeyDefaultTaskListName, in.DefaultTaskList.Name)
		}
		return in.Domain, k, nil
	case *shape.RegisterWorkflowTypeInput:
		set(auth.KeyName, in.Name)
		set(auth.KeyVersion, in.Version)
		if in.DefaultTaskList != nil {
			set(auth.KeyDefaultTaskListName, in.DefaultTaskList.Name)
		}
		return in.Domain, k, nil
	case *shape.DescribeActivityTypeInput:
		atype(in.ActivityType)
		return in.Domain, k, nil
	case *shape.DeprecateActivityTypeInput:
		atype(in.ActivityType)
		return in.Domain, k, nil
	case *shape.UndeprecateActivityTypeInput:
		atype(in.ActivityType)
		return in.Domain, k, nil
	case *shape.DeleteActivityTypeInput:
		atype(in.ActivityType)
		return in.Domain, k, nil
	case *shape.DescribeWorkflowTypeInput:
		wtype(in.WorkflowType)
		return in.Domain, k, nil
	case *shape.DeprecateWorkflowTypeInput:
		wtype(in.WorkflowType)
		return in.Domain, k, nil
	case *shape.UndeprecateWorkflowTypeInput:
		wtype(in.WorkflowType)
		return in.Domain, k, nil
	case *shape.DeleteWorkflowTypeInput:
		wtype(in.WorkflowType)
		return in.Domain, k, nil
	case *shape.ListActivityTypesInput:
		return in.Domain, k, nil
	case *shape.ListWorkflowTypesInput:
		return in.Domain, k, nil
	case *shape.StartWorkflowExecutionInput:
		wtype(in.WorkflowType)
		tags(in.TagList)
		tl := in.TaskList
		if tl == nil && in.WorkflowType != nil { // the key holds the task list that will be used
			e.regMu.RLock()
			if t := e.wtypes[store.TypeKey{Domain: in.Domain, Name: in.WorkflowType.Name, Version: in.WorkflowType.Version}]; t != nil {
				tl = t.Config.DefaultTaskList
			}
			e.regMu.RUnlock()
		}
		taskList(tl)
		return in.Domain, k, nil
	case *shape.PollForActivityTaskInput:
		taskList(in.TaskList)
		return in.Domain, k, nil
	case *shape.PollForDecisionTaskInput:
		taskList(in.TaskList)
		return in.Domain, k, nil
	case *shape.CountPendingActivityTasksInput:
		taskList(in.TaskList)
		return in.Domain, k, nil
	case *shape.CountPendingDecisionTasksInput:
		taskList(in.TaskList)
		return in.Domain, k, nil
	case *shape.ListOpenWorkflowExecutionsInput:
		filters(in.TagFilter, in.TypeFilter)
		return in.Domain, k, nil
	case *shape.ListClosedWorkflowExecutionsInput:
		filters(in.TagFilter, in.TypeFilter)
		return in.Domain, k, nil
	case *shape.CountOpenWorkflowExecutionsInput:
		filters(in.TagFilter, in.TypeFilter)
		return in.Domain, k, nil
	case *shape.CountClosedWorkflowExecutionsInput:
		filters(in.TagFilter, in.TypeFilter)
		return in.Domain, k, nil
	case *shape.DescribeWorkflowExecutionInput:
		return in.Domain, k, nil
	case *shape.GetWorkflowExecutionHistoryInput:
		return in.Domain, k, nil
	case *shape.SignalWorkflowExecutionInput:
		return in.Domain, k, nil
	case *shape.RequestCancelWorkflowExecutionInput:
		return in.Domain, k, nil
	case *shape.TerminateWorkflowExecutionInput:
		return in.Domain, k, nil
	}
	return "", nil, swf.NewFault(swf.OperationNotPermittedFault, "no authorization rule for %T", in)
}

// arnDomain is the domain an ARN names, or a name no domain has (so the
// check runs against the ARN as given and the operation then reports the
// unknown resource).
func (e *Engine) arnDomain(ctx context.Context, arn string) string {
	if d, err := e.domainOfARN(ctx, arn); err == nil {
		return d
	}
	return fmt.Sprintf("\x00%s", arn)
}

// decisionAllowed asks whether the decider may make decision d, with the
// condition keys AWS defines for it.
func (t *txn) decisionAllowed(a auth.Authorizer, d *shape.Decision) bool {
	if a == nil || a == auth.AllowAll {
		return true
	}
	k := auth.Context{}
	set := func(key, v string) {
		if v != "" {
			k[key] = []string{v}
		}
	}
	tags := func(list []string) {
		for i, tag := range list {
			set(auth.KeyTagListMember(i), tag)
		}
	}
	r := t.x.e
	switch d.DecisionType {
	case shape.DecisionTypeScheduleActivityTask:
		at := d.ScheduleActivityTaskDecisionAttributes
		set(auth.KeyActivityTypeName, at.ActivityType.Name)
		set(auth.KeyActivityTypeVersion, at.ActivityType.Version)
		tl := at.TaskList
		if tl == nil {
			t.eng.regMu.RLock()
			if typ := t.eng.atypes[store.TypeKey{Domain: r.Domain, Name: at.ActivityType.Name, Version: at.ActivityType.Version}]; typ != nil {
				tl = typ.Config.DefaultTaskList
			}
			t.eng.regMu.RUnlock()
		}
		if tl != nil {
			set(auth.KeyTaskListName, tl.Name)
		}
	case shape.DecisionTypeStartChildWorkflowExecution:
		c := d.StartChildWorkflowExecutionDecisionAttributes
		set(auth.KeyWorkflowTypeName, c.WorkflowType.Name)
		set(auth.KeyWorkflowTypeVersion, c.WorkflowType.Version)
		tl := c.TaskList
		if tl == nil {
			t.eng.regMu.RLock()
			if typ := t.eng.wtypes[store.TypeKey{Domain: r.Domain, Name: c.WorkflowType.Name, Version: c.WorkflowType.Version}]; typ != nil {
				tl = typ.Config.DefaultTaskList
			}
			t.eng.regMu.RUnlock()
		}
		if tl != nil {
			set(auth.KeyTaskListName, tl.Name)
		}
		tags(c.TagList)
		// AWS's documentation also spells the key swf:tagList.N here.
		for i, tag := range c.TagList {
			set(fmt.Sprintf("swf:tagList.%d", i), tag)
		}
	case shape.DecisionTypeContinueAsNewWorkflowExecution:
		c := d.ContinueAsNewWorkflowExecutionDecisionAttributes
		set(auth.KeyWorkflowTypeVersion, pick(c.WorkflowTypeVersion, r.Info.WorkflowType.Version))
		tl := c.TaskList
		if tl == nil {
			tl = r.Config.TaskList
		}
		set(auth.KeyTaskListName, tl.Name)
		tags(c.TagList)
	}
	return t.eng.check(a, "swf:"+string(d.DecisionType), r.Domain, k) == nil
}

// notPermitted records the ...Failed event of a decision the decider may
// not make, with cause OPERATION_NOT_PERMITTED.
func (d *decider) notPermitted(dec *shape.Decision) {
	t, id := d.t, d.completedID
	const cause = "OPERATION_NOT_PERMITTED"
	switch dec.DecisionType {
	case shape.DecisionTypeScheduleActivityTask:
		a := dec.ScheduleActivityTaskDecisionAttributes
		t.event(shape.EventTypeScheduleActivityTaskFailed).ScheduleActivityTaskFailedEventAttributes = &shape.ScheduleActivityTaskFailedEventAttributes{
			ActivityId: a.ActivityId, ActivityType: a.ActivityType, Cause: cause, DecisionTaskCompletedEventId: id}
	case shape.DecisionTypeRequestCancelActivityTask:
		t.event(shape.EventTypeRequestCancelActivityTaskFailed).RequestCancelActivityTaskFailedEventAttributes = &shape.RequestCancelActivityTaskFailedEventAttributes{
			ActivityId: dec.RequestCancelActivityTaskDecisionAttributes.ActivityId, Cause: cause, DecisionTaskCompletedEventId: id}
	case shape.DecisionTypeStartTimer:
		t.event(shape.EventTypeStartTimerFailed).StartTimerFailedEventAttributes = &shape.StartTimerFailedEventAttributes{
			TimerId: dec.StartTimerDecisionAttributes.TimerId, Cause: cause, DecisionTaskCompletedEventId: id}
	case shape.DecisionTypeCancelTimer:
		t.event(shape.EventTypeCancelTimerFailed).CancelTimerFailedEventAttributes = &shape.CancelTimerFailedEventAttributes{
			TimerId: dec.CancelTimerDecisionAttributes.TimerId, Cause: cause, DecisionTaskCompletedEventId: id}
	case shape.DecisionTypeRecordMarker:
		t.event(shape.EventTypeRecordMarkerFailed).RecordMarkerFailedEventAttributes = &shape.RecordMarkerFailedEventAttributes{
			MarkerName: dec.RecordMarkerDecisionAttributes.MarkerName, Cause: cause, DecisionTaskCompletedEventId: id}
	case shape.DecisionTypeCompleteWorkflowExecution:
		t.event(shape.EventTypeCompleteWorkflowExecutionFailed).CompleteWorkflowExecutionFailedEventAttributes = &shape.CompleteWorkflowExecutionFailedEventAttributes{
			Cause: cause, DecisionTaskCompletedEventId: id}
	case shape.DecisionTypeFailWorkflowExecution:
		t.event(shape.EventTypeFailWorkflowExecutionFailed).FailWorkflowExecutionFailedEventAttributes = &shape.FailWorkflowExecutionFailedEventAttributes{
			Cause: cause, DecisionTaskCompletedEventId: id}
	case shape.DecisionTypeCancelWorkflowExecution:
		t.event(shape.EventTypeCancelWorkflowExecutionFailed).CancelWorkflowExecutionFailedEventAttributes = &shape.CancelWorkflowExecutionFailedEventAttributes{
			Cause: cause, DecisionTaskCompletedEventId: id}
	case shape.DecisionTypeContinueAsNewWorkflowExecution:
		t.event(shape.EventTypeContinueAsNewWorkflowExecutionFailed).ContinueAsNewWorkflowExecutionFailedEventAttributes = &shape.ContinueAsNewWorkflowExecutionFailedEventAttributes{
			Cause: cause, DecisionTaskCompletedEventId: id}
	case shape.DecisionTypeSignalExternalWorkflowExecution:
		a := dec.SignalExternalWorkflowExecutionDecisionAttributes
		t.event(shape.EventTypeSignalExternalWorkflowExecutionFailed).SignalExternalWorkflowExecutionFailedEventAttributes = &shape.SignalExternalWorkflowExecutionFailedEventAttributes{
			WorkflowId: a.WorkflowId, RunId: a.RunId, Control: a.Control, Cause: cause, DecisionTaskCompletedEventId: id}
	case shape.DecisionTypeRequestCancelExternalWorkflowExecution:
		a := dec.RequestCancelExternalWorkflowExecutionDecisionAttributes
		t.event(shape.EventTypeRequestCancelExternalWorkflowExecutionFailed).RequestCancelExternalWorkflowExecutionFailedEventAttributes = &shape.RequestCancelExternalWorkflowExecutionFailedEventAttributes{
			WorkflowId: a.WorkflowId, RunId: a.RunId, Control: a.Control, Cause: cause, DecisionTaskCompletedEventId: id}
	case shape.DecisionTypeStartChildWorkflowExecution:
		a := dec.StartChildWorkflowExecutionDecisionAttributes
		t.event(shape.EventTypeStartChildWorkflowExecutionFailed).StartChildWorkflowExecutionFailedEventAttributes = &shape.StartChildWorkflowExecutionFailedEventAttributes{
			WorkflowId: a.WorkflowId, WorkflowType: a.WorkflowType, Control: a.Control, Cause: cause, DecisionTaskCompletedEventId: id}
	case shape.DecisionTypeScheduleLambdaFunction:
		a := dec.ScheduleLambdaFunctionDecisionAttributes
		t.event(shape.EventTypeScheduleLambdaFunctionFailed).ScheduleLambdaFunctionFailedEventAttributes = &shape.ScheduleLambdaFunctionFailedEventAttributes{
			Id: a.Id, Name: a.Name, Cause: cause, DecisionTaskCompletedEventId: id}
	}
	d.failed()
}
