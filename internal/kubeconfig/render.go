package kubeconfig

import (
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Render shows what SetCredentials would write, for --print: the users
// entry as YAML, and the equivalent kubectl command line, quoted for a POSIX
// shell. Defaults are filled in as SetCredentials fills them.
func Render(user string, exec ExecUser) (yamlStanza string, kubectlCommand string) {
	exec = exec.withDefaults()

	entry := sequence()
	entry.Content = append(entry.Content, mapping("name", str(user), "user", mapping("exec", execNode(exec))))
	out, err := encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{entry}})
	if err != nil {
		// Encoding nodes built from plain strings cannot fail.
		panic("kubeconfig: could not encode a users entry: " + err.Error())
	}

	words := []string{"kubectl", "config", "set-credentials", shellQuote(user),
		"--exec-api-version=" + shellQuote(exec.APIVersion),
		"--exec-command=" + shellQuote(exec.Command),
	}
	for _, a := range exec.Args {
		words = append(words, "--exec-arg="+shellQuote(a))
	}
	for _, name := range sortedKeys(exec.Env) {
		words = append(words, "--exec-env="+shellQuote(name+"="+exec.Env[name]))
	}
	words = append(words,
		"--exec-interactive-mode="+shellQuote(exec.InteractiveMode),
		"--exec-provide-cluster-info="+strconv.FormatBool(exec.ProvideClusterInfo),
	)
	return string(out), strings.Join(words, " ")
}

// shellQuote returns s as one POSIX shell word: unchanged when it holds only
// characters no shell treats specially, single-quoted otherwise.
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%_+=:,./-", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}
