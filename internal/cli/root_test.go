package cli

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestRootRunOffATerminal: tok without a command, off a terminal, is help
// and opens nothing.
func TestRootRunOffATerminal(t *testing.T) {
	d, _, _, _, _ := testDeps(t, nil)
	helped := false
	if err := d.runRoot(t.Context(), func() error { helped = true; return nil }); err != nil || !helped || d.svc != nil {
		t.Errorf("err %v, help shown %v, service built %v", err, helped, d.svc != nil)
	}
}

// TestNewCmdRoot: the global flags parse into the Deps before a command
// runs, and a misspelt command is a usage error that suggests the right one.
func TestNewCmdRoot(t *testing.T) {
	d, _, _, _, _ := testDeps(t, nil)
	home := t.TempDir()
	if o := parsed(t, d, newCmdVersion, "--home", home, "-p", "api", "--debug", "--passphrase-stdin"); o == nil ||
		d.homeFlag != home || d.profileFlag != "api" || !d.debug || !d.passphraseStdin {
		t.Errorf("global flags: home %q profile %q debug %v passphrase-stdin %v", d.homeFlag, d.profileFlag, d.debug, d.passphraseStdin)
	}
	d, _, _, _, errOut := testDeps(t, nil)
	if code := d.run("tokn"); code != ExitUsage {
		t.Errorf("tok tokn: exit %d, want %d", code, ExitUsage)
	}
	wantLine(t, errOut.String(), `tok: unknown command "tokn"; did you mean token?`)
}

// TestHelpTopics: tok help TOPIC and tok TOPIC print the topic's text and
// nothing else, and open nothing.
func TestHelpTopics(t *testing.T) {
	for topic, text := range map[string]string{"environment": environmentHelp(), "exit-codes": exitCodesHelp} {
		for _, argv := range [][]string{{"help", topic}, {topic}, {topic, "--help"}} {
			d, _, _, out, errOut := testDeps(t, nil)
			if code := d.run(argv...); code != ExitOK || out.String() != text || errOut.Len() != 0 || d.svc != nil {
				t.Errorf("tok %s: exit %d, stdout %d bytes (want the topic's %d), stderr %q, service built %v", strings.Join(argv, " "), code, out.Len(), len(text), errOut, d.svc != nil)
			}
		}
	}
}

// TestCommandGroups: a command that only groups others (tok profile, tok
// config key, ...) shows its help, and an unknown word after it is a usage
// error that names it.
func TestCommandGroups(t *testing.T) {
	for _, path := range commandGroups(t) {
		argv := strings.Fields(strings.TrimPrefix(path, "tok "))
		d, _, _, out, errOut := testDeps(t, nil)
		if code := d.run(argv...); code != ExitOK || !strings.Contains(out.String(), "Available Commands:") || errOut.Len() != 0 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", path, code, out, errOut)
		}
		d, _, _, out, errOut = testDeps(t, nil)
		if code := d.run(append(argv, "bogus")...); code != ExitUsage || out.Len() != 0 ||
			!strings.HasPrefix(errOut.String(), fmt.Sprintf("tok: unknown command %q; see the commands with: %s --help", strings.TrimPrefix(path, "tok ")+" bogus", path)) {
			t.Errorf("%s bogus: exit %d, stdout %q, stderr %q", path, code, out, errOut)
		}
	}
}

// commandGroups is the path of every command below the root that has
// subcommands.
func commandGroups(t *testing.T) []string {
	d, _, _, _, _ := testDeps(t, nil)
	var groups []string
	for path, cmd := range commandTree(NewRootCmd(d)) {
		if cmd.HasSubCommands() && cmd.HasParent() {
			groups = append(groups, path)
		}
	}
	slices.Sort(groups)
	return groups
}

// commandTree is every command of the tree under root by its path (tok
// profile add), root included; cobra's help and completion commands are
// added only when the tree runs, so they are not in it.
func commandTree(root *cobra.Command) map[string]*cobra.Command {
	tree := map[string]*cobra.Command{}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		tree[c.CommandPath()] = c
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return tree
}

