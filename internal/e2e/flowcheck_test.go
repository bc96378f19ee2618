//go:build unix

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/testkit/oidcprovider"
)

// TestProfileAddRefusesUnsupportedFlow: a provider without a device
// endpoint (Hydra has none) refuses --flow device at profile add, naming
// the flows it supports, instead of failing at the first login.
func TestProfileAddRefusesUnsupportedFlow(t *testing.T) {
	t.Parallel()
	srv := newAuthServer(t, authserver.Options{})
	env := FileKeyEnv(t)
	r := Run(t, env, "", "profile", "add", "api", "--issuer", srv.Issuer(), "--client-id", clientID, "--flow", "device")
	WantCode(t, r, 2)
	WantStderr(t, r, "no device authorization endpoint", "--flow browser, client-credentials, password")
	if out := RunOK(t, env, "", "profile", "list"); strings.Contains(out, "api") {
		t.Errorf("a refused profile add left a profile behind:\n%s", out)
	}
	RunOK(t, env, "", "profile", "add", "api", "--issuer", srv.Issuer(), "--client-id", clientID, "--flow", "browser")
}

// TestDeviceFlowRefusedForClient: Keycloak lists a device endpoint for
// every client but has the grant off per client by default, and answers
// unauthorized_client. tok says what the administrator must enable and
// which login works meanwhile.
func TestDeviceFlowRefusedForClient(t *testing.T) {
	t.Parallel()
	p := oidcprovider.Start(t, oidcprovider.Options{Clients: []oidcprovider.Client{{ID: clientID,
		GrantTypes: []string{oidcprovider.GrantAuthorizationCode, oidcprovider.GrantRefreshToken}}}})
	env := FileKeyEnv(t)
	RunOK(t, env, "", "profile", "add", "kc", "--issuer", p.Issuer, "--client-id", clientID, "--flow", "device")
	r := Run(t, env, "", "login", "-p", "kc", "--timeout", "10s")
	WantCode(t, r, 1)
	WantStderr(t, r, "is not allowed for this client", "must enable the device authorization grant", "tok login -p kc --flow browser", "--remote")
	if r.Elapsed > 5*time.Second {
		t.Errorf("the refused device flow took %s to fail", r.Elapsed)
	}
}
