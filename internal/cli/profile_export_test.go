package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/testkit/authserver"
	"github.com/tok-cli/tok/internal/tokens"
)

func TestNewCmdProfileExportAndImport(t *testing.T) {
	d, _, _, _, _ := testDeps(t, nil)
	var exp *profileExportOptions
	if err := parseCmd(d, newCmdProfileExport(d, func(o *profileExportOptions) error { exp = o; return nil }), "a", "b", "-o", "team.yaml", "--force"); err != nil ||
		exp == nil || !slices.Equal(exp.Names, []string{"a", "b"}) || exp.Output != "team.yaml" || !exp.Force {
		t.Errorf("export a b -o team.yaml --force: %+v, %v", exp, err)
	}
	var imp *profileImportOptions
	if err := parseCmd(d, newCmdProfileImport(d, func(o *profileImportOptions) error { imp = o; return nil }), "-", "--force", "--client-secret", "--no-discovery"); err != nil ||
		imp == nil || *imp != (profileImportOptions{File: "-", Force: true, ClientSecretPrompt: true, NoDiscovery: true}) {
		t.Errorf("import - --force --client-secret --no-discovery: %+v, %v", imp, err)
	}
	if err := parseCmd(d, newCmdProfileImport(d, nil)); exitCode(err) != ExitUsage || !strings.Contains(err.Error(), "takes a profile file (or - for stdin)") {
		t.Errorf("import without a file: %v", err)
	}
}

