// Package kubeapi provides a tiny Kubernetes API server for tests that run
// the real kubectl against tok. It serves just enough of the API for
// `kubectl get pods` in the default namespace: /version (reporting 1.32, so
// the gcloud kubectl dispatcher runs its 1.32 client), legacy discovery, and
// GET /api/v1/namespaces/default/pods, which requires an accepted bearer
// token and answers 401 otherwise.
//
// Like a real API server, any request whose bearer token is not accepted gets
// 401, while requests without a token are treated as anonymous and may read
// /version and discovery only.
package kubeapi

import (
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// APIServer is a running test API server on 127.0.0.1 with TLS.
type APIServer struct {
	// URL is the server's https://127.0.0.1:PORT address.
	URL string
	// CAData is the PEM certificate kubectl must trust, as it goes into a
	// kubeconfig's certificate-authority-data (before base64).
	CAData []byte

	requests     atomic.Int64
	unauthorized atomic.Int64
	podLists     atomic.Int64
}

// PodName is the name of the single pod the server lists.
const PodName = "tok-test-pod"

// Version is the gitVersion the server reports at /version.
const Version = "v1.32.4"

// NewAPIServer starts a server that accepts the bearer tokens for which
// acceptToken returns true; acceptToken is called from concurrent requests.
// The server is closed when the test ends.
func NewAPIServer(t testing.TB, acceptToken func(token string) bool) *APIServer {
	t.Helper()
	s := &APIServer{}
	srv := httptest.NewTLSServer(s.handler(acceptToken))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	s.CAData = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return s
}

// Requests is the number of requests served so far.
func (s *APIServer) Requests() int { return int(s.requests.Load()) }

// Unauthorized is the number of requests answered with 401 so far.
func (s *APIServer) Unauthorized() int { return int(s.unauthorized.Load()) }

// PodLists is the number of pod lists served so far (authorized ones only).
func (s *APIServer) PodLists() int { return int(s.podLists.Load()) }

func (s *APIServer) handler(acceptToken func(string) bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]string{
			"major":      "1",
			"minor":      "32",
			"gitVersion": Version,
			"platform":   "linux/amd64",
		})
	})
	mux.HandleFunc("GET /api", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{
			"kind":                       "APIVersions",
			"versions":                   []string{"v1"},
			"serverAddressByClientCIDRs": []any{},
		})
	})
	mux.HandleFunc("GET /apis", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": []any{}})
	})
	mux.HandleFunc("GET /api/v1", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{
			"kind":         "APIResourceList",
			"groupVersion": "v1",
			"resources": []any{map[string]any{
				"name":         "pods",
				"singularName": "pod",
				"namespaced":   true,
				"kind":         "Pod",
				"verbs":        []string{"get", "list"},
				"shortNames":   []string{"po"},
			}},
		})
	})
	mux.HandleFunc("GET /api/v1/namespaces/default/pods", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := bearerToken(r); !ok {
			s.deny(w)
			return
		}
		s.podLists.Add(1)
		writeJSON(w, podList())
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if token, ok := bearerToken(r); ok && !acceptToken(token) {
			s.deny(w)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// deny answers 401 with the Status body a real API server sends.
func (s *APIServer) deny(w http.ResponseWriter) {
	s.unauthorized.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"kind":       "Status",
		"apiVersion": "v1",
		"metadata":   map[string]any{},
		"status":     "Failure",
		"message":    "Unauthorized",
		"reason":     "Unauthorized",
		"code":       http.StatusUnauthorized,
	})
}

func bearerToken(r *http.Request) (string, bool) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return token, ok && token != ""
}

func podList() map[string]any {
	return map[string]any{
		"kind":       "PodList",
		"apiVersion": "v1",
		"metadata":   map[string]any{"resourceVersion": "1"},
		"items": []any{map[string]any{
			"metadata": map[string]any{
				"name":              PodName,
				"namespace":         "default",
				"uid":               "00000000-0000-0000-0000-000000000001",
				"creationTimestamp": "2025-01-01T00:00:00Z",
			},
			"spec": map[string]any{
				"containers": []any{map[string]any{"name": "main", "image": "example.invalid/app:1"}},
			},
			"status": map[string]any{"phase": "Running"},
		}},
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
