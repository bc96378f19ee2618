package profilefile

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"

	"github.com/tok-cli/tok/internal/credmatch"
	"github.com/tok-cli/tok/internal/oauth"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/sharedcache"
	"github.com/tok-cli/tok/internal/tokens"
)

// maxProblems bounds the problems one error lists: past a screenful the
// file is plainly not a profile file and more lines would not help.
const maxProblems = 20

// secretKeys are keys someone might write to put a secret in the file.
// They get their own message instead of "unknown key".
var secretKeys = map[string]bool{
	"client_secret": true, "client_secret_stdin": true, "client_secret_file": true,
	"secret": true, "password": true, "token": true,
	"access_token": true, "refresh_token": true, "id_token": true,
}

// profileKeys and federationKeys are the keys the format knows, in the
// order the encoder writes them.
var (
	profileKeys = []string{"name", "type", "description", "env", "issuer", "auth_url", "token_url", "device_auth_url", "revocation_url",
		"client_id", "client_secret_required", "scopes", "audience", "resources", "flow", "auth_params", "redirect_port",
		"refresh_margin", "max_age", "ca_file", "k8s_token", "username", "client_auth", "federation", "shared_cache",
		"git_urls", "git_username", "registries", "registry_username"}
	sharedCacheKeys = []string{"url", "namespace", "key_file", "password_file", "ca_file"}
	federationKeys  = []string{"grant", "subject_token_file", "subject_token_command", "subject_token_env", "github_actions_audience",
		"subject_token_type", "requested_token_type"}
)

// decoder walks the YAML node tree by hand instead of letting the yaml
// package fill structs: that is what makes unknown keys, duplicate keys,
// aliases and values of the wrong kind errors with a line number, and it
// never expands an alias, so a small hostile file cannot become a large
// value.
type decoder struct {
	problems []string
	dropped  int
}

func (d *decoder) failf(line int, format string, args ...any) {
	if len(d.problems) >= maxProblems {
		d.dropped++
		return
	}
	d.problems = append(d.problems, lineErrorf(line, format, args...).Error())
}

func (d *decoder) err() error {
	if len(d.problems) == 0 {
		return nil
	}
	msg := strings.Join(d.problems, "\n")
	if d.dropped > 0 {
		msg += fmt.Sprintf("\n(and %d more problems)", d.dropped)
	}
	return errors.New(msg)
}

func lineErrorf(line int, format string, args ...any) error {
	return fmt.Errorf("line %d: %s", line, fmt.Sprintf(format, args...))
}

// plain reports whether n is neither an alias nor an anchor, recording a
// problem otherwise.
func (d *decoder) plain(n *yaml.Node) bool {
	switch {
	case n.Kind == yaml.AliasNode:
		d.failf(n.Line, "aliases (*%s) are not supported in a profile file; write the value out", n.Value)
		return false
	case n.Anchor != "":
		d.failf(n.Line, "anchors (&%s) are not supported in a profile file; write the value out", n.Anchor)
		return false
	}
	return true
}

