package record_test

import (
	"testing"

	"github.com/tok-cli/tok/internal/record"
)

// TestServable: only a valid token, or an expired one nothing can renew
// when the caller allows it, is handed out as it is; everything else
// needs the provider, a login or a person.
func TestServable(t *testing.T) {
	static := record.Policy{Type: record.Static}
	oauthP := record.Policy{Type: record.OAuth}
	fed := record.Policy{Type: record.Federated}
	allow := record.Options{AllowExpired: true}
	for _, tc := range []struct {
		p    record.Policy
		st   record.Status
		opts record.Options
		want bool
	}{
		{static, record.StatusValid, record.Options{}, true},
		{oauthP, record.StatusValid, record.Options{}, true},
		{fed, record.StatusValid, record.Options{}, true},
		{oauthP, record.StatusStale, record.Options{}, false},
		{oauthP, record.StatusStale, allow, false},
		{static, record.StatusExpired, record.Options{}, false},
		{static, record.StatusExpired, allow, true},
		{oauthP, record.StatusExpired, allow, false},
		{fed, record.StatusExpired, allow, false},
		{oauthP, record.StatusLoginRequired, allow, false},
		{static, record.StatusNoToken, allow, false},
	} {
		if got := record.Servable(tc.p, tc.st, tc.opts); got != tc.want {
			t.Errorf("Servable(%s, %s, allow-expired=%v) = %v, want %v", tc.p.Type, tc.st, tc.opts.AllowExpired, got, tc.want)
		}
	}
}
