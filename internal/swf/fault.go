// Package swf holds the vocabulary shared by every layer: faults, limits and
// the rules of names and durations that AWS SWF applies.
package swf

import "fmt"

// Fault names, as the model's error shapes and the common AWS errors spell
// them. The wire layer maps each one to its __type and HTTP status.
const (
	UnknownResourceFault                 = "UnknownResourceFault"
	TypeAlreadyExistsFault               = "TypeAlreadyExistsFault"
	TypeDeprecatedFault                  = "TypeDeprecatedFault"
	TypeNotDeprecatedFault               = "TypeNotDeprecatedFault"
	DomainAlreadyExistsFault             = "DomainAlreadyExistsFault"
	DomainDeprecatedFault                = "DomainDeprecatedFault"
	DefaultUndefinedFault                = "DefaultUndefinedFault"
	LimitExceededFault                   = "LimitExceededFault"
	OperationNotPermittedFault           = "OperationNotPermittedFault"
	WorkflowExecutionAlreadyStartedFault = "WorkflowExecutionAlreadyStartedFault"
	TooManyTagsFault                     = "TooManyTagsFault"
	ValidationException                  = "ValidationException"
	SerializationException               = "SerializationException"
	UnknownOperationException            = "UnknownOperationException"
	InternalFailure                      = "InternalFailure"
	// ServiceUnavailable is AWS's retryable 503: a node of several that
	// does not serve the call's shard at the moment (the SDKs retry it).
	ServiceUnavailable = "ServiceUnavailableException"
)

// Fault is an error the service reports to the caller by name. Code that
// needs to tell faults apart uses errors.As and compares Name.
type Fault struct {
	Name    string
	Message string
}

func (f *Fault) Error() string { return f.Name + ": " + f.Message }

// NewFault builds a Fault with a formatted message.
func NewFault(name, format string, args ...any) *Fault {
	return &Fault{Name: name, Message: fmt.Sprintf(format, args...)}
}

// Unknown reports a resource that does not exist (or no longer does).
func Unknown(format string, args ...any) *Fault {
	return NewFault(UnknownResourceFault, format, args...)
}

// Invalid reports input that breaks a rule, in AWS's validation wording.
func Invalid(format string, args ...any) *Fault {
	return NewFault(ValidationException, format, args...)
}

// NotOwner is the ServiceUnavailable fault of a node of several that does
// not serve Shard: the call, untouched, belongs to the shard's owner. The
// wire layer forwards such a call to the owner once; a client that still
// gets it retries, as the SDKs do for any 503.
type NotOwner struct {
	Shard int32
	Fault *Fault
}

func (e *NotOwner) Error() string { return e.Fault.Error() }
func (e *NotOwner) Unwrap() error { return e.Fault }
