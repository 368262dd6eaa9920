package auth

import "crypto/subtle"

// SignIn returns the principal whose access key id and secret these are,
// for a sign-in that presents the pair itself (the web console) rather than
// a signature made with it. The secret is compared in constant time; an
// unknown key and a wrong secret are refused alike, so the answer does not
// tell which key ids exist.
func (c *Config) SignIn(accessKeyID, secret string) (*Principal, bool) {
	p := c.byKey[accessKeyID]
	want := "\x00no principal has this key" // compared anyway, so both refusals take as long
	if p != nil {
		want = p.secret
	}
	ok := subtle.ConstantTimeCompare([]byte(secret), []byte(want)) == 1 && p != nil
	if !ok {
		return nil, false
	}
	return p, true
}
