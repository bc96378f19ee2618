// Package dockerconfig points docker's client configuration
// (~/.docker/config.json, which docker, podman, buildah, crane and the
// go-containerregistry keychain read) at a credential helper: it sets
// "credsStore" or entries of "credHelpers" and keeps every other member,
// in its order, with its value (only indentation is rewritten).
package dockerconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tok-cli/tok/internal/atomicfile"
)

// FileName is the configuration file inside docker's config directory.
const FileName = "config.json"

// Path is the configuration file docker reads: $DOCKER_CONFIG/config.json,
// else ~/.docker/config.json.
func Path(getenv func(string) string) (string, error) {
	if dir := getenv("DOCKER_CONFIG"); dir != "" {
		return filepath.Join(dir, FileName), nil
	}
	home := getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("could not find the home directory for ~/.docker/config.json; set DOCKER_CONFIG: %w", err)
		}
	}
	return filepath.Join(home, ".docker", FileName), nil
}

// member is one name/value pair of a JSON object, in file order.
type member struct {
	name  string
	value json.RawMessage
}

// object is a JSON object whose member order is kept.
type object []member

func parseObject(data []byte) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("the top level is not a JSON object")
	}
	var obj object
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		obj = append(obj, member{name, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("text follows the JSON object")
	}
	return obj, nil
}

func (o object) get(name string) (json.RawMessage, bool) {
	for _, m := range o {
		if m.name == name {
			return m.value, true
		}
	}
	return nil, false
}

// set replaces the value of name, or appends the member.
func (o object) set(name string, value json.RawMessage) object {
	for i, m := range o {
		if m.name == name {
			o[i].value = value
			return o
		}
	}
	return append(o, member{name, value})
}

func (o object) marshal() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		name, err := json.Marshal(m.name)
		if err != nil {
			return nil, err
		}
		b.Write(name)
		b.WriteByte(':')
		b.Write(m.value)
	}
	b.WriteByte('}')
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "\t"); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// Configure makes helper (e.g. "tok", which docker runs as
// docker-credential-tok) the credential store of the file at path: for
// every registry when registries is empty ("credsStore"), else for those
// registries only ("credHelpers"). A missing file is created (0600, in a
// 0700 directory). It reports whether the file changed. A file that is not
// a JSON object is left alone and reported.
func Configure(path string, registries []string, helper string) (changed bool, err error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		data = []byte("{}")
	case err != nil:
		return false, fmt.Errorf("could not read %s: %w", path, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}")
	}
	obj, err := parseObject(data)
	if err != nil {
		return false, fmt.Errorf("%s is not valid docker configuration (%v); fix or move it, then run this again; nothing was changed", path, err)
	}
	value, _ := json.Marshal(helper)
	if len(registries) == 0 {
		if cur, ok := obj.get("credsStore"); ok && bytes.Equal(cur, value) {
			return false, nil
		}
		obj = obj.set("credsStore", value)
	} else {
		helpers := object{}
		if raw, ok := obj.get("credHelpers"); ok && string(raw) != "null" {
			if helpers, err = parseObject(raw); err != nil {
				return false, fmt.Errorf("%s: credHelpers is not a JSON object (%v); nothing was changed", path, err)
			}
		}
		before, _ := helpers.marshal()
		for _, r := range registries {
			helpers = helpers.set(r, value)
		}
		after, err := helpers.marshal()
		if err != nil {
			return false, err
		}
		if bytes.Equal(before, after) {
			return false, nil
		}
		obj = obj.set("credHelpers", bytes.TrimSpace(after))
	}
	out, err := obj.marshal()
	if err != nil {
		return false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return false, fmt.Errorf("could not create %s: %w", filepath.Dir(path), err)
	}
	if err := atomicfile.Replace(path, out, 0o600); err != nil {
		return false, fmt.Errorf("could not write %s: %w", path, err)
	}
	return true, nil
}
