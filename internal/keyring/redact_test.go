package keyring

import (
	"errors"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		name, msg, secret, want string
	}{
		{"secret in message", "dbus: bad value hunter2 in call", "hunter2", "dbus: bad value [redacted] in call"},
		{"secret absent", "dbus: connection refused", "hunter2", "dbus: connection refused"},
		{"no secret (reads)", "dbus: connection refused", "", "dbus: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := redact(errors.New(tt.msg), tt.secret).Error()
			if got != tt.want {
				t.Fatalf("redact: got %q, want %q", got, tt.want)
			}
			if tt.secret != "" && strings.Contains(got, tt.secret) {
				t.Fatalf("redacted error %q still contains the secret", got)
			}
		})
	}
}
