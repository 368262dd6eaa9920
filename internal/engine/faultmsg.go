package engine

import (
	"github.com/openswf/openswf/internal/shape"
)

// The faults' messages copy AWS's wording where it is known, because
// frameworks match on them; docs/compatibility.md ("Fault messages") gives
// the source of each.

// undefinedParameter is the message of StartWorkflowExecution's
// DefaultUndefinedFault: the camelCase name of the first setting given
// neither in the request nor as a default of the type, in the order AWS
// checks them: executionStartToCloseTimeout, taskList,
// taskStartToCloseTimeout, childPolicy. found is the one resolveConfig
// named, for the case where none is missing here (it cannot happen).
func undefinedParameter(in *shape.StartWorkflowExecutionInput, d shape.WorkflowTypeConfiguration, found string) string {
	switch {
	case in.ExecutionStartToCloseTimeout == "" && d.DefaultExecutionStartToCloseTimeout == "":
		return "executionStartToCloseTimeout"
	case in.TaskList == nil && d.DefaultTaskList == nil:
		return "taskList"
	case in.TaskStartToCloseTimeout == "" && d.DefaultTaskStartToCloseTimeout == "":
		return "taskStartToCloseTimeout"
	case in.ChildPolicy == "" && d.DefaultChildPolicy == "":
		return "childPolicy"
	}
	return found
}
