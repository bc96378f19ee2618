package cli

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestServiceIsBuiltLazily: building the command tree and running a
// command that needs no Service builds none, and building it touches no
// file: the database and the key are opened by the operation itself.
func TestServiceIsBuiltLazily(t *testing.T) {
	home := filepath.Join(t.TempDir(), "tok")
	vars := map[string]string{}
	d, _, _, out, _ := testDeps(t, vars)
	vars["TOK_HOME"] = home // not created yet
	root := NewRootCmd(d)
	root.SetArgs([]string{"help", "exit-codes"})
	if err := root.ExecuteContext(context.Background()); err != nil || out.Len() == 0 {
		t.Fatalf("help: %v", err)
	}
	if d.svc != nil {
		t.Error("tok help built the Service")
	}
	if _, err := d.service(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(home); !os.IsNotExist(err) {
		t.Errorf("building the Service touched %s: %v", home, err)
	}
}

// TestServiceTimeoutsFromEnvironment: the TOK_*_TIMEOUT variables set the
// Service's timeouts; a value that is not a positive duration is a usage
// error naming the variable, before anything is opened.
func TestServiceTimeoutsFromEnvironment(t *testing.T) {
	d, _, _, _, _ := testDeps(t, map[string]string{"TOK_DB_TIMEOUT": "3s", "TOK_LOCK_TIMEOUT": "2m", "TOK_HTTP_TIMEOUT": "45s", "TOK_SHARED_CACHE_LEASE": "20s"})
	svc, err := d.service()
	if err != nil {
		t.Fatal(err)
	}
	if svc.Store.LockTimeout != 3*time.Second || svc.LockTimeout != 2*time.Minute || svc.HTTPTimeout != 45*time.Second || svc.SharedLease != 20*time.Second {
		t.Errorf("db lock %s, lock %s, http %s, shared lease %s", svc.Store.LockTimeout, svc.LockTimeout, svc.HTTPTimeout, svc.SharedLease)
	}
	for name, value := range map[string]string{"TOK_DB_TIMEOUT": "soon", "TOK_LOCK_TIMEOUT": "-1s", "TOK_HTTP_TIMEOUT": "0s", "TOK_SHARED_CACHE_TIMEOUT": "10"} {
		d, _, _, _, _ := testDeps(t, map[string]string{name: value})
		_, err := d.service()
		want := name + `="` + value + `" is not a positive duration (e.g. 30s, 2m)`
		if exitCode(err) != ExitUsage || err.Error() != want || d.svc != nil {
			t.Errorf("%s=%s: %v (exit %d), want %q", name, value, err, exitCode(err), want)
		}
	}
}
