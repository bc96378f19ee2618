package cli

import (
	"context"
	"os"
	"path/filepath"
	"testing"
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
