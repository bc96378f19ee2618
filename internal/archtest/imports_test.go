package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/tok-cli/tok/"

// allowed lists, for every package of the module, the tok packages it may
// import (not counting its tests). It mirrors docs/architecture.md; change
// both together. Leaves import no tok package at all.
var allowed = map[string][]string{
	// The binaries.
	"cmd/tok":                   {"internal/front"},
	"cmd/git-credential-tok":    {"internal/front"},
	"cmd/docker-credential-tok": {"internal/front"},
	"cmd/tok-full":              {"internal/cli"},
	"cmd/gendocs":               {"internal/cli"},
	"cmd/tokbench":              {"internal/kernelkeys", "internal/testkit/authserver", "internal/seal", "internal/testkit/redisserver", "internal/store"},

	// The small front: the read path only. keyring only off Linux (macOS
	// Keychain, Windows Credential Manager); on Linux it reads kernelkeys
	// alone and links no D-Bus (TestFrontStaysSmall).
	"internal/front": {"internal/execcred", "internal/execrun", "internal/gitcred", "internal/kernelkeys", "internal/keyring", "internal/keysource", "internal/output", "internal/plan", "internal/procguard", "internal/record", "internal/store", "internal/tokhome"},

	// tok-full's commands wire everything together.
	"internal/cli": {
		"internal/build", "internal/credmatch", "internal/dockerconfig", "internal/dockercred",
		"internal/execcred", "internal/execrun", "internal/federation", "internal/front", "internal/gitcred",
		"internal/iostreams", "internal/jwt", "internal/kernelkeys", "internal/keyring", "internal/keysource", "internal/kubeconfig",
		"internal/oauth", "internal/opener", "internal/output", "internal/plan", "internal/procguard", "internal/profilefile",
		"internal/providers", "internal/record", "internal/seal", "internal/sharedcache", "internal/store", "internal/termguard",
		"internal/termtext", "internal/tokens", "internal/tokhome", "internal/tui", "internal/when",
	},

	// The domain and the read path it builds on.
	"internal/tokens":       {"internal/federation", "internal/keysource", "internal/oauth", "internal/privfile", "internal/providers", "internal/record", "internal/seal", "internal/store", "internal/when"},
	"internal/record":       {"internal/credmatch", "internal/gitcred", "internal/keysource", "internal/seal", "internal/store"},
	"internal/profilefile":  {"internal/credmatch", "internal/federation", "internal/oauth", "internal/record", "internal/sharedcache", "internal/tokens"},
	"internal/execrun":      {"internal/mask", "internal/procguard", "internal/record", "internal/tokenfile", "internal/when"},
	"internal/output":       {"internal/execcred", "internal/record"},
	"internal/keysource":    {"internal/privfile", "internal/seal"},
	"internal/store":        {"internal/privfile"},
	"internal/oauth":        {"internal/termtext", "internal/when"},
	"internal/providers":    {"internal/oauth"},
	"internal/kubeconfig":   {"internal/atomicfile", "internal/execcred"},
	"internal/dockerconfig": {"internal/atomicfile"},

	// Test support (internal/testkit): a missing program or service fails
	// under CI=true and skips elsewhere, in one place (need).
	"internal/testkit/chromium":      {"internal/testkit/need"},
	"internal/testkit/fedserver":     {"internal/testkit/fixture"},
	"internal/testkit/oidcprovider":  {"internal/testkit/fixture", "internal/testkit/need", "internal/testkit/syncbuf"},
	"internal/testkit/redisserver":   {"internal/testkit/need"},
	"internal/testkit/secretservice": {"internal/testkit/need"},
}

// leaves may import no tok package: each does one job on its own.
var leaves = []string{
	"internal/atomicfile", "internal/build", "internal/credmatch", "internal/dockercred", "internal/execcred",
	"internal/federation", "internal/gitcred", "internal/iostreams", "internal/jwt", "internal/kernelkeys", "internal/keyring",
	"internal/mask", "internal/opener", "internal/plan", "internal/privfile", "internal/procguard", "internal/seal",
	"internal/sharedcache", "internal/termguard", "internal/termtext", "internal/tokenfile", "internal/tokhome",
	"internal/tui", "internal/when",
	// test support
	"internal/testkit/authserver", "internal/testkit/fixture", "internal/testkit/helperproc", "internal/testkit/kubeapi",
	"internal/testkit/need", "internal/testkit/syncbuf",
	"internal/e2e", "internal/archtest",
}

type pkg struct {
	ImportPath string
	Imports    []string
}

func TestImportsFollowTheArchitecture(t *testing.T) {
	for _, l := range leaves {
		if _, dup := allowed[l]; dup {
			t.Fatalf("%s is both a leaf and in the allowed map", l)
		}
		allowed[l] = nil
	}
	// linux, windows and darwin see different files; check each.
	for _, goos := range []string{"linux", "windows", "darwin"} {
		cmd := exec.Command("go", "list", "-json=ImportPath,Imports", "github.com/tok-cli/tok/...")
		cmd.Env = append(cmd.Environ(), "GOOS="+goos)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list (GOOS=%s): %v", goos, err)
		}
		dec := json.NewDecoder(strings.NewReader(string(out)))
		seen := 0
		for {
			var p pkg
			if err := dec.Decode(&p); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			seen++
			name := strings.TrimPrefix(p.ImportPath, module)
			if strings.HasSuffix(name, "test") && name != "internal/archtest" {
				t.Errorf("%s: shared test support lives under internal/testkit, under a name that says what it is", name)
			}
			rules, known := allowed[name]
			if !known {
				t.Errorf("%s is not in the architecture map: add it to docs/architecture.md and to this test", name)
				continue
			}
			ok := map[string]bool{}
			for _, r := range rules {
				ok[r] = true
			}
			var bad []string
			for _, imp := range p.Imports {
				if dep, own := strings.CutPrefix(imp, module); own && !ok[dep] {
					bad = append(bad, dep)
				}
			}
			sort.Strings(bad)
			for _, dep := range bad {
				t.Errorf("GOOS=%s: %s imports %s, which docs/architecture.md does not allow", goos, name, dep)
			}
		}
		if seen < 30 {
			t.Fatalf("go list (GOOS=%s) listed %d packages; expected all of tok's", goos, seen)
		}
	}
}
