package output

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/execcred"
	"github.com/tok-cli/tok/internal/record"
)

// TestExecCredentialExpiryInFuture: kubectl runs the plugin before every
// request while expirationTimestamp is in the past, so a valid token's
// timestamp must always lie ahead, whatever its lifetime and margin.
func TestExecCredentialExpiryInFuture(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		lifetime time.Duration // the token was obtained now
		elapsed  time.Duration // handed out this long after
		margin   time.Duration // profile setting
		want     time.Time
	}{
		{"hour token, default margin", time.Hour, 0, time.Minute, now.Add(59 * time.Minute)},
		{"20 s token, default margin", 20 * time.Second, 0, time.Minute, now.Add(10 * time.Second)},
		{"20 s token handed out inside its margin (refresh failed)", 20 * time.Second, 16 * time.Second, time.Minute, now.Add(18 * time.Second)},
		{"margin longer than the lifetime, set by hand", 10 * time.Second, 0, 10 * time.Minute, now.Add(5 * time.Second)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &record.State{Obtained: now, Expiry: now.Add(tc.lifetime)}
			pol := record.Policy{Type: record.OAuth, RefreshMargin: record.Duration(tc.margin)}
			cred := record.Credential{Token: "t", Expiry: st.Expiry, Margin: pol.MarginFor(st, record.K8sAccessToken)}
			at := now.Add(tc.elapsed)
			var buf bytes.Buffer
			if err := WriteExecCredential(&buf, execcred.Info{APIVersion: execcred.APIVersionV1}, cred, at); err != nil {
				t.Fatal(err)
			}
			var out struct {
				Status struct {
					ExpirationTimestamp time.Time `json:"expirationTimestamp"`
				} `json:"status"`
			}
			if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
				t.Fatal(err)
			}
			got := out.Status.ExpirationTimestamp
			if !got.After(at) || !got.Before(cred.Expiry) {
				t.Errorf("expirationTimestamp %s is not between now %s and the token's expiry %s", got, at, cred.Expiry)
			}
			if !got.Equal(tc.want.Truncate(time.Second)) && !got.Equal(tc.want) {
				t.Errorf("expirationTimestamp = %s, want %s", got, tc.want)
			}
		})
	}
}
