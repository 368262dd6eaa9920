package engine

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"reflect"

	"github.com/openswf/openswf/internal/swf"
)

// A listing's nextPageToken (domains, types, executions) holds the cursor
// of the next page, sealed like a task token and bound to the query that
// issued it:
//
//	version(1) kind(1)='l' query(16) cursor mac(16)
//
// query is a hash of the operation's input without its nextPageToken and
// maximumPageSize, so a token we did not issue, or one replayed with other
// filters, is refused instead of being read as a cursor that ends the
// list early.
const (
	tokenList    = 'l'
	queryHashLen = 16
)

// pager seals and opens the page tokens of one list call.
type pager struct {
	codec tokenCodec
	query [queryHashLen]byte
}

// pager returns the pager of the list call whose input is in (a pointer to
// the operation's input struct). scope is mixed in for state that selects
// the listing without being part of the input.
func (e *Engine) pager(in any, scope string) pager {
	v := reflect.ValueOf(in).Elem()
	cp := reflect.New(v.Type()).Elem()
	cp.Set(v)
	for _, f := range []string{"NextPageToken", "MaximumPageSize"} {
		if fv := cp.FieldByName(f); fv.IsValid() {
			fv.SetZero()
		}
	}
	b, err := json.Marshal(cp.Interface())
	if err != nil {
		// Input structs are plain data decoded from JSON: they encode.
		panic("engine: page query: " + err.Error())
	}
	h := sha256.New()
	h.Write([]byte(v.Type().Name()))
	h.Write([]byte{0})
	h.Write([]byte(scope))
	h.Write([]byte{0})
	h.Write(b)
	p := pager{codec: e.tokens}
	copy(p.query[:], h.Sum(nil))
	return p
}

func errPageToken() error {
	return swf.Invalid("nextPageToken is not valid: it was not issued by this service for this request (keep every other argument unchanged when you pass it)")
}

// seal returns the token of the page after cursor.
func (p pager) seal(cursor []byte) string {
	b := make([]byte, 0, 2+queryHashLen+len(cursor)+macLen)
	b = append(b, tokenVersion, tokenList)
	b = append(b, p.query[:]...)
	b = append(b, cursor...)
	b = append(b, p.codec.mac(b)...)
	return tokenEncoding.EncodeToString(b)
}

// open returns the cursor a token holds; nil for no token (the first page).
func (p pager) open(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	b, err := decodeTokenString(s)
	if err != nil || len(b) < 2+queryHashLen+1+macLen {
		return nil, errPageToken()
	}
	body, sum := b[:len(b)-macLen], b[len(b)-macLen:]
	if !hmac.Equal(sum, p.codec.mac(body)) || body[0] != tokenVersion || body[1] != tokenList ||
		!hmac.Equal(body[2:2+queryHashLen], p.query[:]) {
		return nil, errPageToken()
	}
	return body[2+queryHashLen:], nil
}
