// Package kubeconfig adds tok's exec credential plugin to a kubeconfig file:
// the logic behind `tok kubeconfig set-credentials`.
//
// It edits the YAML tree rather than a typed struct, so that every entry it
// does not touch keeps its order and its unknown fields (comments are kept
// where the YAML library can keep them). It writes the file atomically, keeps
// its mode, and honours the lock file kubectl itself uses (PATH.lock), so it
// never interleaves with a concurrent `kubectl config` command.
package kubeconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tok-cli/tok/internal/execcred"
	yaml "go.yaml.in/yaml/v3"

	"github.com/tok-cli/tok/internal/atomicfile"
)

// Interactive modes of an exec stanza, as kubectl defines them.
const (
	InteractiveNever       = "Never"
	InteractiveIfAvailable = "IfAvailable"
	InteractiveAlways      = "Always"
)

// ExecUser is the exec stanza of a kubeconfig users entry.
type ExecUser struct {
	// Command is the plugin to run, normally tok's absolute path.
	Command string
	Args    []string
	// Env is extra environment for the plugin; written sorted by name.
	Env map[string]string
	// InteractiveMode is one of the Interactive* constants;
	// InteractiveIfAvailable when empty.
	InteractiveMode string
	// ProvideClusterInfo makes kubectl pass the cluster, including its
	// "client.authentication.k8s.io/exec" extension, to the plugin (see
	// package execcred for how a cluster names its profile).
	ProvideClusterInfo bool
	// APIVersion is execcred.APIVersionV1 (the default when empty) or
	// execcred.APIVersionV1beta1.
	APIVersion string
}

// withDefaults fills the fields that have a default.
func (e ExecUser) withDefaults() ExecUser {
	if e.APIVersion == "" {
		e.APIVersion = execcred.APIVersionV1
	}
	if e.InteractiveMode == "" {
		e.InteractiveMode = InteractiveIfAvailable
	}
	return e
}

func (e ExecUser) validate() error {
	if e.Command == "" {
		return errors.New("the exec command is empty; pass tok's path")
	}
	if e.APIVersion != execcred.APIVersionV1 && e.APIVersion != execcred.APIVersionV1beta1 {
		return fmt.Errorf("exec apiVersion %q is not supported; use %s or %s", e.APIVersion, execcred.APIVersionV1, execcred.APIVersionV1beta1)
	}
	switch e.InteractiveMode {
	case InteractiveNever, InteractiveIfAvailable, InteractiveAlways:
	default:
		return fmt.Errorf("exec interactiveMode %q is not valid; use %s, %s or %s", e.InteractiveMode, InteractiveNever, InteractiveIfAvailable, InteractiveAlways)
	}
	for name := range e.Env {
		if name == "" || strings.Contains(name, "=") {
			return fmt.Errorf("exec environment variable name %q is not valid", name)
		}
	}
	return nil
}

// SetCredentials adds or updates the users entry named user in the kubeconfig
// at path so that it runs exec, replacing any previous exec stanza and the
// credentials that would conflict with it, and keeping every other entry and
// field. When context is not empty, that context's user is set to user; it is
// an error if the context does not exist. A missing file is created with mode
// 0600 (and its directory with 0700); an existing one keeps its mode and is
// replaced atomically. A symlinked kubeconfig is updated at its target.
func SetCredentials(path, user string, exec ExecUser, context string) error {
	if user == "" {
		return errors.New("the kubeconfig user name is empty")
	}
	exec = exec.withDefaults()
	if err := exec.validate(); err != nil {
		return err
	}
	path, err := resolve(path)
	if err != nil {
		return err
	}
	unlock, err := lock(path)
	if err != nil {
		return err
	}
	defer unlock()

	data, mode, err := readExisting(path)
	if err != nil {
		return err
	}
	doc, err := parse(data)
	if err != nil {
		return fmt.Errorf("could not parse kubeconfig %s: %w; fix or move the file and try again (it was not changed)", path, err)
	}
	if err := setUser(doc, user, exec); err != nil {
		return fmt.Errorf("could not update kubeconfig %s: %w", path, err)
	}
	if context != "" {
		if err := setContextUser(doc, context, user); err != nil {
			return fmt.Errorf("could not update kubeconfig %s: %w", path, err)
		}
	}
	out, err := encode(doc)
	if err != nil {
		return fmt.Errorf("could not encode kubeconfig %s: %w", path, err)
	}
	if err := atomicfile.Replace(path, out, mode); err != nil {
		return fmt.Errorf("could not write kubeconfig %s: %w", path, err)
	}
	return nil
}

// resolve follows symlinks so the link is kept and its target updated.
func resolve(path string) (string, error) {
	if path == "" {
		return "", errors.New("the kubeconfig path is empty")
	}
	resolved, err := filepath.EvalSymlinks(path)
	if errors.Is(err, os.ErrNotExist) {
		return path, nil
	}
	if err != nil {
		return "", fmt.Errorf("could not resolve kubeconfig path %s: %w", path, err)
	}
	return resolved, nil
}

