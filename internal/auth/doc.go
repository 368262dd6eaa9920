// Package auth is openswf's access control: it verifies AWS Signature
// Version 4 on requests and evaluates IAM-style policies, the way Amazon SWF
// does. It is pure: it knows nothing of the engine or the wire handler, and
// they know it only through the small API below.
//
// # Credentials
//
// Load or Parse reads a credentials file (swf server --auth FILE):
//
//	{"accountId": "123456789012",
//	 "principals": [{"name": "worker", "accessKeyId": "AKIA...",
//	                 "secretAccessKey": "...", "policies": [ <IAM policy documents> ]}]}
//
// Everything is validated and every policy compiled once, at load.
//
// # Authentication
//
// Config.Authenticate checks a request's signature (service "swf", any
// region, header or presigned form) and returns the *Principal whose key
// signed it, or an *Error carrying the AWS error code, message and HTTP
// status to answer with.
//
// # Authorization
//
// Principal.Allowed(action, resource, ctx) answers one question: may this
// principal perform action ("swf:PollForActivityTask", or a decision type
// such as "swf:ScheduleActivityTask") on resource (a domain ARN, see ARN)
// given the condition keys in ctx? IAM's evaluation: default deny, an
// applicable Deny beats any Allow.
//
// A statement applies when its Action (or NotAction) covers the action, its
// Resource (or NotResource) covers the resource, and every condition holds.
// Actions compare case-insensitively, resources case-sensitively; both take
// the wildcards '*' (any run of characters) and '?' (one character), and
// resources match segment by segment as ARNs.
//
// In a Condition block, every operator and every key under it must hold
// (AND); the values listed for one key are alternatives (OR; for a negated
// operator none may match). Supported operators:
//
//	StringEquals StringNotEquals StringEqualsIgnoreCase StringNotEqualsIgnoreCase
//	StringLike StringNotLike
//	NumericEquals NumericNotEquals NumericLessThan NumericLessThanEquals
//	NumericGreaterThan NumericGreaterThanEquals
//	Bool  ArnEquals ArnLike ArnNotEquals ArnNotLike  IpAddress NotIpAddress  Null
//
// each (but Null) with the IfExists suffix and the ForAnyValue: or
// ForAllValues: prefix. Date and Binary operators and policy variables are
// refused at load rather than misread.
//
// A condition key missing from the Context (absent, or with no values):
// Null "true" holds; ...IfExists holds; ForAllValues holds; ForAnyValue
// fails; a negated operator (StringNotEquals, ArnNotLike, NotIpAddress, ...)
// holds; every other operator fails.
//
// # Passing the caller to the engine
//
// The wire layer attaches the authenticated caller to the request's
// context.Context with WithPrincipal (or AllowAll when the server runs
// without credentials); the engine takes it back with FromContext and asks
// it about each operation and each decision.
package auth
