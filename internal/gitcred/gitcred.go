// Package gitcred reads and writes the git credential helper protocol
// (git-credential(1)): `key=value` lines up to a blank line or the end of
// input, on the helper's stdin, and the same format on its stdout.
//
// It is pure (no I/O beyond the reader and writer it is given) and links
// only the standard library, because the small `tok` front parses `get`
// requests on git's hot path.
package gitcred

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Limits on what a helper accepts. git itself sends a few short lines;
// the limits keep a broken or hostile caller from making tok buffer
// without end. MaxRequest stays below a Linux pipe's 64 KiB so the front
// can hand a request it has read on to tok-full through a pipe.
const (
	MaxLine    = 16 << 10
	MaxRequest = 48 << 10
)

// Errors of Parse. Both mean git sent something the protocol does not
// allow; the helper reports them and answers nothing.
var (
	ErrMalformed = errors.New("malformed credential request")
	ErrTooLong   = errors.New("credential request too long")
)

// Request is what git sends a helper: the attributes git-credential(1)
// defines. Unknown attributes are ignored, as the protocol requires.
type Request struct {
	Protocol          string
	Host              string // host, with ":port" when there is one
	Path              string // without a leading slash; only with credential.useHttpPath
	Username          string
	Password          string
	PasswordExpiryUTC time.Time
	// OAuthRefreshToken is read (another helper may have sent it to
	// store) but tok never stores or emits it.
	OAuthRefreshToken string
	AuthType          string
	Credential        string
	Ephemeral         bool
	WWWAuth           []string
	Capabilities      []string
}

// HasCapability reports whether git announced capability c (e.g. "authtype").
func (r *Request) HasCapability(c string) bool {
	for _, have := range r.Capabilities {
		if have == c {
			return true
		}
	}
	return false
}

// Parse reads one request: lines up to a blank line or EOF. A line
// without '=', a NUL byte, a line over MaxLine or a request over
// MaxRequest is an error. Repeated scalar keys keep the last value;
// array keys (`key[]`) accumulate, and an empty value clears the array,
// as git does.
func Parse(r io.Reader) (Request, error) {
	raw, err := ReadRaw(r)
	if err != nil {
		return Request{}, err
	}
	return ParseBytes(raw)
}

// ReadRaw reads the bytes of one request from r: up to and including a
// blank line, or to the end of input. It reads no further than
// MaxRequest (plus one chunk), so a caller can replay what it read to
// another process.
func ReadRaw(r io.Reader) ([]byte, error) {
	var raw []byte
	chunk := make([]byte, 4096)
	for {
		if complete(raw) {
			return raw, nil
		}
		if len(raw) > MaxRequest {
			return raw, fmt.Errorf("%w: more than %d bytes", ErrTooLong, MaxRequest)
		}
		n, err := r.Read(chunk)
		raw = append(raw, chunk[:n]...)
		if errors.Is(err, io.EOF) {
			if len(raw) > MaxRequest {
				return raw, fmt.Errorf("%w: more than %d bytes", ErrTooLong, MaxRequest)
			}
			return raw, nil
		}
		if err != nil {
			return raw, fmt.Errorf("could not read the credential request: %w", err)
		}
	}
}

// complete reports whether raw holds a blank line.
func complete(raw []byte) bool {
	return bytes.HasPrefix(raw, []byte("\n")) || bytes.HasPrefix(raw, []byte("\r\n")) ||
		bytes.Contains(raw, []byte("\n\n")) || bytes.Contains(raw, []byte("\n\r\n"))
}

// ParseBytes parses a request read by ReadRaw.
func ParseBytes(raw []byte) (Request, error) {
	var req Request
	if len(raw) > MaxRequest {
		return Request{}, fmt.Errorf("%w: more than %d bytes", ErrTooLong, MaxRequest)
	}
	for len(raw) > 0 {
		line, rest, _ := bytes.Cut(raw, []byte("\n"))
		raw = rest
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > MaxLine {
			return Request{}, fmt.Errorf("%w: a line is longer than %d bytes", ErrTooLong, MaxLine)
		}
		if len(line) == 0 {
			break // the blank line ends the request
		}
		if err := req.set(string(line)); err != nil {
			return Request{}, err
		}
	}
	return req, nil
}

