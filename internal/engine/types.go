package engine

import (
	"context"
	"strconv"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/swf"
)

// RegisterActivityType registers an activity type and its defaults.
// Faults: TypeAlreadyExistsFault, LimitExceededFault, UnknownResourceFault,
// ValidationException.
func (e *Engine) RegisterActivityType(ctx context.Context, in *shape.RegisterActivityTypeInput) error {
	err := firstErr(
		swf.CheckName("name", in.Name), swf.CheckName("version", in.Version),
		checkOptDuration("defaultTaskHeartbeatTimeout", in.DefaultTaskHeartbeatTimeout, e.lim),
		checkOptDuration("defaultTaskScheduleToCloseTimeout", in.DefaultTaskScheduleToCloseTimeout, e.lim),
		checkOptDuration("defaultTaskScheduleToStartTimeout", in.DefaultTaskScheduleToStartTimeout, e.lim),
		checkOptDuration("defaultTaskStartToCloseTimeout", in.DefaultTaskStartToCloseTimeout, e.lim),
		checkTaskList("defaultTaskList.name", in.DefaultTaskList),
		checkPriority("defaultTaskPriority", in.DefaultTaskPriority),
	)
	if err != nil {
		return err
	}
	key := store.TypeKey{Domain: in.Domain, Name: in.Name, Version: in.Version}
	if err := e.lockRegistry(); err != nil {
		return err
	}
	defer e.regMu.Unlock()
	if err := e.registerCheckLocked(in.Domain, e.atypes[key] != nil, e.countTypesLocked(in.Domain, true), "ActivityType", in.Name, in.Version); err != nil {
		return err
	}
	t := &store.ActivityType{
		Domain: in.Domain,
		Info: shape.ActivityTypeInfo{
			ActivityType: &shape.ActivityType{Name: in.Name, Version: in.Version},
			Status:       shape.RegistrationStatusRegistered, Description: in.Description,
			CreationDate: shape.TS(e.clk.Now()),
		},
		Config: shape.ActivityTypeConfiguration{
			DefaultTaskHeartbeatTimeout:       in.DefaultTaskHeartbeatTimeout,
			DefaultTaskList:                   in.DefaultTaskList,
			DefaultTaskPriority:               in.DefaultTaskPriority,
			DefaultTaskScheduleToCloseTimeout: in.DefaultTaskScheduleToCloseTimeout,
			DefaultTaskScheduleToStartTimeout: in.DefaultTaskScheduleToStartTimeout,
			DefaultTaskStartToCloseTimeout:    in.DefaultTaskStartToCloseTimeout,
		},
	}
	if err := e.applyRegistry(&store.Change{ActivityTypes: []*store.ActivityType{t}}); err != nil {
		return err
	}
	e.atypes[key] = t
	return nil
}

// RegisterWorkflowType registers a workflow type and its defaults.
func (e *Engine) RegisterWorkflowType(ctx context.Context, in *shape.RegisterWorkflowTypeInput) error {
	err := firstErr(
		swf.CheckName("name", in.Name), swf.CheckName("version", in.Version),
		checkOptDuration("defaultExecutionStartToCloseTimeout", in.DefaultExecutionStartToCloseTimeout, e.lim),
		checkOptDuration("defaultTaskStartToCloseTimeout", in.DefaultTaskStartToCloseTimeout, e.lim),
		checkTaskList("defaultTaskList.name", in.DefaultTaskList),
		checkPriority("defaultTaskPriority", in.DefaultTaskPriority),
	)
	if err != nil {
		return err
	}
	if in.DefaultExecutionStartToCloseTimeout == swf.None {
		return swf.Invalid("defaultExecutionStartToCloseTimeout: NONE is not allowed; an execution lasts at most %d seconds", e.lim.MaxDurationSeconds)
	}
	key := store.TypeKey{Domain: in.Domain, Name: in.Name, Version: in.Version}
	if err := e.lockRegistry(); err != nil {
		return err
	}
	defer e.regMu.Unlock()
	if err := e.registerCheckLocked(in.Domain, e.wtypes[key] != nil, e.countTypesLocked(in.Domain, false), "WorkflowType", in.Name, in.Version); err != nil {
		return err
	}
	t := &store.WorkflowType{
		Domain: in.Domain,
		Info: shape.WorkflowTypeInfo{
			WorkflowType: &shape.WorkflowType{Name: in.Name, Version: in.Version},
			Status:       shape.RegistrationStatusRegistered, Description: in.Description,
			CreationDate: shape.TS(e.clk.Now()),
		},
		Config: shape.WorkflowTypeConfiguration{
			DefaultChildPolicy:                  in.DefaultChildPolicy,
			DefaultExecutionStartToCloseTimeout: in.DefaultExecutionStartToCloseTimeout,
			DefaultLambdaRole:                   in.DefaultLambdaRole,
			DefaultTaskList:                     in.DefaultTaskList,
			DefaultTaskPriority:                 in.DefaultTaskPriority,
			DefaultTaskStartToCloseTimeout:      in.DefaultTaskStartToCloseTimeout,
		},
	}
	if err := e.applyRegistry(&store.Change{WorkflowTypes: []*store.WorkflowType{t}}); err != nil {
		return err
	}
	e.wtypes[key] = t
	return nil
}

