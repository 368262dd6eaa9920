package wire

import (
	"net/http"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/swf"
)

// Prefixes of __type: the SWF model's own faults live in the service's
// namespace; the errors every AWS JSON service shares live in coral's.
const (
	modelNS      = "com.amazonaws.swf.base.model#"
	serviceNS    = "com.amazon.coral.service#"
	validateNS   = "com.amazon.coral.validate#"
	availability = "com.amazon.coral.availability#"
)

// Names of the common AWS errors that package swf does not spell (yet). The
// SDKs match on the part of __type after '#', so only that part matters to
// clients; the namespaces copy what AWS sends.
const (
	throttlingException            = "ThrottlingException"
	requestEntityTooLargeException = "RequestEntityTooLargeException"
	missingAuthenticationToken     = "MissingAuthenticationTokenException"
	unrecognizedClientException    = "UnrecognizedClientException"
	invalidSignatureException      = "InvalidSignatureException"
	incompleteSignatureException   = "IncompleteSignatureException"
	accessDeniedException          = "AccessDeniedException"
)

// faultKind is how one fault name appears on the wire.
type faultKind struct {
	Type   string // the full __type
	Status int
}

// faults is the one table from fault name to __type and HTTP status. Names
// not in it are internal errors: the client learns nothing of them.
var faults = buildFaultTable()

func buildFaultTable() map[string]faultKind {
	t := map[string]faultKind{
		swf.ValidationException:        {validateNS + swf.ValidationException, http.StatusBadRequest},
		swf.SerializationException:     {serviceNS + swf.SerializationException, http.StatusBadRequest},
		swf.UnknownOperationException:  {serviceNS + swf.UnknownOperationException, http.StatusBadRequest},
		swf.InternalFailure:            {serviceNS + swf.InternalFailure, http.StatusInternalServerError},
		swf.ServiceUnavailable:         {availability + swf.ServiceUnavailable, http.StatusServiceUnavailable},
		throttlingException:            {availability + throttlingException, http.StatusBadRequest},
		requestEntityTooLargeException: {serviceNS + requestEntityTooLargeException, http.StatusRequestEntityTooLarge},
		// Signature errors, for the SigV4 check to come. AWS answers a
		// request with no credentials at all with 403, the rest with 400.
		missingAuthenticationToken:   {serviceNS + missingAuthenticationToken, http.StatusForbidden},
		unrecognizedClientException:  {serviceNS + unrecognizedClientException, http.StatusBadRequest},
		invalidSignatureException:    {serviceNS + invalidSignatureException, http.StatusBadRequest},
		incompleteSignatureException: {serviceNS + incompleteSignatureException, http.StatusBadRequest},
		accessDeniedException:        {serviceNS + accessDeniedException, http.StatusBadRequest},
	}
	// The model's error shapes, listed per operation. Listing the
	// constants of package swf as well keeps a fault the engine may
	// return but no operation lists (yet) from becoming a 500.
	model := []string{
		swf.UnknownResourceFault, swf.TypeAlreadyExistsFault, swf.TypeDeprecatedFault,
		swf.TypeNotDeprecatedFault, swf.DomainAlreadyExistsFault, swf.DomainDeprecatedFault,
		swf.DefaultUndefinedFault, swf.LimitExceededFault, swf.OperationNotPermittedFault,
		swf.WorkflowExecutionAlreadyStartedFault, swf.TooManyTagsFault,
	}
	for _, op := range shape.Operations {
		model = append(model, op.Errors...)
	}
	for _, name := range model {
		if _, ok := t[name]; !ok {
			t[name] = faultKind{modelNS + name, http.StatusBadRequest}
		}
	}
	return t
}

// errorBody is the JSON of every error answer. The SDKs read __type (and
// accept message or Message).
type errorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}
