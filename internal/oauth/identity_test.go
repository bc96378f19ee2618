package oauth

import "testing"

func TestIdentity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   Identity
		want string
	}{
		{Identity{Subject: "248289761001", Email: "ann@example.com"}, "ann@example.com (subject 248289761001)"},
		{Identity{Subject: "248289761001", Username: "ann"}, "ann (subject 248289761001)"},
		{Identity{Subject: "alice"}, "alice"},
		{Identity{Subject: "ann@example.com", Email: "ann@example.com"}, "ann@example.com"},
		{Identity{Subject: "s\x1b[2J1", Email: "a\u202eb@example.com"}, "ab@example.com (subject s[2J1)"},
		{Identity{}, "an unnamed account"},
	}
	for _, tt := range tests {
		if got := tt.id.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.id, got, tt.want)
		}
	}
	a := Identity{Issuer: "https://idp", Subject: "1", Email: "old@example.com"}
	if !a.Same(Identity{Issuer: "https://idp", Subject: "1", Email: "new@example.com"}) {
		t.Error("a changed email made the same account another one")
	}
	if a.Same(Identity{Issuer: "https://idp", Subject: "2", Email: "old@example.com"}) || a.Same(Identity{Issuer: "https://other", Subject: "1"}) {
		t.Error("another subject or issuer counted as the same account")
	}
}