// mapping calls fn for every key of the mapping m in order, after checking
// that keys are plain, unique text.
func (d *decoder) mapping(m *yaml.Node, where string, fn func(key string, keyLine int, v *yaml.Node)) {
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if !d.plain(k) {
			continue
		}
		if k.ShortTag() == "!!merge" {
			d.failf(k.Line, "%smerge keys (<<) are not supported in a profile file; write the keys out", where)
			continue
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			d.failf(k.Line, "%sa key must be a plain word such as name or issuer", where)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.failf(k.Line, "%skey %q appears twice (first on line %d)", where, k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		if !d.plain(v) {
			continue
		}
		if v.ShortTag() == "!!null" {
			d.failf(v.Line, "%s%s has no value; give one or leave the key out", where, k.Value)
			continue
		}
		fn(k.Value, k.Line, v)
	}
}

func decodeFile(doc *yaml.Node) ([]Profile, error) {
	d := &decoder{}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, errors.New("the profile file is empty; it starts with: version: 1")
	}
	root := doc.Content[0]
	if !d.plain(root) {
		return nil, d.err()
	}
	if root.Kind != yaml.MappingNode {
		return nil, lineErrorf(root.Line, "a profile file is a mapping that starts with version: 1 and lists profiles: under it")
	}
	version, versionGiven := 0, false
	var list *yaml.Node
	d.mapping(root, "", func(key string, line int, v *yaml.Node) {
		switch key {
		case "version":
			before := len(d.problems)
			version = d.integer(v, "", key)
			versionGiven = len(d.problems) == before
		case "profiles":
			if v.Kind != yaml.SequenceNode {
				d.failf(v.Line, "profiles must be a list (each entry starts with - name: ...)")
				return
			}
			list = v
		default:
			d.failf(line, "unknown key %q; a profile file has version: and profiles: at the top, and the profile keys under each entry of profiles:", key)
		}
	})
	switch {
	case !versionGiven && len(d.problems) == 0:
		return nil, lineErrorf(root.Line, "the file gives no version; it starts with: version: %d", Version)
	case versionGiven && version > Version:
		return nil, fmt.Errorf("the profile file has version %d, newer than this tok reads (%d); upgrade tok", version, Version)
	case versionGiven && version != Version:
		return nil, lineErrorf(root.Line, "version %d is not a profile file version; use version: %d", version, Version)
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	if list == nil {
		return nil, lineErrorf(root.Line, "the file has no profiles: list")
	}
	if len(list.Content) == 0 {
		return nil, lineErrorf(list.Line, "the profiles: list is empty")
	}
	profiles := make([]Profile, 0, len(list.Content))
	names := map[string]int{}
	for i, n := range list.Content {
		p, ok := d.profile(n, i)
		if !ok {
			continue
		}
		if first, dup := names[p.Name]; dup {
			d.failf(n.Line, "profile %q is defined twice (first on line %d); each name may appear once", p.Name, first)
			continue
		}
		names[p.Name] = n.Line
		profiles = append(profiles, p)
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	return profiles, nil
}

// profile decodes and validates one entry of profiles:. ok is false when
// it has problems, which are recorded.
func (d *decoder) profile(n *yaml.Node, index int) (p Profile, ok bool) {
	before := len(d.problems) + d.dropped
	if !d.plain(n) {
		return p, false
	}
	if n.Kind != yaml.MappingNode {
		d.failf(n.Line, "profile %d must be a mapping of keys (name: ..., type: ...)", index+1)
		return p, false
	}
	where := fmt.Sprintf("profile %d: ", index+1)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, v := n.Content[i], n.Content[i+1]; k.Value == "name" && v.Kind == yaml.ScalarNode && validText(v.Value) == nil {
			where = fmt.Sprintf("profile %q: ", v.Value)
		}
	}
	lines := map[string]int{}
	d.mapping(n, where, func(key string, line int, v *yaml.Node) {
		lines[key] = line
		d.profileKey(&p, where, key, line, v)
	})
	d.validate(&p, where, n.Line, lines)
	return p, len(d.problems)+d.dropped == before
}

func (d *decoder) profileKey(p *Profile, where, key string, line int, v *yaml.Node) {
	switch key {
	case "name":
		p.Name = d.text(v, where, key)
	case "type":
		if s := d.text(v, where, key); s != "" {
			typ, err := record.ParseType(s)
			if err != nil {
				d.failf(v.Line, "%s%v", where, err)
			}
			p.Type = typ
		}
	case "description":
		p.Description = d.text(v, where, key)
	case "env":
		p.Env = d.list(v, where, key)
	case "issuer":
		p.Issuer = d.text(v, where, key)
	case "auth_url":
		p.AuthURL = d.text(v, where, key)
	case "token_url":
		p.TokenURL = d.text(v, where, key)
	case "device_auth_url":
		p.DeviceAuthURL = d.text(v, where, key)
	case "revocation_url":
		p.RevocationURL = d.text(v, where, key)
	case "client_id":
		p.ClientID = d.text(v, where, key)
	case "client_secret_required":
		p.ClientSecretRequired = d.boolean(v, where, key)
	case "scopes":
		if p.Scopes = d.list(v, where, key); p.Scopes == nil {
			p.Scopes = []string{} // "scopes: []" asks for none, unlike no key
		}
	case "audience":
		p.Audience = d.text(v, where, key)
	case "resources":
		p.Resources = d.list(v, where, key)
	case "flow":
		if s := d.text(v, where, key); s != "" {
			flow, err := record.ParseFlow(s)
			if err != nil {
				d.failf(v.Line, "%s%v", where, err)
			}
			p.Flow = flow
		}
	case "auth_params":
		p.AuthParams = d.textMap(v, where, key)
	case "redirect_port":
		p.RedirectPort = d.integer(v, where, key)
	case "refresh_margin":
		p.RefreshMargin = d.duration(v, where, key)
	case "max_age":
		p.MaxAge = d.duration(v, where, key)
	case "ca_file":
		p.CAFile = d.text(v, where, key)
	case "k8s_token":
		p.K8sToken = record.K8sToken(d.text(v, where, key))
	case "username":
		p.Username = d.text(v, where, key)
	case "client_auth":
		p.ClientAuth = oauth.ClientAuth(d.text(v, where, key))
	case "federation":
		p.Federation = d.federation(v, where)
	case "shared_cache":
		p.SharedCache = d.sharedCache(v, where)
	case "git_urls":
		for _, u := range d.list(v, where, key) {
			pat, err := credmatch.ParseGitURL(u)
			if err != nil {
				d.failf(v.Line, "%sgit_urls: %v", where, err)
				continue
			}
			p.GitURLs = append(p.GitURLs, pat.String())
		}
	case "git_username":
		p.GitUsername = d.text(v, where, key)
	case "registries":
		for _, r := range d.list(v, where, key) {
			h, err := credmatch.ParseRegistry(r)
			if err != nil {
				d.failf(v.Line, "%sregistries: %v", where, err)
				continue
			}
			p.Registries = append(p.Registries, h)
		}
	case "registry_username":
		p.RegistryUsername = d.text(v, where, key)
	default:
		d.unknownKey(line, where, key, profileKeys)
	}
}

func (d *decoder) unknownKey(line int, where, key string, known []string) {
	if secretKeys[key] {
		d.failf(line, "%s%s: a profile file never holds secrets, so tok does not import them; remove the key, "+
			"mark a confidential client with client_secret_required: true, and give the secret at import with "+
			"tok profile import --client-secret (hidden prompt) or --client-secret-stdin", where, key)
		return
	}
	hint := ""
	if alt := strings.ReplaceAll(strings.ToLower(key), "-", "_"); alt != key && contains(known, alt) {
		hint = fmt.Sprintf(" (did you mean %s?)", alt)
	}
	d.failf(line, "%sunknown key %q%s; known keys: %s", where, key, hint, strings.Join(known, ", "))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (d *decoder) federation(n *yaml.Node, where string) *tokens.FederationConfig {
	if n.Kind != yaml.MappingNode {
		d.failf(n.Line, "%sfederation must be a mapping (grant: ..., subject_token_file: ...)", where)
		return nil
	}
	var f federationDoc
	fwhere := where + "federation: "
	d.mapping(n, fwhere, func(key string, line int, v *yaml.Node) {
		switch key {
		case "grant":
			f.Grant = d.text(v, fwhere, key)
		case "subject_token_file":
			f.SubjectTokenFile = d.text(v, fwhere, key)
		case "subject_token_command":
			f.SubjectTokenCommand = d.text(v, fwhere, key)
		case "subject_token_env":
			f.SubjectTokenEnv = d.text(v, fwhere, key)
		case "github_actions_audience":
			f.GitHubActionsAudience = d.text(v, fwhere, key)
		case "subject_token_type":
			f.SubjectTokenType = d.text(v, fwhere, key)
		case "requested_token_type":
			f.RequestedTokenType = d.text(v, fwhere, key)
		default:
			d.unknownKey(line, fwhere, key, federationKeys)
		}
	})
	c := &tokens.FederationConfig{Source: sourceOf(&f)}
	var err error
	if c.Grant, err = tokens.ParseGrant(f.Grant); err != nil {
		d.failf(n.Line, "%s%v", fwhere, err)
	}
	if c.SubjectTokenType, err = tokens.ParseTokenType(f.SubjectTokenType); err != nil {
		d.failf(n.Line, "%ssubject_token_type: %v", fwhere, err)
	}
	if c.RequestedTokenType, err = tokens.ParseTokenType(f.RequestedTokenType); err != nil {
		d.failf(n.Line, "%srequested_token_type: %v", fwhere, err)
	}
	return c
}

// text decodes a scalar as text. Numbers are accepted as written (a
// numeric client ID need not be quoted); true, false and other tags are not.
func (d *decoder) text(n *yaml.Node, where, key string) string {
	if n.Kind != yaml.ScalarNode {
		d.failf(n.Line, "%s%s must be a single value, not a list or mapping", where, key)
		return ""
	}
	switch n.ShortTag() {
	case "!!str", "!!int", "!!float":
	case "!!bool":
		d.failf(n.Line, "%s%s must be text; quote it (\"%s\") if you mean the word", where, key, n.Value)
		return ""
	default:
		d.failf(n.Line, "%s%s must be text, not %s", where, key, n.ShortTag())
		return ""
	}
	if err := validText(n.Value); err != nil {
		d.failf(n.Line, "%s%s %v", where, key, err)
		return ""
	}
	return n.Value
}

// validText refuses what has no place in a profile definition and could
// deceive a person reading tok's output: control characters (terminal
// escape sequences), bidirectional overrides, invalid UTF-8.
func validText(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("is not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) || r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' || r == '\u200e' || r == '\u200f' {
			return fmt.Errorf("contains the control character %U", r)
		}
	}
	return nil
}

// list decodes a sequence of text; empty gives nil.
func (d *decoder) list(n *yaml.Node, where, key string) []string {
	if n.Kind != yaml.SequenceNode {
		d.failf(n.Line, "%s%s must be a list, e.g. [a, b]", where, key)
		return nil
	}
	var out []string
	for _, item := range n.Content {
		if !d.plain(item) {
			continue
		}
		if s := d.text(item, where, key+" entry"); s != "" {
			out = append(out, s)
		} else if item.Kind == yaml.ScalarNode && item.ShortTag() == "!!str" && item.Value == "" {
			d.failf(item.Line, "%s%s has an empty entry", where, key)
		}
	}
	return out
}

// textMap decodes a mapping of text to text; empty gives nil.
func (d *decoder) textMap(n *yaml.Node, where, key string) map[string]string {
	if n.Kind != yaml.MappingNode {
		d.failf(n.Line, "%s%s must be a mapping, e.g. {prompt: login}", where, key)
		return nil
	}
	var out map[string]string
	d.mapping(n, where+key+": ", func(k string, line int, v *yaml.Node) {
		if err := validText(k); err != nil || strings.Contains(k, "=") {
			d.failf(line, "%s%s: %q is not a parameter name", where, key, k)
			return
		}
		val := d.text(v, where, key+"."+k)
		if out == nil {
			out = map[string]string{}
		}
		out[k] = val
	})
	return out
}

func (d *decoder) integer(n *yaml.Node, where, key string) int {
	var v int
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		d.failf(n.Line, "%s%s must be a whole number", where, key)
		return 0
	}
	return v
}

