package tokens

import (
	"encoding/json"
	"reflect"
	"testing"
)

// oldProfileJSON is a profile with every field set, as tok wrote it before
// Profile embedded record.Profile and OAuthConfig embedded
// record.OAuthSettings.
const oldProfileJSON = `{"name":"api","type":"federated","description":"d","env":["API_TOKEN"],"created":"2026-11-01T09:30:00Z",` +
	`"oauth":{"issuer":"https://id.example.com","endpoints":{"issuer":"https://id.example.com","authorization_endpoint":"https://id.example.com/auth",` +
	`"token_endpoint":"https://id.example.com/token","revocation_endpoint":"https://id.example.com/revoke","jwks_uri":"https://id.example.com/jwks"},` +
	`"discovered_at":"2026-11-01T09:29:00Z","explicit_endpoints":true,"client_id":"tok","client_secret":"c2VhbGVk","scopes":["openid","offline_access"],` +
	`"audience":"aud","resources":["https://api.example.com"],"flow":"client-credentials","auth_params":{"prompt":"consent"},"redirect_port":8765,` +
	`"refresh_margin":"1m30s","ca_file":"/etc/ca.pem","k8s_token":"id-token","username":"u","max_age":"2h0m0s","client_auth":"post",` +
	`"client_auth_seen":"basic","provider":"entra"},"federation":{"grant":"token-exchange","source":{"env":"CI_JOB_JWT"},` +
	`"subject_token_type":"urn:ietf:params:oauth:token-type:jwt"},"shared_cache":{"url":"rediss://cache.example.com:6380","namespace":"team"},` +
	`"remotes":{"git":["https://git.example.com/org/"],"git_username":"oauth2","registries":["registry.example.com"],"stored_by":"git"}}`

// TestProfileJSONUnchanged: a stored profile decodes into Profile and
// encodes back to the same members and values, so databases written
// before and after the shared record type read alike.
func TestProfileJSONUnchanged(t *testing.T) {
	var p Profile
	if err := json.Unmarshal([]byte(oldProfileJSON), &p); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var was, is map[string]any
	if err := json.Unmarshal([]byte(oldProfileJSON), &was); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &is); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(was, is) {
		t.Errorf("a stored profile changed on a round trip:\nwas %s\nis  %s", oldProfileJSON, out)
	}
	if p.Name != "api" || p.OAuth.Flow != "client-credentials" || p.OAuth.K8sToken != "id-token" || p.Remotes.StoredBy != "git" {
		t.Errorf("decoded %+v, oauth %+v", p, p.OAuth)
	}
}