// commandTests names, for every command of tok's tree, its in-process
// tests: the one that parses its command line into its Options (the
// TestNewCmdX of the package doc) and the one that runs it on a test
// Deps. TestEveryCommandIsTested keeps it whole: a new command fails
// until it has both tests and its row here.
var commandTests = map[string]struct{ parse, run string }{
	"tok":                            {"TestNewCmdRoot", "TestRootRunOffATerminal"},
	"tok config":                     {"TestCommandGroups", "TestCommandGroups"},
	"tok config get":                 {"TestNewCmdConfig", "TestConfigRun"},
	"tok config key":                 {"TestCommandGroups", "TestCommandGroups"},
	"tok config key export":          {"TestNewCmdConfig", "TestConfigRun"},
	"tok config list":                {"TestNewCmdConfig", "TestConfigRun"},
	"tok config passphrase":          {"TestCommandGroups", "TestCommandGroups"},
	"tok config passphrase change":   {"TestNewCmdConfig", "TestPassphrasesFromStdin"},
	"tok config set":                 {"TestNewCmdConfig", "TestConfigRun"},
	"tok docker":                     {"TestCommandGroups", "TestCommandGroups"},
	"tok docker configure":           {"TestNewCmdDocker", "TestDockerConfigureRun"},
	"tok docker-credential":          {"TestNewCmdDocker", "TestDockerCredentialRunOAuth"},
	"tok environment":                {"TestHelpTopics", "TestHelpTopics"},
	"tok exec":                       {"TestNewCmdExec", "TestExecRun"},
	"tok exit-codes":                 {"TestHelpTopics", "TestHelpTopics"},
	"tok git-credential":             {"TestNewCmdGitCredential", "TestGitCredentialRun"},
	"tok inspect":                    {"TestNewCmdInspect", "TestInspectRun"},
	"tok kube":                       {"TestNewCmdKube", "TestKubeRun"},
	"tok kubeconfig":                 {"TestCommandGroups", "TestCommandGroups"},
	"tok kubeconfig set-credentials": {"TestNewCmdKubeconfig", "TestSetCredentialsRun"},
	"tok lock":                       {"TestNewCmdUnlockAndLock", "TestLockWithoutPassphrase"},
	"tok login":                      {"TestNewCmdLogin", "TestLoginRunBrowser"},
	"tok profile":                    {"TestCommandGroups", "TestCommandGroups"},
	"tok profile add":                {"TestNewCmdProfileAdd", "TestProfileAddRun"},
	"tok profile export":             {"TestNewCmdProfileExportAndImport", "TestProfileExportImportRun"},
	"tok profile import":             {"TestNewCmdProfileExportAndImport", "TestProfileExportImportRun"},
	"tok profile list":               {"TestNewCmdProfileListAndShow", "TestProfileListAndShowRun"},
	"tok profile rename":             {"TestNewCmdProfileRmAndRename", "TestProfileRmAndRenameRun"},
	"tok profile rm":                 {"TestNewCmdProfileRmAndRename", "TestProfileRmAndRenameRun"},
	"tok profile set":                {"TestNewCmdProfileSet", "TestProfileSetRun"},
	"tok profile show":               {"TestNewCmdProfileListAndShow", "TestProfileListAndShowRun"},
	"tok refresh":                    {"TestNewCmdRefresh", "TestRefreshRun"},
	"tok revoke":                     {"TestNewCmdRevoke", "TestRevokeRun"},
	"tok status":                     {"TestNewCmdStatus", "TestStatusRun"},
	"tok token":                      {"TestNewCmdToken", "TestTokenRun"},
	"tok unlock":                     {"TestNewCmdUnlockAndLock", "TestConfigRun"},
	"tok use":                        {"TestNewCmdUse", "TestUseRun"},
	"tok version":                    {"TestNewCmdVersion", "TestVersionRun"},
}

// TestEveryCommandIsTested: every command in the tree has a row in
// commandTests, every row a command, and every test a row names exists
// in this package.
func TestEveryCommandIsTested(t *testing.T) {
	d, _, _, _, _ := testDeps(t, nil)
	tree := commandTree(NewRootCmd(d))
	tests := testFuncs(t)
	for path := range tree {
		if _, ok := commandTests[path]; !ok {
			t.Errorf("%s has no row in commandTests: write its TestNewCmd… (parse) and …Run tests and name them there", path)
		}
	}
	for path, row := range commandTests {
		if tree[path] == nil {
			t.Errorf("commandTests names %q, which is not a command of tok's tree", path)
		}
		for _, name := range []string{row.parse, row.run} {
			if !tests[name] {
				t.Errorf("commandTests names %s for %s, but no test of that name is in internal/cli", name, path)
			}
		}
	}
}

// testFuncs is the set of Test functions in this package's test files.
func testFuncs(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("*_test.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("test files: %v (%d)", err, len(files))
	}
	names := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range af.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") {
				names[fn.Name.Name] = true
			}
		}
	}
	return names
}

// TestPackageDocNamesEveryFile: the package doc's file layout names every
// source file of the package, and no file that is gone.
func TestPackageDocNamesEveryFile(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "doc.go" {
			continue
		}
		have[f] = true
		if !regexp.MustCompile(`\b` + regexp.QuoteMeta(f) + `\b`).Match(doc) {
			t.Errorf("doc.go's file layout does not name %s", f)
		}
	}
	for _, m := range regexp.MustCompile(`\b[a-z_]+\.go\b`).FindAll(doc, -1) {
		if name := string(m); !have[name] && name != "doc.go" && !strings.HasSuffix(name, "_test.go") {
			t.Errorf("doc.go names %s, which is not a source file of internal/cli", name)
		}
	}
}

// TestCompletion: the shell completion of profile names (the argument and
// -p, only the first argument) and of settings, from the database alone.
func TestCompletion(t *testing.T) {
	d, _, _, out, _ := testDeps(t, nil)
	for _, name := range []string{"api", "app", "gh"} {
		if err := profileAdd(t, d, name, "--type", "static"); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		argv []string
		want string
	}{
		{[]string{"token", ""}, "api\napp\ngh\n"},
		{[]string{"token", "a"}, "api\napp\n"},
		{[]string{"status", "-p", "g"}, "gh\n"},
		{[]string{"profile", "rename", "a"}, "api\napp\n"},
		{[]string{"profile", "rename", "api", ""}, ""},
		{[]string{"token", "api", ""}, ""},
		{[]string{"config", "get", ""}, "key-source\ndefault-profile\n"},
		{[]string{"config", "set", ""}, "key-source\twhere the data key is kept\ndefault-profile\tthe profile used without -p\n"},
		{[]string{"config", "set", "key-source", ""}, "keyring\npassphrase\nfile\nenv\n"},
		{[]string{"config", "set", "default-profile", "g"}, "gh\n"},
		{[]string{"config", "set", "default-profile", "gh", ""}, ""},
	} {
		out.Reset()
		if code := d.run(append([]string{"__complete"}, tc.argv...)...); code != ExitOK {
			t.Fatalf("complete %q: exit %d", tc.argv, code)
		}
		if want := tc.want + ":4\n"; out.String() != want {
			t.Errorf("complete %q:\n got  %q\n want %q", tc.argv, out, want)
		}
	}
}
