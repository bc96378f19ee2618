package execcred_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/execcred"
)

func TestParseInfo(t *testing.T) {
	tests := []struct {
		name    string
		env     string
		want    execcred.Info
		wantErr string
	}{
		{
			name: "absent",
			env:  "",
			want: execcred.Info{APIVersion: execcred.APIVersionV1beta1},
		},
		{
			name: "v1 interactive",
			env:  `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":true}}`,
			want: execcred.Info{APIVersion: execcred.APIVersionV1, Interactive: true, Provided: true},
		},
		{
			name: "v1beta1 not interactive, trailing newline as kubectl sends it",
			env:  "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"spec\":{\"interactive\":false}}\n",
			want: execcred.Info{APIVersion: execcred.APIVersionV1beta1, Provided: true},
		},
		{
			name: "no apiVersion means v1beta1",
			env:  `{"spec":{"interactive":true}}`,
			want: execcred.Info{APIVersion: execcred.APIVersionV1beta1, Interactive: true, Provided: true},
		},
		{
			name: "cluster info",
			env: `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{` +
				`"server":"https://k8s.example:6443","tls-server-name":"k8s","insecure-skip-tls-verify":true,` +
				`"certificate-authority-data":"UEVN","proxy-url":"http://proxy:3128","disable-compression":true,` +
				`"config":{"tok":{"profile":"prod"}}},"interactive":false}}`,
			want: execcred.Info{
				APIVersion: execcred.APIVersionV1,
				Provided:   true,
				Cluster: &execcred.Cluster{
					Server:                   "https://k8s.example:6443",
					TLSServerName:            "k8s",
					InsecureSkipTLSVerify:    true,
					CertificateAuthorityData: []byte("PEM"),
					ProxyURL:                 "http://proxy:3128",
					DisableCompression:       true,
					Config:                   json.RawMessage(`{"tok":{"profile":"prod"}}`),
				},
			},
		},
		{
			name:    "malformed JSON",
			env:     `{"kind":`,
			wantErr: "could not parse KUBERNETES_EXEC_INFO",
		},
		{
			name:    "not an object",
			env:     `"ExecCredential"`,
			wantErr: "want a JSON ExecCredential object",
		},
		{
			name:    "JSON null",
			env:     "null",
			wantErr: "want a JSON ExecCredential object",
		},
		{
			name:    "only whitespace",
			env:     " \n",
			wantErr: "want a JSON ExecCredential object",
		},
		{
			name:    "wrong type for interactive",
			env:     `{"apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":"yes"}}`,
			wantErr: "could not parse KUBERNETES_EXEC_INFO",
		},
		{
			name:    "unknown apiVersion",
			env:     `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1alpha1","spec":{}}`,
			wantErr: `unsupported apiVersion "client.authentication.k8s.io/v1alpha1"`,
		},
		{
			name:    "wrong kind",
			env:     `{"kind":"Pod","apiVersion":"client.authentication.k8s.io/v1","spec":{}}`,
			wantErr: `has kind "Pod", want "ExecCredential"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := execcred.ParseInfo(tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseInfo error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseInfo: %v", err)
			}
			if !equalInfo(got, tt.want) {
				t.Errorf("ParseInfo =\n%+v (cluster %+v)\nwant\n%+v (cluster %+v)", got, got.Cluster, tt.want, tt.want.Cluster)
			}
		})
	}
}

func equalInfo(a, b execcred.Info) bool {
	if a.APIVersion != b.APIVersion || a.Interactive != b.Interactive || a.Provided != b.Provided {
		return false
	}
	if (a.Cluster == nil) != (b.Cluster == nil) {
		return false
	}
	if a.Cluster == nil {
		return true
	}
	ca, cb := *a.Cluster, *b.Cluster
	return ca.Server == cb.Server && ca.TLSServerName == cb.TLSServerName &&
		ca.InsecureSkipTLSVerify == cb.InsecureSkipTLSVerify && ca.ProxyURL == cb.ProxyURL &&
		ca.DisableCompression == cb.DisableCompression &&
		bytes.Equal(ca.CertificateAuthorityData, cb.CertificateAuthorityData) &&
		bytes.Equal(ca.Config, cb.Config)
}

func TestWrite(t *testing.T) {
	expiry := time.Date(2030, 1, 2, 4, 4, 5, 999_000_000, time.FixedZone("CET", 3600))
	tests := []struct {
		name   string
		info   execcred.Info
		expiry time.Time
		want   string
	}{
		{
			name:   "v1 with expiry in UTC, rounded down to the second",
			info:   execcred.Info{APIVersion: execcred.APIVersionV1},
			expiry: expiry,
			want:   `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"expirationTimestamp":"2030-01-02T03:04:05Z","token":"tkn"}}`,
		},
		{
			name:   "v1beta1",
			info:   execcred.Info{APIVersion: execcred.APIVersionV1beta1},
			expiry: expiry,
			want:   `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","status":{"expirationTimestamp":"2030-01-02T03:04:05Z","token":"tkn"}}`,
		},
		{
			name: "no apiVersion means v1beta1",
			info: execcred.Info{},
			want: `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","status":{"token":"tkn"}}`,
		},
		{
			name: "zero expiry is omitted",
			info: execcred.Info{APIVersion: execcred.APIVersionV1},
			want: `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"tkn"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := execcred.Write(&buf, tt.info, "tkn", tt.expiry); err != nil {
				t.Fatalf("Write: %v", err)
			}
			if got := buf.String(); got != tt.want+"\n" {
				t.Errorf("Write wrote\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	const secret = "s3cret-token"
	tests := []struct {
		name    string
		info    execcred.Info
		token   string
		w       *failingWriter
		wantErr string
	}{
		{name: "empty token", info: execcred.Info{APIVersion: execcred.APIVersionV1}, wantErr: "the token is empty"},
		{name: "unsupported apiVersion", info: execcred.Info{APIVersion: "client.authentication.k8s.io/v1alpha1"}, token: secret, wantErr: "unsupported apiVersion"},
		{name: "writer fails", info: execcred.Info{APIVersion: execcred.APIVersionV1}, token: secret, w: &failingWriter{}, wantErr: "broken pipe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			var w io.Writer = &buf
			if tt.w != nil {
				w = tt.w
			}
			err := execcred.Write(w, tt.info, tt.token, time.Time{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Write error = %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error reveals the token: %v", err)
			}
			if buf.Len() != 0 {
				t.Errorf("Write wrote %q despite failing", buf.String())
			}
		})
	}
}

type failingWriter struct{}

func (*failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestClusterProfile(t *testing.T) {
	tests := []struct {
		name    string
		cluster *execcred.Cluster
		want    string
		wantOK  bool
	}{
		{name: "no cluster"},
		{name: "no config", cluster: &execcred.Cluster{Server: "https://k"}},
		{name: "null config", cluster: &execcred.Cluster{Config: json.RawMessage(`null`)}},
		{name: "tok key", cluster: &execcred.Cluster{Config: json.RawMessage(`{"tok":{"profile":"prod"}}`)}, want: "prod", wantOK: true},
		{name: "shorthand", cluster: &execcred.Cluster{Config: json.RawMessage(`{"profile":"dev"}`)}, want: "dev", wantOK: true},
		{name: "tok key wins over shorthand", cluster: &execcred.Cluster{Config: json.RawMessage(`{"profile":"dev","tok":{"profile":"prod"}}`)}, want: "prod", wantOK: true},
		{name: "other plugins' keys only", cluster: &execcred.Cluster{Config: json.RawMessage(`{"audience":"06e3fbd18de8"}`)}},
		{name: "empty profile", cluster: &execcred.Cluster{Config: json.RawMessage(`{"tok":{"profile":""}}`)}},
		{name: "config is a string", cluster: &execcred.Cluster{Config: json.RawMessage(`"prod"`)}},
		{name: "profile of the wrong type", cluster: &execcred.Cluster{Config: json.RawMessage(`{"tok":{"profile":7}}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := execcred.ClusterProfile(execcred.Info{Cluster: tt.cluster})
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("ClusterProfile = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// FuzzParseInfo checks that ParseInfo never panics, that whatever it accepts
// can be answered, and that the answer reads back with the same apiVersion.
func FuzzParseInfo(f *testing.F) {
	f.Add("")
	f.Add(`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":true}}`)
	f.Add(`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"cluster":{"server":"https://127.0.0.1:6443","config":{"tok":{"profile":"p"}}},"interactive":false}}` + "\n")
	f.Fuzz(func(t *testing.T, env string) {
		info, err := execcred.ParseInfo(env)
		if err != nil {
			if info != (execcred.Info{}) {
				t.Errorf("ParseInfo returned %+v along with error %v", info, err)
			}
			return
		}
		if info.APIVersion != execcred.APIVersionV1 && info.APIVersion != execcred.APIVersionV1beta1 {
			t.Fatalf("ParseInfo accepted apiVersion %q", info.APIVersion)
		}
		execcred.ClusterProfile(info)
		var buf bytes.Buffer
		if err := execcred.Write(&buf, info, "token", time.Unix(1700000000, 0)); err != nil {
			t.Fatalf("Write rejected accepted info %+v: %v", info, err)
		}
		back, err := execcred.ParseInfo(buf.String())
		if err != nil {
			t.Fatalf("ParseInfo rejected Write's own output %s: %v", buf.String(), err)
		}
		if back.APIVersion != info.APIVersion {
			t.Errorf("round trip changed apiVersion from %q to %q", info.APIVersion, back.APIVersion)
		}
	})
}
