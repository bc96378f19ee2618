// Package federation fetches the subject token of workload identity
// federation: the OIDC token a CI platform issues to a job, which tok
// exchanges for an access token (RFC 8693 token exchange or RFC 7523 JWT
// bearer grant) so that no long-lived secret has to be stored in CI.
//
// A Source says where the token comes from: a file, a command's stdout,
// an environment variable (GitLab CI's id_tokens), or the GitHub Actions
// token endpoint. Sources are stored in federated profiles as JSON, so the
// json tags are part of tok's storage format.
package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// GitHub Actions sets these in jobs with `permissions: id-token: write`.
const (
	EnvGitHubRequestURL   = "ACTIONS_ID_TOKEN_REQUEST_URL"
	EnvGitHubRequestToken = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
)

// maxTokenBytes bounds a subject token read from anywhere: JWTs are a few
// kilobytes.
const maxTokenBytes = 64 << 10

// DefaultCommandTimeout bounds a subject token command.
const DefaultCommandTimeout = time.Minute

// Source is where a federated profile's subject token comes from. Exactly
// one field is set.
type Source struct {
	// File is read anew for every exchange (platforms rotate it).
	File string `json:"file,omitempty"`
	// Command is run with sh -c; its stdout is the token.
	Command string `json:"command,omitempty"`
	// Env names an environment variable holding the token (GitLab CI:
	// the variable declared under id_tokens).
	Env string `json:"env,omitempty"`
	// GitHubAudience asks the GitHub Actions token endpoint for a token
	// with this audience.
	GitHubAudience string `json:"github_actions_audience,omitempty"`
}

// Validate checks that exactly one source is given.
func (s Source) Validate() error {
	n := 0
	for _, v := range []string{s.File, s.Command, s.Env, s.GitHubAudience} {
		if v != "" {
			n++
		}
	}
	switch n {
	case 1:
		return nil
	case 0:
		return errors.New("no subject token source; give one of --subject-token-file, --subject-token-command, --subject-token-env, --github-actions-audience")
	}
	return errors.New("more than one subject token source; give only one of --subject-token-file, --subject-token-command, --subject-token-env, --github-actions-audience")
}

// String describes the source for messages; it never contains a token.
func (s Source) String() string {
	switch {
	case s.File != "":
		return "file " + s.File
	case s.Command != "":
		return "command " + strconv.Quote(s.Command)
	case s.Env != "":
		return "environment variable " + s.Env
	case s.GitHubAudience != "":
		return "GitHub Actions (audience " + s.GitHubAudience + ")"
	}
	return "no source"
}

// Fetcher fetches subject tokens. The zero value uses the process's
// environment, a 30-second HTTP client and discards commands' stderr.
type Fetcher struct {
	Getenv     func(string) string
	HTTPClient *http.Client
	// Stderr receives the stderr of subject token commands (tok's stderr).
	Stderr io.Writer
	// CommandTimeout bounds a command; 0 means DefaultCommandTimeout.
	CommandTimeout time.Duration
}

func (f Fetcher) getenv(k string) string {
	if f.Getenv != nil {
		return f.Getenv(k)
	}
	return os.Getenv(k)
}

// SubjectToken returns a fresh subject token from src.
func (f Fetcher) SubjectToken(ctx context.Context, src Source) (string, error) {
	if err := src.Validate(); err != nil {
		return "", err
	}
	var tok string
	var err error
	switch {
	case src.File != "":
		tok, err = readFile(src.File)
	case src.Command != "":
		tok, err = f.command(ctx, src.Command)
	case src.Env != "":
		tok = f.getenv(src.Env)
		if strings.TrimSpace(tok) == "" {
			err = fmt.Errorf("environment variable %s is empty or unset; in GitLab CI declare it under id_tokens in the job", src.Env)
		}
	case src.GitHubAudience != "":
		tok, err = f.github(ctx, src.GitHubAudience)
	}
	if err != nil {
		return "", fmt.Errorf("could not get the subject token from %s: %w", src, err)
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "", fmt.Errorf("the subject token from %s is empty", src)
	}
	return tok, nil
}

func readFile(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	return readBounded(fh)
}

func readBounded(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxTokenBytes+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxTokenBytes {
		return "", fmt.Errorf("more than %d KiB; that is not a token", maxTokenBytes>>10)
	}
	return string(b), nil
}

func (f Fetcher) command(ctx context.Context, command string) (string, error) {
	timeout := f.CommandTimeout
	if timeout <= 0 {
		timeout = DefaultCommandTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	var out bytes.Buffer
	cmd.Stdout = &limitedWriter{w: &out, left: maxTokenBytes + 1}
	cmd.Stderr = f.Stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("it did not finish within %s", timeout)
		}
		return "", err
	}
	return readBounded(&out)
}

// limitedWriter keeps at most left bytes and drops the rest, so a command
// that prints endlessly cannot fill memory.
type limitedWriter struct {
	w    io.Writer
	left int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) > l.left {
		p = p[:l.left]
	}
	l.left -= len(p)
	if _, err := l.w.Write(p); err != nil {
		return 0, err
	}
	return n, nil
}

// github asks the GitHub Actions OIDC endpoint for a token: a GET of
// $ACTIONS_ID_TOKEN_REQUEST_URL with &audience=AUD added, bearer
// $ACTIONS_ID_TOKEN_REQUEST_TOKEN, answered with {"value": "<JWT>"}.
func (f Fetcher) github(ctx context.Context, audience string) (string, error) {
	rawURL, bearer := f.getenv(EnvGitHubRequestURL), f.getenv(EnvGitHubRequestToken)
	if rawURL == "" || bearer == "" {
		return "", fmt.Errorf("%s and %s are not set; give the job `permissions: id-token: write`", EnvGitHubRequestURL, EnvGitHubRequestToken)
	}
	u, err := url.Parse(rawURL)
	if err != nil || !secureURL(u) {
		return "", fmt.Errorf("%s is not an https URL", EnvGitHubRequestURL)
	}
	q := u.Query()
	q.Set("audience", audience)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Accept", "application/json")
	hc := f.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", redactURLError(err)
	}
	defer resp.Body.Close()
	body, err := readBounded(resp.Body)
	if err != nil {
		return "", fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("the token endpoint answered HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	var answer struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal([]byte(body), &answer); err != nil || answer.Value == "" {
		return "", errors.New(`the token endpoint did not answer {"value": "<token>"}`)
	}
	return answer.Value, nil
}

// secureURL accepts https, and http on loopback hosts only (tests, local
// runners), where the bearer token never crosses a network.
func secureURL(u *url.URL) bool {
	switch u.Scheme {
	case "https":
		return u.Host != ""
	case "http":
		host := u.Hostname()
		ip := net.ParseIP(host)
		return host == "localhost" || ip != nil && ip.IsLoopback()
	}
	return false
}

// redactURLError drops the request URL from a transport error: GitHub's
// request URL is not secret, but keep messages short and predictable.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("request to the token endpoint failed: %w", ue.Err)
	}
	return err
}