// registerCheckLocked applies the rules shared by both type registrations.
func (e *Engine) registerCheckLocked(domain string, exists bool, count int, kind, name, version string) error {
	if _, err := e.usableDomainLocked(domain); err != nil {
		return err
	}
	if exists {
		return swf.NewFault(swf.TypeAlreadyExistsFault, "%s=[name=%s, version=%s]", kind, name, version)
	}
	if count >= e.lim.MaxTypesPerDomain {
		return swf.NewFault(swf.LimitExceededFault, "a domain may have at most %d %ss", e.lim.MaxTypesPerDomain, kind)
	}
	return nil
}

func (e *Engine) countTypesLocked(domain string, activity bool) int {
	n := 0
	if activity {
		for k := range e.atypes {
			if k.Domain == domain {
				n++
			}
		}
		return n
	}
	for k := range e.wtypes {
		if k.Domain == domain {
			n++
		}
	}
	return n
}

// DescribeActivityType returns an activity type's information and defaults.
func (e *Engine) DescribeActivityType(ctx context.Context, in *shape.DescribeActivityTypeInput) (*shape.ActivityTypeDetail, error) {
	e.regMu.RLock()
	defer e.regMu.RUnlock()
	t, err := e.activityTypeLocked(in.Domain, in.ActivityType)
	if err != nil {
		return nil, err
	}
	info, cfg := t.Info, t.Config
	return &shape.ActivityTypeDetail{TypeInfo: &info, Configuration: &cfg}, nil
}

// DescribeWorkflowType returns a workflow type's information and defaults.
func (e *Engine) DescribeWorkflowType(ctx context.Context, in *shape.DescribeWorkflowTypeInput) (*shape.WorkflowTypeDetail, error) {
	e.regMu.RLock()
	defer e.regMu.RUnlock()
	t, err := e.workflowTypeLocked(in.Domain, in.WorkflowType)
	if err != nil {
		return nil, err
	}
	info, cfg := t.Info, t.Config
	return &shape.WorkflowTypeDetail{TypeInfo: &info, Configuration: &cfg}, nil
}

func (e *Engine) activityTypeLocked(domain string, at *shape.ActivityType) (*store.ActivityType, error) {
	if _, ok := e.domains[domain]; !ok {
		return nil, unknownDomain(domain)
	}
	t := e.atypes[store.TypeKey{Domain: domain, Name: at.Name, Version: at.Version}]
	if t == nil {
		return nil, swf.Unknown("Unknown type: ActivityType=[name=%s, version=%s]", at.Name, at.Version)
	}
	return t, nil
}

func (e *Engine) workflowTypeLocked(domain string, wt *shape.WorkflowType) (*store.WorkflowType, error) {
	if _, ok := e.domains[domain]; !ok {
		return nil, unknownDomain(domain)
	}
	t := e.wtypes[store.TypeKey{Domain: domain, Name: wt.Name, Version: wt.Version}]
	if t == nil {
		return nil, swf.Unknown("Unknown type: WorkflowType=[name=%s, version=%s]", wt.Name, wt.Version)
	}
	return t, nil
}

// typeStatus says what a status change or delete wants and what it faults.
type typeStatus struct {
	to     shape.RegistrationStatus
	delete bool
}

