// Package credmatch decides which profile answers a credential helper's
// request: git remotes by URL pattern (protocol, host, optional path
// prefix, optional username) and container registries by host.
//
// Both tok binaries use it (the small front serves `git-credential-tok
// get` from the cache, tok-full does everything else), so the rule has
// one home. It links only the standard library.
package credmatch

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Pattern is one git URL a profile serves: every remote on Host (with
// Protocol) whose path starts with PathPrefix, and, when Username is set,
// only remotes whose URL names that user.
type Pattern struct {
	Protocol   string
	Host       string // lower case, ":port" when given
	PathPrefix string // without leading or trailing slashes; "" = any path
	Username   string
}

// ParseGitURL parses a --git-url value: PROTOCOL://[USER@]HOST[:PORT][/PATH].
// A value without "://" means https.
func ParseGitURL(s string) (Pattern, error) {
	raw := s
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	scheme, rest, _ := strings.Cut(s, "://")
	scheme = strings.ToLower(scheme)
	if scheme != "https" && scheme != "http" {
		return Pattern{}, fmt.Errorf("git URL %q: use an http or https URL, e.g. https://gitlab.example.com/group", raw)
	}
	hostPart, path, _ := strings.Cut(rest, "/")
	var user string
	if at := strings.LastIndexByte(hostPart, '@'); at >= 0 {
		user, hostPart = hostPart[:at], hostPart[at+1:]
		if strings.Contains(user, ":") {
			return Pattern{}, fmt.Errorf("git URL %q: leave the password out; tok holds it", raw)
		}
	}
	if hostPart == "" || strings.ContainsAny(hostPart, " \t?#") {
		return Pattern{}, fmt.Errorf("git URL %q has no host", raw)
	}
	if strings.ContainsAny(path, "?#") {
		return Pattern{}, fmt.Errorf("git URL %q: a query or fragment cannot match a remote", raw)
	}
	if scheme == "http" && !loopback(hostPart) {
		return Pattern{}, fmt.Errorf("git URL %q: tok sends tokens over http only to this machine (127.0.0.1, ::1, localhost); use https", raw)
	}
	return Pattern{Protocol: scheme, Host: strings.ToLower(hostPart), PathPrefix: cleanPath(path), Username: user}, nil
}

// loopback reports whether host (with an optional port) is this machine.
func loopback(host string) bool {
	h := host
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i > 0 {
			h = h[1:i]
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}

// String renders p as a URL.
func (p Pattern) String() string {
	s := p.Protocol + "://"
	if p.Username != "" {
		s += p.Username + "@"
	}
	s += p.Host + "/"
	if p.PathPrefix != "" {
		s += p.PathPrefix + "/"
	}
	return s
}

func cleanPath(p string) string {
	p = strings.Trim(p, "/")
	p = strings.TrimSuffix(p, ".git")
	return p
}

// Remote is what git asked about.
type Remote struct {
	Protocol string
	Host     string
	Path     string // "" unless credential.useHttpPath is set
	Username string // from the remote URL, if any
}

// score is how specifically p matches r: -1 for no match, else higher is
// more specific (a username beats any path; a longer path beats a shorter).
func (p Pattern) score(r Remote) int {
	if !strings.EqualFold(p.Protocol, r.Protocol) || p.Host != strings.ToLower(r.Host) {
		return -1
	}
	s := 1
	if p.PathPrefix != "" {
		path := cleanPath(r.Path)
		if path != p.PathPrefix && !strings.HasPrefix(path, p.PathPrefix+"/") {
			return -1
		}
		s += 1 + strings.Count(p.PathPrefix, "/")
	}
	if p.Username != "" {
		if p.Username != r.Username {
			return -1
		}
		s += 1 << 16
	}
	return s
}

// Candidate is one profile and what it serves.
type Candidate struct {
	Profile    string
	GitURLs    []string
	Registries []string
	// GitUsername is the username the profile sends to git. When the
	// remote URL names a user, a profile sending that username wins over
	// one that does not (though not over a pattern naming the user).
	GitUsername string
}

// ErrAmbiguous reports two profiles matching a request equally well.
var ErrAmbiguous = errors.New("more than one profile matches")

// Git returns the profile whose git URL pattern matches r most
// specifically; ok=false when none matches. Patterns that do not parse
// are skipped (they were checked when they were set). Two profiles
// matching equally well is ErrAmbiguous, naming both.
func Git(cands []Candidate, r Remote) (profile string, ok bool, err error) {
	best, bestScore, tie := "", -1, ""
	for _, c := range cands {
		top := -1
		for _, u := range c.GitURLs {
			p, perr := ParseGitURL(u)
			if perr != nil {
				continue
			}
			if s := p.score(r); s > top {
				top = s
			}
		}
		if top >= 0 && r.Username != "" && c.GitUsername == r.Username {
			top += 1 << 15
		}
		switch {
		case top < 0:
		case top > bestScore:
			best, bestScore, tie = c.Profile, top, ""
		case top == bestScore:
			tie = c.Profile
		}
	}
	if bestScore < 0 {
		return "", false, nil
	}
	if tie != "" {
		return "", false, fmt.Errorf("%w %s://%s/%s: %s and %s; make one --git-url more specific (a path with credential.useHttpPath, or a username)", ErrAmbiguous, r.Protocol, r.Host, r.Path, best, tie)
	}
	return best, true, nil
}

// RegistryHost normalises a registry as docker names it ("https://index.docker.io/v1/",
// "registry.example.com:5000", "http://localhost:5000") to HOST[:PORT] in lower case.
func RegistryHost(s string) string {
	if _, rest, ok := strings.Cut(s, "://"); ok {
		s = rest
	}
	s, _, _ = strings.Cut(s, "/")
	return strings.ToLower(s)
}

// ParseRegistry checks a --registry value and returns it normalised.
func ParseRegistry(s string) (string, error) {
	h := RegistryHost(strings.TrimSpace(s))
	if h == "" || strings.ContainsAny(h, " \t?#@") {
		return "", fmt.Errorf("registry %q: give HOST[:PORT], e.g. registry.gitlab.com", s)
	}
	return h, nil
}

// Registry returns the profile serving registry host (any spelling
// RegistryHost understands); two profiles naming it is ErrAmbiguous.
func Registry(cands []Candidate, registry string) (profile string, ok bool, err error) {
	host := RegistryHost(registry)
	var found []string
	for _, c := range cands {
		for _, r := range c.Registries {
			if RegistryHost(r) == host {
				found = append(found, c.Profile)
				break
			}
		}
	}
	switch len(found) {
	case 0:
		return "", false, nil
	case 1:
		return found[0], true, nil
	}
	return "", false, fmt.Errorf("%w registry %s: %s; keep --registry %s on one of them", ErrAmbiguous, host, strings.Join(found, ", "), host)
}
