package record_test

import (
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/record"
)

// TestValidateEnvNameRefusesDangerousNames: a variable that programs read
// to decide what to run, load or trust is refused in any case; a plain
// token variable is accepted.
func TestValidateEnvNameRefusesDangerousNames(t *testing.T) {
	for _, name := range []string{
		"BASH_ENV", "ENV", "PATH", "IFS", "PS4", "LD_PRELOAD", "ld_library_path", "DYLD_INSERT_LIBRARIES",
		"NODE_OPTIONS", "PYTHONSTARTUP", "PYTHONPATH", "PERL5OPT", "RUBYOPT", "TOK_KEY", "TOK_HOME",
		"PROMPT_COMMAND", "GIT_SSH_COMMAND", "GIT_CONFIG_VALUE_0", "JAVA_TOOL_OPTIONS", "MAVEN_OPTS",
		"https_proxy", "SSH_ASKPASS", "GIT_EDITOR", "HOME", "KUBECONFIG", "SSL_CERT_FILE", "BASH_FUNC_ls%%",
	} {
		err := record.ValidateEnvName(name)
		if err == nil || !strings.Contains(err.Error(), "refused") {
			t.Errorf("ValidateEnvName(%q) = %v, want it refused", name, err)
		}
	}
	for _, name := range []string{"GH_TOKEN", "GITHUB_TOKEN", "VAULT_TOKEN", "NODE_AUTH_TOKEN", "API_TOKEN", "CI_JOB_JWT", "NPM_TOKEN"} {
		if err := record.ValidateEnvName(name); err != nil {
			t.Errorf("ValidateEnvName(%q) = %v, want it accepted", name, err)
		}
	}
}
