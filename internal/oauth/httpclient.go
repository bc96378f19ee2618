package oauth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// DefaultTimeout bounds one whole HTTP exchange with a provider when the
// caller gives no timeout. Token endpoints answer in well under a second; 30
// seconds leaves room for slow corporate proxies without letting a dead
// server hang `tok token` for minutes.
const DefaultTimeout = 30 * time.Second

// MaxResponseBytes caps every response body read through a client made by
// NewHTTPClient. Discovery documents, JWKS and token responses are a few
// kilobytes; a bigger body is a misconfigured or hostile server.
const MaxResponseBytes = 512 << 10

// ErrResponseTooLarge is returned while reading a response body that exceeds
// MaxResponseBytes.
var ErrResponseTooLarge = errors.New("response body is larger than 512 KiB; refusing to read more")

// NewHTTPClient returns a client for talking to a provider: system roots plus
// the PEM certificates in caFile (when not empty), a bound on the whole
// exchange (timeout; 0 means DefaultTimeout), bounded dial, TLS handshake and
// header waits, proxies from the environment, response bodies capped at
// MaxResponseBytes, and the redirect rules of checkProviderRedirect.
func NewHTTPClient(caFile string, timeout time.Duration) (*http.Client, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pool, err := certPool(caFile)
		if err != nil {
			return nil, err
		}
		tlsConfig.RootCAs = pool
	}
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: min(timeout, 10*time.Second), KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   min(timeout, 10*time.Second),
		ResponseHeaderTimeout: timeout,
		IdleConnTimeout:       30 * time.Second,
		MaxIdleConns:          10,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport:     limitedTransport{next: transport},
		Timeout:       timeout,
		CheckRedirect: checkProviderRedirect,
	}, nil
}

// maxProviderRedirects bounds a chain of redirects of a discovery or JWKS
// request.
const maxProviderRedirects = 5

// checkProviderRedirect decides whether to follow a provider's redirect.
// Requests that carry secrets are POSTs (token, refresh, revocation, device
// authorization): a redirect of one is never followed, since a 307 or 308
// would send the body, with the refresh token or client secret, to wherever
// the server points. A GET (discovery, JWKS) may be redirected, but never
// from https to plain http (loopback excepted, as for issuers).
func checkProviderRedirect(req *http.Request, via []*http.Request) error {
	first := via[0]
	switch {
	case first.Method != http.MethodGet && first.Method != http.MethodHead:
		return configErrorf("%s answered with a redirect to %s; tok does not follow redirects of requests that carry credentials, set the endpoint to its final address", first.URL.Redacted(), req.URL.Redacted())
	case !secureURL(req.URL):
		return configErrorf("%s redirected to %s, which is not https; tok follows redirects only to https (or http on a loopback address)", first.URL.Redacted(), req.URL.Redacted())
	case len(via) >= maxProviderRedirects:
		return configErrorf("%s redirected more than %d times; set the address the redirects end at", first.URL.Redacted(), maxProviderRedirects)
	}
	return nil
}

// secureURL reports whether u is https, or http to a loopback host.
func secureURL(u *url.URL) bool {
	switch strings.ToLower(u.Scheme) {
	case "https":
		return true
	case "http":
		return isLoopbackHost(u.Hostname())
	}
	return false
}

func certPool(caFile string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("could not read CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate; give a file with one or more -----BEGIN CERTIFICATE----- blocks", caFile)
	}
	return pool, nil
}

// limitedTransport caps response bodies so that no reader above it (ours,
// x/oauth2's or go-oidc's) can be made to buffer an unbounded body.
type limitedTransport struct {
	next http.RoundTripper
}

func (t limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{body: resp.Body, left: MaxResponseBytes}
	return resp, nil
}

type limitedBody struct {
	body io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// Distinguish "exactly at the limit" from "over it" with a one-byte probe.
		var probe [1]byte
		n, err := b.body.Read(probe[:])
		if n > 0 {
			return 0, ErrResponseTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.body.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.body.Close() }
