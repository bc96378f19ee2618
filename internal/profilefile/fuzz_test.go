package profilefile

import (
	"strings"
	"testing"
)

// aliasBomb is the "billion laughs" shape: each level refers to the one
// before it nine times. Expanded it would be 9^9 strings; Parse must refuse
// it without expanding anything.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x]\n")
	for i := 1; i <= 9; i++ {
		b.WriteString("a")
		b.WriteByte(byte('0' + i))
		b.WriteString(": &a")
		b.WriteByte(byte('0' + i))
		b.WriteString(" [")
		for j := range 9 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a")
			b.WriteByte(byte('0' + i - 1))
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// FuzzParse: Parse never panics, and whatever it accepts Encode writes as
// a file that Parse reads back to the same value.
//
//	go test -run='^$' -fuzz=FuzzParse ./internal/profilefile
func FuzzParse(f *testing.F) {
	seeds := []string{
		fullDoc,
		`{"version": 1, "profiles": [{"name": "gh", "type": "static", "env": ["GH_TOKEN"]}]}`,
		"version: 1\nprofiles:\n  - {name: a, type: oauth, issuer: 'https://x.example', client_id: c, scopes: []}\n",
		"version: 1\nprofiles:\n  - {name: a, type: static, colour: red}\n",
		"version: 1\nprofiles:\n  - {name: a, type: oauth, issuer: 'https://x.example', client_id: c, client_secret: s}\n",
		"version: 1\nprofiles:\n  - {name: a, type: oauth, issuer: 'https://x.example', client_id: 1e400, redirect_port: 99999999999999999999999, max_age: 9999999999999h}\n",
		"version: 99999999999999999999\nprofiles: []\n",
		"version: 1\nprofiles:\n  - &p {name: a, type: static}\n  - *p\n",
		"version: 1\nprofiles:\n  - name: a\n    type: static\n    <<: {description: x}\n",
		aliasBomb(),
		"version: 1\nprofiles:\n" + aliasBomb(),
		"version: 1\nprofiles:\n  - name: gha\n    type: federated\n    token_url: https://sts.example.com/token\n    federation: {grant: jwt-bearer, subject_token_command: 'cat /t'}\n",
		"version: 1\nprofiles:\n  - {name: a, type: static, description: \"\\u00e9t\\u00e9 \\U0001F600\"}\n",
		"version: 1\nprofiles:\n  - {name: a, type: static}\n---\nversion: 1\n",
		"version: 1\nprofiles:\n  - {name: a, type: oauth, issuer: 'https://x.example', client_id: '007', auth_params: {'': x, 'p q': ' v '}}\n",
		strings.Repeat("[", 5000),
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		profiles, err := Parse(data)
		if err != nil {
			if profiles != nil {
				t.Fatalf("Parse returned profiles with an error: %v", err)
			}
			return
		}
		assertRoundTrip(t, profiles)
	})
}