// TestProfileExportImportRun hands profiles from one machine (d) to
// another (d2) through a profile file: no secrets in it, the issuer
// discovered again on import, the secret given at import.
func TestProfileExportImportRun(t *testing.T) {
	srv := svcServer(t)
	srv.AddClient(authserver.Client{ID: "cli"})
	d, _, in, out, errOut := testDeps(t, nil)
	ctx := t.Context()
	if err := profileAdd(t, d, "api", "--issuer", srv.Issuer(), "--client-id", "cli", "--env", "API_TOKEN", "--scopes", "openid,profile"); err != nil {
		t.Fatal(err)
	}
	in.WriteString("s3cret\n")
	if err := profileAdd(t, d, "ci", "--issuer", srv.Issuer(), "--client-id", "svc", "--client-secret-stdin", "--flow", "client-credentials"); err != nil {
		t.Fatal(err)
	}

	// Nothing to export, an unknown name, --force without -o.
	empty, _, _, _, _ := testDeps(t, nil)
	if err := empty.runProfileExport(&profileExportOptions{}); err == nil || !strings.Contains(err.Error(), "there are no profiles to export") {
		t.Errorf("export of nothing: %v", err)
	}
	if err := d.runProfileExport(&profileExportOptions{Names: []string{"api", "nope"}}); err == nil || !strings.Contains(err.Error(), `"nope"; nothing was exported`) {
		t.Errorf("export nope: %v", err)
	}
	if err := d.runProfileExport(&profileExportOptions{Force: true}); exitCode(err) != ExitUsage {
		t.Errorf("--force without -o: %v", err)
	}

	out.Reset()
	errOut.Reset()
	if err := d.runProfileExport(&profileExportOptions{}); err != nil {
		t.Fatal(err)
	}
	file := out.String()
	if !strings.Contains(file, "name: api") || !strings.Contains(file, "client_secret_required: true") || strings.Contains(file, "s3cret") || strings.Contains(file, "/token") {
		t.Errorf("exported file:\n%s", file)
	}
	if !strings.Contains(errOut.String(), "Exported 2 profiles to stdout (no secrets, no tokens).") || !strings.Contains(errOut.String(), `Profile "ci" has a client secret`) {
		t.Errorf("export said %q", errOut)
	}

	// -o writes a new 0600 file and never overwrites one without --force.
	path := filepath.Join(t.TempDir(), "team.yaml")
	if err := d.runProfileExport(&profileExportOptions{Output: path}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("exported file: %v, %v", fi, err)
	}
	if err := d.runProfileExport(&profileExportOptions{Names: []string{"api"}, Output: path}); err == nil || !strings.Contains(err.Error(), "already exists; nothing was written") {
		t.Errorf("second export to the same file: %v", err)
	}
	if err := d.runProfileExport(&profileExportOptions{Names: []string{"api"}, Output: path, Force: true}); err != nil {
		t.Fatal(err)
	}
	if err := d.runProfileExport(&profileExportOptions{Output: path, Force: true}); err != nil {
		t.Fatal(err)
	}

	// The other machine: without the secret nothing is imported.
	d2, _, in2, _, errOut2 := testDeps(t, nil)
	svc2, _ := d2.service()
	if err := d2.runProfileImport(ctx, &profileImportOptions{File: path}); exitCode(err) != ExitUsage ||
		!strings.Contains(err.Error(), `profile "ci" needs a client secret, which a profile file never holds; nothing was imported`) {
		t.Errorf("import without the secret: %v", err)
	}
	if names, _ := svc2.ProfileNames(); len(names) != 0 {
		t.Errorf("a refused import stored %q", names)
	}
	// --client-secret needs a terminal to ask at; nothing is stored.
	if err := d2.runProfileImport(ctx, &profileImportOptions{File: path, ClientSecretPrompt: true}); exitCode(err) != ExitUsage ||
		err.Error() != "no terminal to prompt for client secrets; pipe one in with --client-secret-stdin" {
		t.Errorf("--client-secret off a terminal: %v", err)
	}
	if names, _ := svc2.ProfileNames(); len(names) != 0 {
		t.Errorf("a refused import stored %q", names)
	}
	discoveries := srv.Counts().Discovery
	in2.WriteString("s3cret\n")
	if err := d2.runProfileImport(ctx, &profileImportOptions{File: path, ClientSecretStdin: true}); err != nil {
		t.Fatal(err)
	}
	if srv.Counts().Discovery != discoveries+2 {
		t.Errorf("%d discoveries at import, want 2", srv.Counts().Discovery-discoveries)
	}
	for _, want := range []string{`Imported oauth profile "api" (now the default). Next: tok login -p api`, "tok exec puts its token in: API_TOKEN", `Imported oauth profile "ci". Next: tok login -p ci`} {
		if !strings.Contains(errOut2.String(), want) {
			t.Errorf("import output lacks %q:\n%s", want, errOut2)
		}
	}
	api, _ := svc2.Profile("api")
	if api.OAuth.Endpoints.TokenURL != srv.TokenURL() || !slices.Equal(api.OAuth.Scopes, []string{"openid", "profile"}) || api.OAuth.K8sToken != record.K8sIDToken {
		t.Errorf("imported api: %+v", api.OAuth)
	}
	if _, err := svc2.Token(ctx, "ci", record.Options{}); err != nil {
		t.Errorf("the imported ci gets no token: %v", err)
	}

	// Again: a conflict without --force; with it, the same configuration
	// keeps its tokens and secret.
	if err := d2.runProfileImport(ctx, &profileImportOptions{File: path}); err == nil || !strings.Contains(err.Error(), `profiles "api", "ci" already exist; nothing was imported`) {
		t.Errorf("second import: %v", err)
	}
	errOut2.Reset()
	if err := d2.runProfileImport(ctx, &profileImportOptions{File: path, Force: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut2.String(), `Replaced oauth profile "ci"; its tokens were kept (same provider, client and scopes); its client secret was kept.`) {
		t.Errorf("import --force said:\n%s", errOut2)
	}

	// Both ways of giving secrets at once, and stdin twice, are refused.
	if err := d2.runProfileImport(ctx, &profileImportOptions{File: path, ClientSecretPrompt: true, ClientSecretStdin: true}); exitCode(err) != ExitUsage {
		t.Errorf("--client-secret and --client-secret-stdin: %v", err)
	}
	if err := d2.runProfileImport(ctx, &profileImportOptions{File: "-", ClientSecretStdin: true}); exitCode(err) != ExitUsage || !strings.Contains(err.Error(), "stdin cannot carry both") {
		t.Errorf("- with --client-secret-stdin: %v", err)
	}
	// A file that does not parse names its line; nothing is imported.
	in2.WriteString("version: 1\nprofiles:\n  - {name: x, type: oauth, client_id: c}\n")
	if err := d2.runProfileImport(ctx, &profileImportOptions{File: "-"}); err == nil ||
		!strings.Contains(err.Error(), `stdin is not a usable profile file; nothing was imported:`) || !strings.Contains(err.Error(), `line 3: profile "x": an oauth profile needs issuer, or explicit endpoints (token_url and friends)`) {
		t.Errorf("bad file: %v", err)
	}
}

// TestAddAndImportBuildTheSameProfile guards the one profile builder:
// tok profile add (flags) on one machine and tok profile import (a
// profile file) on another must store the same profile for every kind.
func TestAddAndImportBuildTheSameProfile(t *testing.T) {
	srv := svcServer(t)
	for _, argv := range [][]string{
		{"gh", "--type", "static", "--env", "GH_TOKEN", "--git-url", "https://github.com/org/", "--git-username", "x-access-token"},
		{"api", "--issuer", srv.Issuer(), "--client-id", "cli", "--auth-param", "prompt=login", "--redirect-port", "8400", "--audience", "aud"},
		{"scoped", "--issuer", srv.Issuer(), "--client-id", "cli", "--scopes", "openid,profile", "--k8s-token", "access-token", "--max-age", "30m"},
		{"explicit", "--token-url", srv.TokenURL(), "--auth-url", srv.AuthURL(), "--client-id", "cli", "--flow", "browser", "--refresh-margin", "2m"},
		{"github", "--provider", "github", "--client-id", "Iv1.x"},
		{"later", "--issuer", "https://id.example.com", "--client-id", "cli", "--no-discovery"},
		{"gha", "--issuer", srv.Issuer(), "--github-actions-audience", "sts", "--subject-token-type", "id_token", "--shared-cache", "redis://h:6379/0", "--shared-cache-namespace", "team"},
	} {
		t.Run(argv[0], func(t *testing.T) {
			d, _, _, out, _ := testDeps(t, nil)
			if err := profileAdd(t, d, argv...); err != nil {
				t.Fatal(err)
			}
			if err := d.runProfileExport(&profileExportOptions{}); err != nil {
				t.Fatal(err)
			}
			d2, _, in2, _, _ := testDeps(t, nil)
			in2.Write(out.Bytes())
			noDiscovery := argv[0] == "later"
			if err := d2.runProfileImport(t.Context(), &profileImportOptions{File: "-", NoDiscovery: noDiscovery}); err != nil {
				t.Fatalf("import of\n%s: %v", out, err)
			}
			svc, _ := d.service()
			svc2, _ := d2.service()
			added, _ := svc.Profile(argv[0])
			imported, err := svc2.Profile(argv[0])
			if err != nil {
				t.Fatal(err)
			}
			added.Created, imported.Created = time.Time{}, time.Time{}
			for _, p := range []*tokens.Profile{&added, &imported} {
				if p.OAuth != nil {
					p.OAuth.DiscoveredAt = time.Time{}
					p.OAuth.Provider = "" // a profile file names no preset, only its settings
				}
			}
			if !reflect.DeepEqual(added, imported) {
				t.Errorf("added and imported differ:\nadded    %+v %+v\nimported %+v %+v\nfile:\n%s", added, added.OAuth, imported, imported.OAuth, out)
			}
		})
	}
}
