package dockerconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigureKeepsEverythingElse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	orig := `{"auths":{"a.example.com":{"auth":"xyz"}},"psFormat":"table","credHelpers":{"gcr.io":"gcloud"},"zzz":[1,2]}`
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	changed, err := Configure(path, []string{"harbor.example.com"}, "tok")
	if err != nil || !changed {
		t.Fatalf("Configure = %v, %v", changed, err)
	}
	b, _ := os.ReadFile(path)
	got := string(b)
	for _, want := range []string{`"auth": "xyz"`, `"psFormat": "table"`, `"gcr.io": "gcloud"`, `"harbor.example.com": "tok"`, `"zzz": [`} {
		if !strings.Contains(got, want) {
			t.Errorf("config lacks %s:\n%s", want, got)
		}
	}
	if strings.Index(got, "auths") > strings.Index(got, "psFormat") || strings.Index(got, "psFormat") > strings.Index(got, "zzz") {
		t.Errorf("member order changed:\n%s", got)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode())
	}
	if changed, err := Configure(path, []string{"harbor.example.com"}, "tok"); err != nil || changed {
		t.Errorf("a second Configure = %v, %v; want no change", changed, err)
	}
	if changed, err := Configure(path, nil, "tok"); err != nil || !changed {
		t.Fatalf("Configure credsStore = %v, %v", changed, err)
	}
	b, _ = os.ReadFile(path)
	if !strings.Contains(string(b), `"credsStore": "tok"`) {
		t.Errorf("credsStore not set:\n%s", b)
	}
}

func TestConfigureCreatesAndRefuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", ".docker")
	path := filepath.Join(dir, "config.json")
	if _, err := Configure(path, nil, "tok"); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("created directory: %v %v, want 0700", info.Mode(), err)
	}
	for _, bad := range []string{`not json`, `[1]`, `{"credHelpers":[1]}`, `{} {}`} {
		p := filepath.Join(t.TempDir(), "config.json")
		if err := os.WriteFile(p, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Configure(p, []string{"r"}, "tok"); err == nil {
			t.Errorf("Configure accepted %q", bad)
		}
		if b, _ := os.ReadFile(p); string(b) != bad {
			t.Errorf("Configure changed an invalid file %q to %q", bad, b)
		}
	}
}

func TestPath(t *testing.T) {
	env := map[string]string{"HOME": "/home/me"}
	if p, _ := Path(func(k string) string { return env[k] }); p != "/home/me/.docker/config.json" {
		t.Errorf("Path = %s", p)
	}
	env["DOCKER_CONFIG"] = "/etc/dc"
	if p, _ := Path(func(k string) string { return env[k] }); p != "/etc/dc/config.json" {
		t.Errorf("Path with DOCKER_CONFIG = %s", p)
	}
}