func (req *Request) set(line string) error {
	key, value, ok := strings.Cut(line, "=")
	if !ok || key == "" {
		return fmt.Errorf("%w: the line %q is not key=value", ErrMalformed, truncate(line))
	}
	if strings.IndexByte(line, 0) >= 0 {
		return fmt.Errorf("%w: the value of %q holds a NUL byte", ErrMalformed, truncate(key))
	}
	switch key {
	case "protocol":
		req.Protocol = value
	case "host":
		req.Host = value
	case "path":
		req.Path = value
	case "username":
		req.Username = value
	case "password":
		req.Password = value
	case "password_expiry_utc":
		// git ignores a value it cannot parse; so do we.
		if secs, err := strconv.ParseInt(value, 10, 64); err == nil && secs > 0 {
			req.PasswordExpiryUTC = time.Unix(secs, 0).UTC()
		}
	case "oauth_refresh_token":
		req.OAuthRefreshToken = value
	case "authtype":
		req.AuthType = value
	case "credential":
		req.Credential = value
	case "ephemeral":
		req.Ephemeral = isTrue(value)
	case "url":
		return req.setURL(value)
	case "wwwauth[]":
		req.WWWAuth = appendOrReset(req.WWWAuth, value)
	case "capability[]":
		req.Capabilities = appendOrReset(req.Capabilities, value)
	}
	return nil
}

// setURL splits git's `url` shorthand into its attributes.
func (req *Request) setURL(value string) error {
	scheme, rest, ok := strings.Cut(value, "://")
	if !ok || scheme == "" {
		return fmt.Errorf("%w: url %q has no protocol", ErrMalformed, truncate(value))
	}
	req.Protocol = scheme
	hostPart, path, _ := strings.Cut(rest, "/")
	if at := strings.LastIndexByte(hostPart, '@'); at >= 0 {
		user := hostPart[:at]
		hostPart = hostPart[at+1:]
		user, _, _ = strings.Cut(user, ":")
		req.Username = percentDecode(user)
	}
	req.Host = hostPart
	req.Path = percentDecode(path)
	return nil
}

func appendOrReset(list []string, value string) []string {
	if value == "" {
		return nil
	}
	return append(list, value)
}

func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// Response is what a helper answers to `get`.
type Response struct {
	Protocol string
	Host     string
	Username string
	Password string
	// AuthType and Credential replace Username and Password when git
	// announced capability[]=authtype (git 2.46+): the token goes in an
	// Authorization header of that type, e.g. "Bearer".
	AuthType   string
	Credential string
	// Expiry, when set, becomes password_expiry_utc: git stops using the
	// credential after it.
	Expiry time.Time
}

// ErrNewline reports a value the protocol cannot carry.
var ErrNewline = errors.New("a credential value holds a line break or NUL byte")

// Encode writes r in the protocol's format. It never writes
// oauth_refresh_token: a refresh token stays sealed in tok.
func Encode(w io.Writer, r Response) error {
	var b bytes.Buffer
	add := func(k, v string) error {
		if v == "" {
			return nil
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return fmt.Errorf("%w: %s", ErrNewline, k)
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
		b.WriteByte('\n')
		return nil
	}
	var expiry string
	if !r.Expiry.IsZero() {
		expiry = strconv.FormatInt(r.Expiry.Unix(), 10)
	}
	fields := [][2]string{{"protocol", r.Protocol}, {"host", r.Host}}
	if r.AuthType != "" {
		fields = append(fields,
			[2]string{"capability[]", "authtype"},
			[2]string{"authtype", r.AuthType},
			[2]string{"credential", r.Credential},
			// The token expires soon; nothing should store it.
			[2]string{"ephemeral", "1"})
	} else {
		fields = append(fields, [2]string{"username", r.Username}, [2]string{"password", r.Password})
	}
	fields = append(fields, [2]string{"password_expiry_utc", expiry})
	for _, f := range fields {
		if err := add(f[0], f[1]); err != nil {
			return err
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// Capabilities is the answer to the `capability` action: the protocol
// version and what this helper understands.
const Capabilities = "version 0\ncapability authtype\n"
