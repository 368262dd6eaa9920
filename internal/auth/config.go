package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
)

// Config is a loaded credentials file: the account id that appears in ARNs
// and the principals that may sign requests, each with its secret and its
// compiled policies. It is immutable after Load or Parse and safe for
// concurrent use.
type Config struct {
	accountID  string
	principals []*Principal
	byKey      map[string]*Principal // by access key id
}

// Principal is one caller: a name, an access key, its secret, and the
// statements of all its policies compiled into one list. It implements
// Authorizer.
type Principal struct {
	name        string
	accessKeyID string
	secret      string
	statements  []statement // Deny statements first; see evaluate

	lastKey atomic.Pointer[derivedKey] // the signing key derived last; see signingKey
}

// Name returns the principal's name from the credentials file.
func (p *Principal) Name() string { return p.name }

// AccessKeyID returns the access key the principal signs with.
func (p *Principal) AccessKeyID() string { return p.accessKeyID }

// Allowed reports whether the principal may perform action on resource
// given the condition keys in ctx: IAM's rules, so a Deny statement of any of
// its policies that applies wins, then an Allow that applies, and otherwise
// the answer is no. A nil Principal is allowed nothing.
func (p *Principal) Allowed(action, resource string, ctx Context) bool {
	if p == nil {
		return false
	}
	return evaluate(p.statements, action, resource, ctx)
}

// String returns the principal's name, so that logging a Principal never
// prints its secret.
func (p *Principal) String() string { return p.name }

// GoString is String for %#v, for the same reason.
func (p *Principal) GoString() string { return "auth.Principal(" + strconv.Quote(p.name) + ")" }

// AccountID returns the 12-digit account id of the credentials file. Domain
// ARNs, and so the resources policies name, carry it.
func (c *Config) AccountID() string { return c.accountID }

// Principals returns the principals in file order, for start-up logging.
func (c *Config) Principals() []*Principal { return append([]*Principal(nil), c.principals...) }

// Load reads and parses the credentials file at path (see Parse).
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse parses a credentials file:
//
//	{"accountId": "123456789012",
//	 "principals": [{"name": "worker", "accessKeyId": "AKIA...",
//	                 "secretAccessKey": "...", "policies": [{...}, ...]}]}
//
// and compiles every policy (see ParsePolicy). It checks everything and
// reports the first problem with the path of the field at fault: the account
// id is 12 digits; there is at least one principal; names and access keys
// are unique; access keys are 1 to 128 letters, digits and underscores;
// secrets are non-empty without surrounding space; fields are spelt as
// above. A principal without policies is allowed nothing.
func Parse(data []byte) (*Config, error) {
	var file struct {
		AccountID  *string `json:"accountId"`
		Principals []struct {
			Name            string            `json:"name"`
			AccessKeyID     string            `json:"accessKeyId"`
			SecretAccessKey string            `json:"secretAccessKey"`
			Policies        []json.RawMessage `json:"policies"`
		} `json:"principals"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, fileError(data, err)
	}
	if dec.More() {
		return nil, errors.New("auth: unexpected data after the credentials object")
	}
	if file.AccountID == nil {
		return nil, errors.New(`auth: accountId: missing; want the 12-digit account id that domain ARNs carry`)
	}
	if !isAccountID(*file.AccountID) {
		return nil, fmt.Errorf("auth: accountId: %q is not an account id; want 12 digits", *file.AccountID)
	}
	if len(file.Principals) == 0 {
		return nil, errors.New("auth: principals: empty; want at least one principal")
	}
	c := &Config{accountID: *file.AccountID, byKey: make(map[string]*Principal, len(file.Principals))}
	names := map[string]int{}
	for i, fp := range file.Principals {
		path := "principals[" + strconv.Itoa(i) + "]"
		if fp.Name == "" {
			return nil, fmt.Errorf("auth: %s.name: missing", path)
		}
		if strings.TrimSpace(fp.Name) != fp.Name || strings.ContainsFunc(fp.Name, isControl) {
			return nil, fmt.Errorf("auth: %s.name: %q has surrounding space or control characters", path, fp.Name)
		}
		if j, dup := names[fp.Name]; dup {
			return nil, fmt.Errorf("auth: %s.name: %q is also the name of principals[%d]", path, fp.Name, j)
		}
		names[fp.Name] = i
		path += " (" + strconv.Quote(fp.Name) + ")"
		if fp.AccessKeyID == "" {
			return nil, fmt.Errorf("auth: %s.accessKeyId: missing", path)
		}
		if !isAccessKeyID(fp.AccessKeyID) {
			return nil, fmt.Errorf("auth: %s.accessKeyId: %q is not an access key id; want 1 to 128 letters, digits or underscores", path, fp.AccessKeyID)
		}
		if other, dup := c.byKey[fp.AccessKeyID]; dup {
			return nil, fmt.Errorf("auth: %s.accessKeyId: %q is also the access key of principal %q", path, fp.AccessKeyID, other.name)
		}
		if fp.SecretAccessKey == "" {
			return nil, fmt.Errorf("auth: %s.secretAccessKey: missing", path)
		}
		if strings.TrimSpace(fp.SecretAccessKey) != fp.SecretAccessKey {
			return nil, fmt.Errorf("auth: %s.secretAccessKey: has leading or trailing space", path)
		}
		p := &Principal{name: fp.Name, accessKeyID: fp.AccessKeyID, secret: fp.SecretAccessKey}
		var all []statement
		for j, doc := range fp.Policies {
			stmts, err := parsePolicyDocument(doc, path+".policies["+strconv.Itoa(j)+"]")
			if err != nil {
				return nil, fmt.Errorf("auth: %w", err)
			}
			all = append(all, stmts...)
		}
		p.statements = sortStatements(all)
		c.principals = append(c.principals, p)
		c.byKey[p.accessKeyID] = p
	}
	return c, nil
}

// fileError turns a decoding error of the credentials file into one that
// names the field.
func fileError(data []byte, err error) error {
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		line, col := position(data, syntaxErr.Offset)
		return fmt.Errorf("auth: credentials file: line %d, column %d: %w", line, col, err)
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return fmt.Errorf("auth: %s: want %s, got a JSON %s", typeErr.Field, typeErr.Type, typeErr.Value)
	}
	if strings.HasPrefix(err.Error(), "json: unknown field ") {
		return fmt.Errorf("auth: %s (the fields are accountId, principals, and name, "+
			"accessKeyId, secretAccessKey and policies in each principal)", strings.TrimPrefix(err.Error(), "json: "))
	}
	return fmt.Errorf("auth: credentials file: %w", err)
}

// position is the 1-based line and column of byte offset in data.
func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, col
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isAccessKeyID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func isControl(r rune) bool { return r < 0x20 || r >= 0x7f && r <= 0x9f }