func (s typeStatus) check(kind, name, version string, cur shape.RegistrationStatus) error {
	switch {
	case s.delete && cur != shape.RegistrationStatusDeprecated:
		return swf.NewFault(swf.TypeNotDeprecatedFault, "%s=[name=%s, version=%s] is not deprecated: deprecate it before deleting it", kind, name, version)
	case !s.delete && cur == s.to && s.to == shape.RegistrationStatusDeprecated:
		return swf.NewFault(swf.TypeDeprecatedFault, "%s=[name=%s, version=%s]", kind, name, version)
	case !s.delete && cur == s.to:
		return swf.NewFault(swf.TypeAlreadyExistsFault, "%s=[name=%s, version=%s]", kind, name, version)
	}
	return nil
}

func (e *Engine) changeActivityType(domain string, at *shape.ActivityType, s typeStatus) error {
	if err := e.lockRegistry(); err != nil {
		return err
	}
	defer e.regMu.Unlock()
	t, err := e.activityTypeLocked(domain, at)
	if err != nil {
		return err
	}
	if err := s.check("ActivityType", at.Name, at.Version, t.Info.Status); err != nil {
		return err
	}
	key := store.TypeKey{Domain: domain, Name: at.Name, Version: at.Version}
	if s.delete {
		if err := e.applyRegistry(&store.Change{DelActivityTypes: []store.TypeKey{key}}); err != nil {
			return err
		}
		delete(e.atypes, key)
		return nil
	}
	cp := *t
	cp.Info.Status = s.to
	cp.Info.DeprecationDate = shape.Timestamp{}
	if s.to == shape.RegistrationStatusDeprecated {
		cp.Info.DeprecationDate = shape.TS(e.clk.Now())
	}
	if err := e.applyRegistry(&store.Change{ActivityTypes: []*store.ActivityType{&cp}}); err != nil {
		return err
	}
	e.atypes[key] = &cp
	return nil
}

func (e *Engine) changeWorkflowType(domain string, wt *shape.WorkflowType, s typeStatus) error {
	if err := e.lockRegistry(); err != nil {
		return err
	}
	defer e.regMu.Unlock()
	t, err := e.workflowTypeLocked(domain, wt)
	if err != nil {
		return err
	}
	if err := s.check("WorkflowType", wt.Name, wt.Version, t.Info.Status); err != nil {
		return err
	}
	key := store.TypeKey{Domain: domain, Name: wt.Name, Version: wt.Version}
	if s.delete {
		if err := e.applyRegistry(&store.Change{DelWorkflowTypes: []store.TypeKey{key}}); err != nil {
			return err
		}
		delete(e.wtypes, key)
		return nil
	}
	cp := *t
	cp.Info.Status = s.to
	cp.Info.DeprecationDate = shape.Timestamp{}
	if s.to == shape.RegistrationStatusDeprecated {
		cp.Info.DeprecationDate = shape.TS(e.clk.Now())
	}
	if err := e.applyRegistry(&store.Change{WorkflowTypes: []*store.WorkflowType{&cp}}); err != nil {
		return err
	}
	e.wtypes[key] = &cp
	return nil
}

var (
	deprecate   = typeStatus{to: shape.RegistrationStatusDeprecated}
	undeprecate = typeStatus{to: shape.RegistrationStatusRegistered}
	deleteType  = typeStatus{delete: true}
)

// DeprecateActivityType stops new tasks of the type; running ones go on.
func (e *Engine) DeprecateActivityType(ctx context.Context, in *shape.DeprecateActivityTypeInput) error {
	return e.changeActivityType(in.Domain, in.ActivityType, deprecate)
}

// UndeprecateActivityType makes a deprecated activity type usable again.
func (e *Engine) UndeprecateActivityType(ctx context.Context, in *shape.UndeprecateActivityTypeInput) error {
	return e.changeActivityType(in.Domain, in.ActivityType, undeprecate)
}

// DeleteActivityType removes a deprecated activity type.
func (e *Engine) DeleteActivityType(ctx context.Context, in *shape.DeleteActivityTypeInput) error {
	return e.changeActivityType(in.Domain, in.ActivityType, deleteType)
}

