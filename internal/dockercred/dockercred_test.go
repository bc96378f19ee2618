package dockercred

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestReadServerURL(t *testing.T) {
	for in, want := range map[string]string{
		"registry.example.com":           "registry.example.com",
		" https://index.docker.io/v1/\n": "https://index.docker.io/v1/",
	} {
		got, err := ReadServerURL(strings.NewReader(in))
		if err != nil || got != want {
			t.Errorf("ReadServerURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]error{
		"":                          ErrMissingServerURL,
		" \n\t":                     ErrMissingServerURL,
		"a\nb":                      ErrMalformedRequest,
		strings.Repeat("h", 70<<10): ErrTooLong,
	} {
		if _, err := ReadServerURL(strings.NewReader(in)); !errors.Is(err, want) {
			t.Errorf("ReadServerURL(%.20q) error = %v, want %v", in, err, want)
		}
	}
}

func TestReadCredentials(t *testing.T) {
	c, err := ReadCredentials(strings.NewReader(`{"ServerURL":"r.example.com","Username":"<token>","Secret":"s"}` + "\n"))
	if err != nil || c != (Credentials{ServerURL: "r.example.com", Username: IdentityTokenUsername, Secret: "s"}) {
		t.Fatalf("ReadCredentials = %+v, %v", c, err)
	}
	cases := map[string]error{
		"not json":                            ErrMalformedRequest,
		`{"ServerURL":1}`:                     ErrMalformedRequest,
		`{"ServerURL":"r","Username":"u"} {}`: ErrMalformedRequest,
		`{"ServerURL":"r","Username":"u","Secret":"` + strings.Repeat("s", 70<<10) + `"}`: ErrTooLong,
		`{"Username":"u","Secret":"s"}`:                               ErrMissingServerURL,
		`{"ServerURL":"r","Secret":"s"}`:                              ErrMissingUsername,
		`{"ServerURL":"r","Username":"u","Secret":"supersecretvalue"`: ErrMalformedRequest,
	}
	for in, want := range cases {
		_, err := ReadCredentials(strings.NewReader(in))
		if !errors.Is(err, want) {
			t.Errorf("ReadCredentials(%.30q) error = %v, want %v", in, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "supersecret") {
			t.Errorf("the error repeats the input: %v", err)
		}
	}
}

func TestWrite(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCredentials(&b, Credentials{ServerURL: "r", Username: "u", Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	if b.String() != `{"ServerURL":"r","Username":"u","Secret":"s"}`+"\n" {
		t.Errorf("WriteCredentials wrote %q", b.String())
	}
	b.Reset()
	if err := WriteList(&b, nil); err != nil || b.String() != "{}\n" {
		t.Errorf("WriteList(nil) wrote %q, %v", b.String(), err)
	}
	b.Reset()
	WriteError(&b, ErrNotFound)
	if b.String() != "credentials not found in native keychain\n" {
		t.Errorf("WriteError(ErrNotFound) wrote %q; clients compare this text", b.String())
	}
}

// FuzzReadCredentials: any input reads or fails with a documented error.
func FuzzReadCredentials(f *testing.F) {
	f.Add(`{"ServerURL":"r","Username":"u","Secret":"s"}`)
	f.Add(`{"ServerURL":"r"}`)
	f.Add(`[1,2]`)
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ReadCredentials(strings.NewReader(in))
		if err == nil {
			if c.ServerURL == "" || c.Username == "" {
				t.Fatalf("accepted %q without server URL or username", in)
			}
			return
		}
		for _, known := range []error{ErrMalformedRequest, ErrMissingServerURL, ErrMissingUsername, ErrTooLong} {
			if errors.Is(err, known) {
				return
			}
		}
		t.Fatalf("ReadCredentials(%q): undocumented error %v", in, err)
	})
}
