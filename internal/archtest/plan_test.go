package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// planVars are the variables whose rules internal/plan holds: which
// profile a request is for (TOK_PROFILE), whether TOK_ISSUER or
// TOK_TOKEN_URL make it an ephemeral one, and whether debug logging is on
// (TOK_DEBUG).
var planVars = map[string]bool{"TOK_PROFILE": true, "TOK_ISSUER": true, "TOK_TOKEN_URL": true, "TOK_DEBUG": true}

// readsAllowed are the other files that name one of planVars, and why.
var readsAllowed = map[string]map[string]bool{
	// After plan.Ephemeral decided, tok-full reads their values to build
	// the ephemeral profile.
	"internal/cli/ephemeral.go": {"TOK_ISSUER": true, "TOK_TOKEN_URL": true},
}

// TestRequestRulesHaveOneHome: the front and tok-full must pick the same
// profile, hand over on the same ephemeral rule and agree on TOK_DEBUG,
// so those rules live in internal/plan alone, which both call. A package
// that names one of these variables itself is growing a second copy.
func TestRequestRulesHaveOneHome(t *testing.T) {
	root := filepath.Join("..", "..")
	seen := 0
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if e.IsDir() {
			if path != root && (strings.HasPrefix(e.Name(), ".") || e.Name() == "node_modules" || e.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") || strings.HasPrefix(rel, "internal/plan/") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		seen++
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if v, err := strconv.Unquote(lit.Value); err == nil && planVars[v] && !readsAllowed[rel][v] {
				t.Errorf("%s names %s: read it through internal/plan (Profile, Ephemeral, Debug), the one rule the front and tok-full share", rel, v)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 100 {
		t.Fatalf("read %d Go files; expected all of tok's", seen)
	}
}
