package auth

import "testing"

func TestSignIn(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte(`{"accountId": "123456789012", "principals": [
		{"name": "alice", "accessKeyId": "AKIAALICE", "secretAccessKey": "alice-secret", "policies": []}]}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, key, secret string
		want              bool
	}{
		{"OK", "AKIAALICE", "alice-secret", true},
		{"WrongSecret", "AKIAALICE", "alice-secreT", false},
		{"EmptySecret", "AKIAALICE", "", false},
		{"UnknownKey", "AKIABOB", "alice-secret", false},
		{"SentinelSecret", "AKIABOB", "\x00no principal has this key", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, ok := cfg.SignIn(tt.key, tt.secret)
			if ok != tt.want || (ok && p.Name() != "alice") {
				t.Fatalf("SignIn(%q, %q) = %v, %v; want ok %v for alice", tt.key, tt.secret, p, ok, tt.want)
			}
		})
	}
}
