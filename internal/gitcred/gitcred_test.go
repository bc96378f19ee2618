package gitcred

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want Request
		err  error
	}{
		{
			name: "git's get",
			in:   "protocol=https\nhost=example.com:8443\npath=org/repo.git\nusername=alice\nwwwauth[]=Basic realm=\"x\"\nwwwauth[]=Bearer\ncapability[]=authtype\n\n",
			want: Request{Protocol: "https", Host: "example.com:8443", Path: "org/repo.git", Username: "alice", WWWAuth: []string{`Basic realm="x"`, "Bearer"}, Capabilities: []string{"authtype"}},
		},
		{
			name: "store with expiry and a refresh token from another helper",
			in:   "protocol=https\nhost=h\nusername=u\npassword=p=q\npassword_expiry_utc=1700000000\noauth_refresh_token=rt\n",
			want: Request{Protocol: "https", Host: "h", Username: "u", Password: "p=q", PasswordExpiryUTC: time.Unix(1700000000, 0).UTC(), OAuthRefreshToken: "rt"},
		},
		{
			name: "CRLF, unknown keys, last value wins, stops at the blank line",
			in:   "host=a\r\nfuture=1\r\nhost=b\r\n\r\nhost=c\n",
			want: Request{Host: "b"},
		},
		{
			name: "an empty array value clears the array",
			in:   "capability[]=authtype\ncapability[]=\ncapability[]=state\n",
			want: Request{Capabilities: []string{"state"}},
		},
		{
			name: "url shorthand",
			in:   "url=https://bob%40corp@git.example.com/a/b.git\n",
			want: Request{Protocol: "https", Host: "git.example.com", Path: "a/b.git", Username: "bob@corp"},
		},
		{
			name: "authtype credential and ephemeral",
			in:   "authtype=Bearer\ncredential=tok\nephemeral=true\n",
			want: Request{AuthType: "Bearer", Credential: "tok", Ephemeral: true},
		},
		{name: "bad expiry is ignored", in: "password_expiry_utc=soon\n", want: Request{}},
		{name: "empty input", in: "", want: Request{}},
		{name: "no =", in: "host\n", err: ErrMalformed},
		{name: "empty key", in: "=x\n", err: ErrMalformed},
		{name: "NUL", in: "password=a\x00b\n", err: ErrMalformed},
		{name: "url without protocol", in: "url=example.com\n", err: ErrMalformed},
		{name: "line over MaxLine", in: "password=" + strings.Repeat("x", MaxLine) + "\n", err: ErrTooLong},
		{name: "70 KB line", in: "password=" + strings.Repeat("x", 70<<10) + "\n", err: ErrTooLong},
		{name: "request over MaxRequest", in: strings.Repeat("wwwauth[]="+strings.Repeat("x", 1000)+"\n", 60), err: ErrTooLong},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(c.in))
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("Parse error = %v, want %v", err, c.err)
				}
				if strings.Contains(err.Error(), "xxxxxxxxxx") {
					t.Errorf("the error repeats the input: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !equal(got, c.want) {
				t.Errorf("Parse =\n%+v\nwant\n%+v", got, c.want)
			}
		})
	}
}

func equal(a, b Request) bool {
	return a.Protocol == b.Protocol && a.Host == b.Host && a.Path == b.Path && a.Username == b.Username &&
		a.Password == b.Password && a.PasswordExpiryUTC.Equal(b.PasswordExpiryUTC) && a.OAuthRefreshToken == b.OAuthRefreshToken &&
		a.AuthType == b.AuthType && a.Credential == b.Credential && a.Ephemeral == b.Ephemeral &&
		strings.Join(a.WWWAuth, "\n") == strings.Join(b.WWWAuth, "\n") && strings.Join(a.Capabilities, "\n") == strings.Join(b.Capabilities, "\n")
}

// oneByte reads one byte at a time, as a pipe may deliver.
type oneByte struct{ r *strings.Reader }

func (o oneByte) Read(p []byte) (int, error) { return o.r.Read(p[:1]) }

func TestReadRawStopsAtTheBlankLine(t *testing.T) {
	raw, err := ReadRaw(oneByte{strings.NewReader("host=a\n\nafter=the end\n")})
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != "host=a\n\n" {
		t.Errorf("ReadRaw read %q, want up to the blank line", raw)
	}
}

func TestEncode(t *testing.T) {
	exp := time.Unix(1800000000, 0)
	cases := []struct {
		name string
		in   Response
		want string
	}{
		{"password", Response{Protocol: "https", Host: "h", Username: "oauth2", Password: "t", Expiry: exp},
			"protocol=https\nhost=h\nusername=oauth2\npassword=t\npassword_expiry_utc=1800000000\n"},
		{"bearer", Response{Protocol: "https", Host: "h", AuthType: "Bearer", Credential: "t", Expiry: exp},
			"protocol=https\nhost=h\ncapability[]=authtype\nauthtype=Bearer\ncredential=t\nephemeral=1\npassword_expiry_utc=1800000000\n"},
		{"no expiry", Response{Protocol: "https", Host: "h", Username: "u", Password: "t"},
			"protocol=https\nhost=h\nusername=u\npassword=t\n"},
	}
	for _, c := range cases {
		var b bytes.Buffer
		if err := Encode(&b, c.in); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if b.String() != c.want {
			t.Errorf("%s: Encode =\n%s\nwant\n%s", c.name, b.String(), c.want)
		}
	}
	var b bytes.Buffer
	if err := Encode(&b, Response{Host: "h", Password: "a\nhost=evil"}); !errors.Is(err, ErrNewline) || b.Len() != 0 {
		t.Errorf("Encode of a value with a newline = %v and %q, want ErrNewline and nothing written", err, b.String())
	}
}

// FuzzParse: any input parses or fails with one of the documented
// errors, never panics, and whatever parses encodes back to the same
// attributes.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"protocol=https\nhost=h\n\n", "url=https://u@h/p\n", "capability[]=authtype\ncapability[]=\n",
		"host\n", "password=a\x00\n", "x=" + strings.Repeat("y", 100) + "\r\n\r\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		req, err := Parse(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLong) {
				t.Fatalf("Parse(%q) failed with an undocumented error: %v", in, err)
			}
			return
		}
		var b bytes.Buffer
		resp := Response{Protocol: req.Protocol, Host: req.Host, Username: req.Username, Password: req.Password}
		if err := Encode(&b, resp); err != nil {
			if strings.ContainsAny(req.Protocol+req.Host+req.Username+req.Password, "\r\n\x00") {
				return
			}
			t.Fatalf("Encode: %v", err)
		}
		again, err := Parse(&b)
		if err != nil {
			t.Fatalf("re-parsing Encode's output: %v", err)
		}
		if again.Protocol != req.Protocol || again.Host != req.Host || again.Username != req.Username || again.Password != req.Password {
			t.Fatalf("round trip changed the request: %+v -> %+v", req, again)
		}
	})
}
