// Package execcred speaks the client.authentication.k8s.io ExecCredential
// protocol that kubectl (client-go) uses to run credential plugins: it reads
// the request kubectl passes in KUBERNETES_EXEC_INFO and writes the
// ExecCredential answer to stdout.
//
// The package runs on every kubectl command, so it uses small local structs
// that follow the published v1 and v1beta1 schema instead of client-go (whose
// scheme registration alone costs more start-up time than the whole cached
// path may take), and it does no work at init time.
//
// # What kubectl sends
//
// client-go always sets KUBERNETES_EXEC_INFO, in the apiVersion configured in
// the kubeconfig's exec stanza. spec.interactive tells whether the plugin got
// kubectl's stdin: it is true only when stdin is a terminal and the stanza's
// interactiveMode allows it (IfAvailable or Always; with Always and no
// terminal kubectl fails without running the plugin). In v1 the field is
// always present. spec.cluster is present only when the stanza sets
// provideClusterInfo: true. kubectl_test.go checks all of this, and that the
// answer is accepted, against the real kubectl.
//
// # Choosing a profile per cluster
//
// kubectl does not pass arbitrary cluster extensions to a plugin. It passes
// exactly one: the extension named "client.authentication.k8s.io/exec" (a
// name reserved for per-cluster exec plugin config), as spec.cluster.config.
// A kubeconfig therefore names tok's profile for a cluster like this:
//
//	clusters:
//	- name: prod
//	  cluster:
//	    server: https://prod.example.com
//	    extensions:
//	    - name: client.authentication.k8s.io/exec
//	      extension:
//	        tok:
//	          profile: prod-oidc
//
// The profile sits under a "tok" key because the same cluster entry may serve
// users of other plugins, which read their own keys (for example an audience)
// from the same extension. A bare top-level "profile" key is accepted too, as
// a shorthand for kubeconfigs used only with tok; the "tok" key wins when
// both are present. The user's exec stanza must set provideClusterInfo: true,
// or kubectl sends no cluster at all.
package execcred

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// The ExecCredential API versions tok understands. v1alpha1 was removed from
// client-go in Kubernetes 1.24 and is not supported.
const (
	APIVersionV1      = "client.authentication.k8s.io/v1"
	APIVersionV1beta1 = "client.authentication.k8s.io/v1beta1"
)

// EnvVar is the environment variable kubectl uses to pass the request.
const EnvVar = "KUBERNETES_EXEC_INFO"

// ClusterExtensionName is the kubeconfig cluster extension whose content
// kubectl passes to the plugin as spec.cluster.config.
const ClusterExtensionName = "client.authentication.k8s.io/exec"

const kindExecCredential = "ExecCredential"

// Info is the request kubectl passes in KUBERNETES_EXEC_INFO.
type Info struct {
	// APIVersion is APIVersionV1 or APIVersionV1beta1; the answer must use
	// the same version or kubectl rejects it.
	APIVersion string
	// Interactive reports whether kubectl handed its stdin to the plugin, so
	// the plugin may prompt (on stderr). False when Provided is false.
	Interactive bool
	// Provided reports whether KUBERNETES_EXEC_INFO was set at all. kubectl
	// always sets it; when it is missing tok was started some other way and
	// the caller should decide interactivity itself (for example by checking
	// whether stdin is a terminal).
	Provided bool
	// Cluster is non-nil only when the exec stanza sets provideClusterInfo.
	Cluster *Cluster
}

// Cluster is the cluster kubectl is authenticating to, as passed in
// spec.cluster. Field names follow the published schema.
type Cluster struct {
	Server                   string `json:"server"`
	TLSServerName            string `json:"tls-server-name,omitempty"`
	InsecureSkipTLSVerify    bool   `json:"insecure-skip-tls-verify,omitempty"`
	CertificateAuthorityData []byte `json:"certificate-authority-data,omitempty"`
	ProxyURL                 string `json:"proxy-url,omitempty"`
	DisableCompression       bool   `json:"disable-compression,omitempty"`
	// Config is the raw JSON content of the cluster's
	// "client.authentication.k8s.io/exec" extension, if any.
	Config json.RawMessage `json:"config,omitempty"`
}

