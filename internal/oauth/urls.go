package oauth

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ValidateIssuerURL checks that raw can be an issuer: an absolute https URL
// without query, fragment or credentials. Plain http is accepted only for
// loopback hosts (127.0.0.0/8, ::1, localhost), where nothing leaves the
// machine; anywhere else it would send secrets in the clear.
func ValidateIssuerURL(raw string) error {
	u, err := checkURL("issuer", raw)
	if err != nil {
		return err
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("issuer %q must not have a query or fragment; give the issuer exactly as the provider documents it", raw)
	}
	return nil
}

// ValidateEndpointURL checks an endpoint URL (authorization, token, device,
// revocation, JWKS) by the same rules as ValidateIssuerURL, except that a
// query is allowed.
func ValidateEndpointURL(raw string) error {
	_, err := checkURL("endpoint", raw)
	return err
}

func checkURL(what, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return nil, configErrorf("%s %q is not an absolute URL; give it as https://host[/path]", what, raw)
	}
	if u.User != nil {
		return nil, configErrorf("%s %q must not contain credentials", what, redactUserinfo(u))
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return u, nil
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return u, nil
		}
		return nil, configErrorf("%s %q uses http on a non-loopback host; use https (plain http is allowed only for 127.0.0.1, ::1 and localhost)", what, raw)
	default:
		return nil, configErrorf("%s %q must use https", what, raw)
	}
}

func redactUserinfo(u *url.URL) string {
	c := *u
	c.User = url.User("redacted")
	return c.String()
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
