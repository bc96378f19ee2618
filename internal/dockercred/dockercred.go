// Package dockercred reads and writes the docker credential helper
// protocol (github.com/docker/docker-credential-helpers), which docker,
// podman, buildah, crane and every client of ~/.docker/config.json speak:
// the action is the only argument; `get` and `erase` read a server URL on
// stdin, `store` reads {"ServerURL","Username","Secret"}; `get` writes that
// JSON, `list` a map of server URL to username. Errors are one line on
// stdout with exit status 1, and clients test for the exact text of
// NotFound.
//
// It is pure: no I/O beyond the readers and writers it is given.
package dockercred

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Errors the protocol defines; clients compare their text.
var (
	// ErrNotFound is what every helper answers when it holds nothing for
	// a server URL. Its text is fixed: docker and the helper client
	// library test for it.
	ErrNotFound          = errors.New("credentials not found in native keychain")
	ErrMissingServerURL  = errors.New("no credentials server URL")
	ErrMissingUsername   = errors.New("no credentials username")
	ErrTooLong           = errors.New("credential helper input too long")
	ErrMalformedRequest  = errors.New("credential helper input is not valid JSON")
	errMultipleDocuments = errors.New("more than one JSON value")
)

// MaxInput bounds what a helper reads: a server URL, or a JSON object
// holding a password or an identity token.
const MaxInput = 64 << 10

// Credentials is the protocol's JSON object.
type Credentials struct {
	ServerURL string
	Username  string
	Secret    string
}

// IdentityTokenUsername is the username docker stores with an identity
// (refresh) token instead of a password.
const IdentityTokenUsername = "<token>"

func readAll(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxInput+1))
	if err != nil {
		return nil, fmt.Errorf("could not read the request: %w", err)
	}
	if len(b) > MaxInput {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLong, MaxInput)
	}
	return b, nil
}

// ReadServerURL reads the server URL of `get` and `erase`: the whole input,
// surrounding white space removed.
func ReadServerURL(r io.Reader) (string, error) {
	b, err := readAll(r)
	if err != nil {
		return "", err
	}
	u := strings.TrimSpace(string(b))
	if u == "" {
		return "", ErrMissingServerURL
	}
	if strings.ContainsAny(u, "\n\r\x00") {
		return "", fmt.Errorf("%w: the server URL spans lines", ErrMalformedRequest)
	}
	return u, nil
}

// ReadCredentials reads the JSON object of `store`; ServerURL and Username
// must be set, as the protocol requires.
func ReadCredentials(r io.Reader) (Credentials, error) {
	b, err := readAll(r)
	if err != nil {
		return Credentials{}, err
	}
	var c Credentials
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&c); err != nil {
		return Credentials{}, fmt.Errorf("%w: %s", ErrMalformedRequest, describe(err))
	}
	if dec.More() {
		return Credentials{}, fmt.Errorf("%w: %v", ErrMalformedRequest, errMultipleDocuments)
	}
	switch {
	case c.ServerURL == "":
		return Credentials{}, ErrMissingServerURL
	case c.Username == "":
		return Credentials{}, ErrMissingUsername
	}
	return c, nil
}

// describe is a JSON error without any of the input (which may hold a
// secret).
func describe(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("syntax error at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %s must be a string", typ.Field)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the input ended early"
	}
	return "unreadable"
}

// WriteCredentials writes the answer to `get`.
func WriteCredentials(w io.Writer, c Credentials) error {
	return json.NewEncoder(w).Encode(c)
}

// WriteList writes the answer to `list`: server URL → username.
func WriteList(w io.Writer, list map[string]string) error {
	if list == nil {
		list = map[string]string{}
	}
	return json.NewEncoder(w).Encode(list)
}

// WriteError writes err as the protocol wants it: one line on stdout.
func WriteError(w io.Writer, err error) {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	_, _ = fmt.Fprintln(w, msg)
}