// request mirrors the fields of the incoming ExecCredential that tok reads.
type request struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		Interactive bool     `json:"interactive"`
		Cluster     *Cluster `json:"cluster"`
	} `json:"spec"`
}

// ParseInfo parses the value of KUBERNETES_EXEC_INFO. An empty value yields
// the defaults: APIVersionV1beta1, not interactive, not provided.
func ParseInfo(env string) (Info, error) {
	if env == "" {
		return Info{APIVersion: APIVersionV1beta1}, nil
	}
	trimmed := bytes.TrimSpace([]byte(env))
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return Info{}, fmt.Errorf("could not parse %s: want a JSON ExecCredential object; it should be set by kubectl, not by hand", EnvVar)
	}
	var req request
	if err := json.Unmarshal(trimmed, &req); err != nil {
		return Info{}, fmt.Errorf("could not parse %s as an ExecCredential (it should be set by kubectl, not by hand): %w", EnvVar, err)
	}
	if req.Kind != "" && req.Kind != kindExecCredential {
		return Info{}, fmt.Errorf("%s has kind %q, want %q; it should be set by kubectl, not by hand", EnvVar, req.Kind, kindExecCredential)
	}
	version := req.APIVersion
	if version == "" {
		version = APIVersionV1beta1
	}
	if !supported(version) {
		return Info{}, fmt.Errorf("%s has unsupported apiVersion %q; set the kubeconfig exec apiVersion to %s or %s", EnvVar, req.APIVersion, APIVersionV1, APIVersionV1beta1)
	}
	return Info{
		APIVersion:  version,
		Interactive: req.Spec.Interactive,
		Provided:    true,
		Cluster:     req.Spec.Cluster,
	}, nil
}

func supported(version string) bool {
	return version == APIVersionV1 || version == APIVersionV1beta1
}

// response is the ExecCredential tok writes. It carries no spec: the
// published examples omit it and client-go ignores it in a plugin's answer.
type response struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Status     status `json:"status"`
}

type status struct {
	ExpirationTimestamp string `json:"expirationTimestamp,omitempty"`
	Token               string `json:"token"`
}

// Write writes the ExecCredential answer for info: a bearer token and, unless
// expiry is zero, its expiry in RFC 3339 (UTC, whole seconds, rounded down so
// kubectl never uses the token past expiry). The apiVersion is info's, or
// v1beta1 when info has none. The output is written with a single Write call.
func Write(w io.Writer, info Info, token string, expiry time.Time) error {
	if token == "" {
		return errors.New("could not write ExecCredential: the token is empty")
	}
	version := info.APIVersion
	if version == "" {
		version = APIVersionV1beta1
	}
	if !supported(version) {
		return fmt.Errorf("could not write ExecCredential: unsupported apiVersion %q; use %s or %s", version, APIVersionV1, APIVersionV1beta1)
	}
	resp := response{
		Kind:       kindExecCredential,
		APIVersion: version,
		Status:     status{Token: token},
	}
	if !expiry.IsZero() {
		resp.Status.ExpirationTimestamp = expiry.UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	data, err := json.Marshal(resp)
	if err != nil {
		return fmt.Errorf("could not encode ExecCredential: %w", err)
	}
	data = append(data, '\n')
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("could not write ExecCredential: %w", err)
	}
	return nil
}

// clusterConfig is the part of the "client.authentication.k8s.io/exec"
// cluster extension that tok reads.
type clusterConfig struct {
	Tok *struct {
		Profile string `json:"profile"`
	} `json:"tok"`
	Profile string `json:"profile"`
}

// ClusterProfile returns the tok profile named by the cluster kubectl is
// authenticating to (see the package comment for the kubeconfig layout), and
// whether one was named. It reports false when kubectl sent no cluster, the
// cluster has no exec extension, or the extension names no profile.
func ClusterProfile(info Info) (string, bool) {
	if info.Cluster == nil {
		return "", false
	}
	raw := bytes.TrimSpace(info.Cluster.Config)
	if len(raw) == 0 || raw[0] != '{' {
		return "", false
	}
	var cfg clusterConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return "", false
	}
	if cfg.Tok != nil && cfg.Tok.Profile != "" {
		return cfg.Tok.Profile, true
	}
	if cfg.Profile != "" {
		return cfg.Profile, true
	}
	return "", false
}
