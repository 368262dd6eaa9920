package auth

import "net/http"

// The error codes Authenticate returns, as AWS's JSON services name them.
// A client's SDK reads the code from the answer's __type (everything after
// the last '#'), so the wire layer may prefix them as AWS does
// ("com.amazon.coral.service#InvalidSignatureException") or send them bare.
const (
	// CodeMissingAuthenticationToken: the request carries no signature at
	// all (no Authorization header, no X-Amz-Signature query parameter).
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	// CodeIncompleteSignature: a signature is there but malformed: a missing
	// Credential, SignedHeaders or Signature, a missing or unparsable date,
	// an unsupported algorithm, a credential without five parts.
	CodeIncompleteSignature = "IncompleteSignatureException"
	// CodeUnrecognizedClient: the access key is not in the credentials file
	// (or the request carries a session token, which openswf never issues).
	CodeUnrecognizedClient = "UnrecognizedClientException"
	// CodeInvalidSignature: the signature does not verify, the credential
	// scope is wrong, or the date is outside the allowed window.
	CodeInvalidSignature = "InvalidSignatureException"
)

// The fixed messages AWS sends with two of the codes.
const (
	msgMissingToken     = "Request is missing Authentication Token"
	msgUnrecognized     = "The security token included in the request is invalid."
	msgSignatureInvalid = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// Error is what Authenticate returns when a request is not accepted: an AWS
// error code, its message, and the HTTP status to answer with. The wire layer
// encodes it like any other fault ({"__type": Code, "message": Message}) and
// must not run the operation. Test for it with errors.As.
type Error struct {
	Code    string // one of the Code... constants
	Message string
	Status  int // http.StatusBadRequest or http.StatusForbidden
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errMissingToken() *Error {
	return &Error{Code: CodeMissingAuthenticationToken, Message: msgMissingToken, Status: http.StatusForbidden}
}

func errIncomplete(msg string) *Error {
	return &Error{Code: CodeIncompleteSignature, Message: msg, Status: http.StatusBadRequest}
}

func errUnrecognized() *Error {
	return &Error{Code: CodeUnrecognizedClient, Message: msgUnrecognized, Status: http.StatusBadRequest}
}

func errInvalid(msg string) *Error {
	return &Error{Code: CodeInvalidSignature, Message: msg, Status: http.StatusBadRequest}
}
