package kubeapi_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/tok-cli/tok/internal/testkit/kubeapi"
)

func TestAPIServer(t *testing.T) {
	api := kubeapi.NewAPIServer(t, func(token string) bool { return token == "good" })
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(api.CAData) {
		t.Fatal("CAData holds no PEM certificate")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}

	tests := []struct {
		path     string
		token    string
		wantCode int
		wantKind string
	}{
		{path: "/version", wantCode: http.StatusOK},
		{path: "/version", token: "good", wantCode: http.StatusOK},
		{path: "/version", token: "bad", wantCode: http.StatusUnauthorized, wantKind: "Status"},
		{path: "/api", wantCode: http.StatusOK, wantKind: "APIVersions"},
		{path: "/api/v1", token: "good", wantCode: http.StatusOK, wantKind: "APIResourceList"},
		{path: "/api/v1/namespaces/default/pods", token: "good", wantCode: http.StatusOK, wantKind: "PodList"},
		{path: "/api/v1/namespaces/default/pods", token: "bad", wantCode: http.StatusUnauthorized, wantKind: "Status"},
		{path: "/api/v1/namespaces/default/pods", wantCode: http.StatusUnauthorized, wantKind: "Status"},
		{path: "/api/v1/namespaces/other/pods", token: "good", wantCode: http.StatusNotFound},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(http.MethodGet, api.URL+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tt.token != "" {
			req.Header.Set("Authorization", "Bearer "+tt.token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", tt.path, err)
		}
		var body struct {
			Kind       string `json:"kind"`
			GitVersion string `json:"gitVersion"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tt.wantCode || body.Kind != tt.wantKind {
			t.Errorf("GET %s with token %q = %d kind %q, want %d kind %q", tt.path, tt.token, resp.StatusCode, body.Kind, tt.wantCode, tt.wantKind)
		}
		if tt.path == "/version" && tt.wantCode == http.StatusOK && body.GitVersion != kubeapi.Version {
			t.Errorf("/version reports %q, want %q", body.GitVersion, kubeapi.Version)
		}
	}
	if got, want := api.Requests(), len(tests); got != want {
		t.Errorf("Requests() = %d, want %d", got, want)
	}
	if got, want := api.Unauthorized(), 3; got != want {
		t.Errorf("Unauthorized() = %d, want %d", got, want)
	}
	if got, want := api.PodLists(), 1; got != want {
		t.Errorf("PodLists() = %d, want %d", got, want)
	}
}
