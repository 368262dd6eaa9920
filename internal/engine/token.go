package engine

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash"
	"math"
	"strings"
	"sync"
)

// A task token names one attempt at one task: the domain, the run, the
// scheduled event and a random nonce drawn when the task was started. It is
// MACed with a key kept in the store, so it cannot be forged or altered, and
// it can be checked without a store read. The layout (docs/decisions.md):
//
//	version(1) kind(1) nonce(8) scheduledEventId(uvarint) [shard(uvarint)]
//	len(domain)(uvarint) domain len(runId)(uvarint) runId mac(16)
//
// encoded as unpadded base64url. Version 2 carries the run's shard, so a
// node of several that does not serve it forwards the call without a store
// read; version 1 (issued before) has none and is still accepted. A
// 256-character domain and a 64-character run id give at most 476
// characters, well under the 1024 the model allows.
type token struct {
	Kind             byte // tokenActivity or tokenDecision
	Domain           string
	RunID            string
	ScheduledEventID int64
	Nonce            uint64
	Shard            int32 // the run's shard; noShard in a version 1 token
}

// noShard is the Shard of a token that names none (version 1).
const noShard = -1

const (
	tokenVersion  = 1 // also the version of the listings' page tokens
	tokenVersion2 = 2 // a task token with the run's shard
	tokenActivity = 'a'
	tokenDecision = 'd'
	tokenPage     = 'p' // a history page cursor: ScheduledEventID holds the last event id shown
	// tokenDecisionPage is a page cursor of a decision task's history; Nonce
	// holds the task's started event id and the direction.
	tokenDecisionPage = 'q'
	macLen            = 16
)

var errBadToken = errors.New("bad token")

// tokenEncoding is strict: the unused low bits of the last character must
// be zero, so no two strings decode to the same token. (Carriage returns and
// line feeds, which the decoder skips even in strict mode, are refused by
// decodeTokenString.)
var tokenEncoding = base64.RawURLEncoding.Strict()

// decodeTokenString decodes a token's text. A token we issue has no line
// breaks, and encoding/base64 would skip them, so "abc\ndef" would be
// the same token as "abcdef": refused, so that a token has one spelling.
func decodeTokenString(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errBadToken
	}
	return tokenEncoding.DecodeString(s)
}

type tokenCodec struct {
	key  []byte
	macs *sync.Pool // of keyed HMACs; nil: a new one each time
}

// newTokenCodec keeps keyed HMACs for reuse: hmac.New hashes the key
// into two fresh SHA-256 states on every call, and every heartbeat
// checks a token.
func newTokenCodec(key []byte) tokenCodec {
	return tokenCodec{key: key, macs: &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

func (c tokenCodec) encode(t token) string {
	b := make([]byte, 0, 64+len(t.Domain)+len(t.RunID))
	version := byte(tokenVersion2)
	if t.Shard == noShard {
		version = tokenVersion
	}
	b = append(b, version, t.Kind)
	b = binary.BigEndian.AppendUint64(b, t.Nonce)
	b = binary.AppendUvarint(b, uint64(t.ScheduledEventID))
	if version == tokenVersion2 {
		b = binary.AppendUvarint(b, uint64(t.Shard))
	}
	b = binary.AppendUvarint(b, uint64(len(t.Domain)))
	b = append(b, t.Domain...)
	b = binary.AppendUvarint(b, uint64(len(t.RunID)))
	b = append(b, t.RunID...)
	b = append(b, c.mac(b)...)
	return tokenEncoding.EncodeToString(b)
}

func (c tokenCodec) mac(b []byte) []byte {
	if c.macs == nil {
		m := hmac.New(sha256.New, c.key)
		m.Write(b)
		return m.Sum(nil)[:macLen]
	}
	m := c.macs.Get().(hash.Hash)
	m.Reset()
	m.Write(b)
	sum := m.Sum(make([]byte, 0, sha256.Size))[:macLen]
	c.macs.Put(m)
	return sum
}

func (c tokenCodec) decode(s string, kind byte) (token, error) {
	var t token
	b, err := decodeTokenString(s)
	if err != nil || len(b) < 2+8+macLen {
		return t, errBadToken
	}
	body, sum := b[:len(b)-macLen], b[len(b)-macLen:]
	if !hmac.Equal(sum, c.mac(body)) || (body[0] != tokenVersion && body[0] != tokenVersion2) || body[1] != kind {
		return t, errBadToken
	}
	t.Kind = body[1]
	t.Nonce = binary.BigEndian.Uint64(body[2:10])
	rest := body[10:]
	sched, n := binary.Uvarint(rest)
	if n <= 0 {
		return t, errBadToken
	}
	t.ScheduledEventID = int64(sched)
	rest = rest[n:]
	t.Shard = noShard
	if body[0] == tokenVersion2 {
		shard, n := binary.Uvarint(rest)
		if n <= 0 || shard > math.MaxInt32 {
			return t, errBadToken
		}
		t.Shard, rest = int32(shard), rest[n:]
	}
	if t.Domain, rest, err = readString(rest); err != nil {
		return t, err
	}
	if t.RunID, rest, err = readString(rest); err != nil || len(rest) != 0 {
		return t, errBadToken
	}
	return t, nil
}

func readString(b []byte) (string, []byte, error) {
	l, n := binary.Uvarint(b)
	if n <= 0 || uint64(len(b)-n) < l {
		return "", nil, errBadToken
	}
	return string(b[n : n+int(l)]), b[n+int(l):], nil
}