// readExisting returns the file's content and permission bits; a missing
// file reads as empty with mode 0600.
func readExisting(path string) ([]byte, os.FileMode, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0o600, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("could not read kubeconfig: %w", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, 0, fmt.Errorf("could not read kubeconfig: %w", err)
	}
	return data, info.Mode().Perm(), nil
}

// parse returns the document's top-level mapping, creating a fresh Config
// document for empty input.
func parse(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) || (err == nil && len(doc.Content) == 0) {
		return newConfig(), nil
	}
	if err != nil {
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}
		return nil, errors.New("it holds more than one YAML document")
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return newConfig(), nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: the top level is not a mapping", root.Line)
	}
	return &doc, nil
}

// newConfig is the document kubectl would start a new kubeconfig with.
func newConfig() *yaml.Node {
	root := mapping(
		"apiVersion", str("v1"),
		"kind", str("Config"),
		"clusters", sequence(),
		"contexts", sequence(),
		"current-context", str(""),
		"preferences", mapping(),
		"users", sequence(),
	)
	return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
}

func setUser(doc *yaml.Node, name string, exec ExecUser) error {
	users, err := namedList(doc.Content[0], "users")
	if err != nil {
		return err
	}
	entry, err := findNamed(users, "users", name)
	if err != nil {
		return err
	}
	if entry == nil {
		users.Content = append(users.Content, mapping("name", str(name), "user", mapping("exec", execNode(exec))))
		return nil
	}
	user := value(entry, "user")
	if user == nil || isNull(user) {
		setValue(entry, "user", mapping("exec", execNode(exec)))
		return nil
	}
	if user.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: user %q has a user field that is not a mapping", user.Line, name)
	}
	// These credentials would shadow or conflict with the exec plugin:
	// client-go sends a static token instead of running the plugin, and
	// refuses an auth-provider next to exec. Client certificates can
	// coexist with a bearer token and are kept.
	for _, key := range []string{"token", "tokenFile", "auth-provider", "username", "password"} {
		deleteKey(user, key)
	}
	setValue(user, "exec", execNode(exec))
	return nil
}

func setContextUser(doc *yaml.Node, name, user string) error {
	contexts, err := namedList(doc.Content[0], "contexts")
	if err != nil {
		return err
	}
	entry, err := findNamed(contexts, "contexts", name)
	if err != nil {
		return err
	}
	if entry == nil {
		return fmt.Errorf("context %q does not exist (contexts: %s); create it with: kubectl config set-context %s --cluster=CLUSTER --user=%s",
			name, listNames(contexts), name, user)
	}
	ctx := value(entry, "context")
	if ctx == nil || isNull(ctx) {
		setValue(entry, "context", mapping("user", str(user)))
		return nil
	}
	if ctx.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: context %q has a context field that is not a mapping", ctx.Line, name)
	}
	setValue(ctx, "user", str(user))
	return nil
}

// namedList returns the sequence under key in root, creating it (or
// replacing a null) as needed. A flow-style list is switched to block style,
// since entries are about to be added to or changed in it.
func namedList(root *yaml.Node, key string) (*yaml.Node, error) {
	list := value(root, key)
	if list == nil || isNull(list) {
		list = sequence()
		setValue(root, key, list)
		return list, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("line %d: %s is not a list", list.Line, key)
	}
	list.Style &^= yaml.FlowStyle
	return list, nil
}

// findNamed returns the entry of list whose name is name, or nil.
func findNamed(list *yaml.Node, listKey, name string) (*yaml.Node, error) {
	for _, entry := range list.Content {
		if entry.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: an entry of %s is not a mapping", entry.Line, listKey)
		}
		if n := value(entry, "name"); n != nil && n.Kind == yaml.ScalarNode && n.Value == name {
			return entry, nil
		}
	}
	return nil, nil
}

func listNames(list *yaml.Node) string {
	var names []string
	for _, entry := range list.Content {
		if n := value(entry, "name"); n != nil && n.Kind == yaml.ScalarNode {
			names = append(names, n.Value)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// execNode builds the exec stanza in the field order kubectl writes.
func execNode(exec ExecUser) *yaml.Node {
	n := mapping(
		"apiVersion", str(exec.APIVersion),
		"command", str(exec.Command),
	)
	if len(exec.Args) > 0 {
		args := sequence()
		for _, a := range exec.Args {
			args.Content = append(args.Content, str(a))
		}
		setValue(n, "args", args)
	}
	if len(exec.Env) > 0 {
		env := sequence()
		for _, name := range sortedKeys(exec.Env) {
			env.Content = append(env.Content, mapping("name", str(name), "value", str(exec.Env[name])))
		}
		setValue(n, "env", env)
	}
	setValue(n, "interactiveMode", str(exec.InteractiveMode))
	setValue(n, "provideClusterInfo", boolean(exec.ProvideClusterInfo))
	return n
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func encode(doc *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	// "- " counts as indentation, as in the files kubectl writes.
	enc.CompactSeqIndent()
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
