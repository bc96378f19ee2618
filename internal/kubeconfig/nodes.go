package kubeconfig

import (
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Small helpers over yaml.v3 nodes. A mapping node's Content alternates keys
// and values.

func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if yaml11Special(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// yaml11Special reports whether s must be quoted for YAML 1.1 readers even
// though this YAML 1.2 encoder would leave it plain. kubectl parses
// kubeconfigs as YAML 1.1, where `value: yes` is a boolean (and then fails to
// load into a string) and `value: 1:20` is the number 80. It is a plain
// function, not a package-level table or regexp, so that linking this package
// into tok adds no init-time work to its hot path.
func yaml11Special(s string) bool {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"on", "On", "ON", "off", "Off", "OFF":
		return true
	}
	return looksSexagesimal(s)
}

// looksSexagesimal reports whether s could be a YAML 1.1 base-60 number: an
// optional sign, a digit, then only digits, '_', ':' and '.', with a ':'. It
// errs on the side of quoting.
func looksSexagesimal(s string) bool {
	s = strings.TrimLeft(s, "+-")
	if s == "" || s[0] < '0' || s[0] > '9' || !strings.Contains(s, ":") {
		return false
	}
	return strings.Trim(s, "0123456789_:.") == ""
}

func boolean(b bool) *yaml.Node {
	v := "false"
	if b {
		v = "true"
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: v}
}

func sequence() *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
}

// mapping builds a mapping from alternating string keys and value nodes.
func mapping(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i+1 < len(kv); i += 2 {
		n.Content = append(n.Content, str(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// value returns the value under key in mapping m, or nil.
func value(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// setValue replaces the value under key in mapping m, keeping the key node
// (and its comments) and position, or appends key and v at the end.
func setValue(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, str(key), v)
}

// deleteKey removes key and its value from mapping m.
func deleteKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}