// DeprecateWorkflowType stops new executions of the type.
func (e *Engine) DeprecateWorkflowType(ctx context.Context, in *shape.DeprecateWorkflowTypeInput) error {
	return e.changeWorkflowType(in.Domain, in.WorkflowType, deprecate)
}

// UndeprecateWorkflowType makes a deprecated workflow type usable again.
func (e *Engine) UndeprecateWorkflowType(ctx context.Context, in *shape.UndeprecateWorkflowTypeInput) error {
	return e.changeWorkflowType(in.Domain, in.WorkflowType, undeprecate)
}

// DeleteWorkflowType removes a deprecated workflow type.
func (e *Engine) DeleteWorkflowType(ctx context.Context, in *shape.DeleteWorkflowTypeInput) error {
	return e.changeWorkflowType(in.Domain, in.WorkflowType, deleteType)
}

// ListActivityTypes lists a domain's activity types of one status.
func (e *Engine) ListActivityTypes(ctx context.Context, in *shape.ListActivityTypesInput) (*shape.ActivityTypeInfos, error) {
	e.regMu.RLock()
	if _, ok := e.domains[in.Domain]; !ok {
		e.regMu.RUnlock()
		return nil, unknownDomain(in.Domain)
	}
	var all []shape.ActivityTypeInfo
	for k, t := range e.atypes {
		if k.Domain == in.Domain && t.Info.Status == in.RegistrationStatus && (in.Name == "" || in.Name == k.Name) {
			all = append(all, t.Info)
		}
	}
	e.regMu.RUnlock()
	key := func(i int) string { return all[i].ActivityType.Name + "\x00" + all[i].ActivityType.Version }
	page, next, err := pageOf(len(all), key, func(i, j int) { all[i], all[j] = all[j], all[i] }, e.pager(in, ""), in.NextPageToken, in.MaximumPageSize, in.ReverseOrder, e.lim.ListDefaultPageSize)
	if err != nil {
		return nil, err
	}
	out := &shape.ActivityTypeInfos{TypeInfos: []shape.ActivityTypeInfo{}, NextPageToken: next}
	for _, i := range page {
		out.TypeInfos = append(out.TypeInfos, all[i])
	}
	return out, nil
}

// ListWorkflowTypes lists a domain's workflow types of one status.
func (e *Engine) ListWorkflowTypes(ctx context.Context, in *shape.ListWorkflowTypesInput) (*shape.WorkflowTypeInfos, error) {
	e.regMu.RLock()
	if _, ok := e.domains[in.Domain]; !ok {
		e.regMu.RUnlock()
		return nil, unknownDomain(in.Domain)
	}
	var all []shape.WorkflowTypeInfo
	for k, t := range e.wtypes {
		if k.Domain == in.Domain && t.Info.Status == in.RegistrationStatus && (in.Name == "" || in.Name == k.Name) {
			all = append(all, t.Info)
		}
	}
	e.regMu.RUnlock()
	key := func(i int) string { return all[i].WorkflowType.Name + "\x00" + all[i].WorkflowType.Version }
	page, next, err := pageOf(len(all), key, func(i, j int) { all[i], all[j] = all[j], all[i] }, e.pager(in, ""), in.NextPageToken, in.MaximumPageSize, in.ReverseOrder, e.lim.ListDefaultPageSize)
	if err != nil {
		return nil, err
	}
	out := &shape.WorkflowTypeInfos{TypeInfos: []shape.WorkflowTypeInfo{}, NextPageToken: next}
	for _, i := range page {
		out.TypeInfos = append(out.TypeInfos, all[i])
	}
	return out, nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// checkOptDuration checks a DurationInSecondsOptional value ("" = unset).
func checkOptDuration(field, v string, lim swf.Limits) error {
	if v == "" {
		return nil
	}
	_, err := swf.ParseDuration(field, v, true, lim.MaxDurationSeconds)
	return err
}

func checkTaskList(field string, tl *shape.TaskList) error {
	if tl == nil {
		return nil
	}
	return swf.CheckName(field, tl.Name)
}

func checkPriority(field, v string) error {
	if v == "" {
		return nil
	}
	if _, err := strconv.ParseInt(v, 10, 32); err != nil {
		return swf.Invalid("%s: '%s' is not an integer from -2147483648 to 2147483647", field, v)
	}
	return nil
}