func (d *decoder) boolean(n *yaml.Node, where, key string) bool {
	var v bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		d.failf(n.Line, "%s%s must be true or false", where, key)
		return false
	}
	return v
}

func (d *decoder) duration(n *yaml.Node, where, key string) time.Duration {
	if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
		d.failf(n.Line, "%s%s %s needs a unit, e.g. %ss or 1m", where, key, n.Value, n.Value)
		return 0
	}
	s := d.text(n, where, key)
	if s == "" {
		return 0
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		d.failf(n.Line, "%s%s %q is not a duration; write it like 90s, 5m or 1h30m", where, key, s)
	}
	return v // a negative one is refused by tokens.CheckProfileSpec
}

// sharedCache reads a profile's shared cache. A URL with a password is
// refused like any secret: members take the password from the
// environment or a file.
func (d *decoder) sharedCache(n *yaml.Node, where string) *tokens.SharedCacheConfig {
	if n.Kind != yaml.MappingNode {
		d.failf(n.Line, "%sshared_cache must be a mapping (url: redis://host:6379/0, ...)", where)
		return nil
	}
	var c tokens.SharedCacheConfig
	swhere := where + "shared_cache: "
	d.mapping(n, swhere, func(key string, line int, v *yaml.Node) {
		switch key {
		case "url":
			c.URL = d.text(v, swhere, key)
		case "namespace":
			c.Namespace = d.text(v, swhere, key)
		case "key_file":
			c.KeyFile = d.text(v, swhere, key)
		case "password_file":
			c.PasswordFile = d.text(v, swhere, key)
		case "ca_file":
			c.CAFile = d.text(v, swhere, key)
		default:
			d.unknownKey(line, swhere, key, sharedCacheKeys)
		}
	})
	ep, err := sharedcache.ParseURL(c.URL)
	switch {
	case c.URL == "":
		d.failf(n.Line, "%sneeds url: redis://host:6379/0 (or rediss:// for TLS)", swhere)
	case err != nil:
		d.failf(n.Line, "%s%v", swhere, err)
	case ep.Password != "":
		d.failf(n.Line, "%sthe url carries a password, and a profile file never holds secrets; remove it and give members TOK_SHARED_CACHE_PASSWORD or password_file", swhere)
	}
	return &c
}
