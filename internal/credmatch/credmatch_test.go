package credmatch

import (
	"errors"
	"testing"
)

func TestParseGitURL(t *testing.T) {
	good := map[string]string{
		"https://gitlab.example.com/":            "https://gitlab.example.com/",
		"gitlab.example.com":                     "https://gitlab.example.com/",
		"HTTPS://GitLab.Example.com:8443/Group/": "https://gitlab.example.com:8443/Group/",
		"https://bob@github.com/org/repo.git":    "https://bob@github.com/org/repo/",
		"http://127.0.0.1:3000":                  "http://127.0.0.1:3000/",
		"http://[::1]:3000/x":                    "http://[::1]:3000/x/",
		"http://localhost":                       "http://localhost/",
	}
	for in, want := range good {
		p, err := ParseGitURL(in)
		if err != nil {
			t.Errorf("ParseGitURL(%q): %v", in, err)
			continue
		}
		if p.String() != want {
			t.Errorf("ParseGitURL(%q) = %s, want %s", in, p, want)
		}
	}
	for _, bad := range []string{"ssh://git@github.com/", "https://", "https://u:pw@h/", "https://h/p?x=1", "https:// h/", "http://git.example.com/", "http://127.evil.com/"} {
		if _, err := ParseGitURL(bad); err == nil {
			t.Errorf("ParseGitURL(%q) succeeded, want an error", bad)
		}
	}
}

func TestGitMostSpecificWins(t *testing.T) {
	cands := []Candidate{
		{Profile: "host", GitURLs: []string{"https://git.example.com/"}},
		{Profile: "team", GitURLs: []string{"https://git.example.com/team"}},
		{Profile: "team-sub", GitURLs: []string{"https://git.example.com/team/sub/"}},
		{Profile: "bob", GitURLs: []string{"https://bob@git.example.com/"}},
		{Profile: "plain-http", GitURLs: []string{"http://git.example.com/", "http://127.0.0.1:8080/"}},
		{Profile: "carol-store", GitURLs: []string{"https://other.example.com/"}, GitUsername: "carol"},
		{Profile: "dave-store", GitURLs: []string{"https://other.example.com/"}, GitUsername: "dave"},
	}
	cases := []struct {
		r    Remote
		want string
		ok   bool
		amb  bool
	}{
		{r: Remote{Protocol: "https", Host: "git.example.com"}, want: "host", ok: true},
		{r: Remote{Protocol: "https", Host: "GIT.example.com", Path: "team/repo.git"}, want: "team", ok: true},
		{r: Remote{Protocol: "https", Host: "git.example.com", Path: "team"}, want: "team", ok: true},
		{r: Remote{Protocol: "https", Host: "git.example.com", Path: "teamx/repo.git"}, want: "host", ok: true},
		{r: Remote{Protocol: "https", Host: "git.example.com", Path: "team/sub/r.git"}, want: "team-sub", ok: true},
		{r: Remote{Protocol: "https", Host: "git.example.com", Path: "team/r.git", Username: "bob"}, want: "bob", ok: true},
		{r: Remote{Protocol: "http", Host: "127.0.0.1:8080"}, want: "plain-http", ok: true},
		{r: Remote{Protocol: "http", Host: "git.example.com"}}, // http only to this machine
		{r: Remote{Protocol: "https", Host: "git.example.com:444"}},
		{r: Remote{Protocol: "https", Host: "other.example.com", Username: "dave"}, want: "dave-store", ok: true},
		{r: Remote{Protocol: "https", Host: "other.example.com"}, amb: true},
	}
	for _, c := range cases {
		got, ok, err := Git(cands, c.r)
		if c.amb {
			if !errors.Is(err, ErrAmbiguous) {
				t.Errorf("Git(%+v) = %q, %v, %v; want ErrAmbiguous", c.r, got, ok, err)
			}
			continue
		}
		if err != nil || ok != c.ok || got != c.want {
			t.Errorf("Git(%+v) = %q, %v, %v; want %q, %v", c.r, got, ok, err, c.want, c.ok)
		}
	}
}

func TestRegistry(t *testing.T) {
	cands := []Candidate{
		{Profile: "harbor", Registries: []string{"harbor.example.com"}},
		{Profile: "local", Registries: []string{"localhost:5000"}},
		{Profile: "hub", Registries: []string{"index.docker.io"}},
		{Profile: "a", Registries: []string{"dup.example.com"}},
		{Profile: "b", Registries: []string{"dup.example.com"}},
	}
	for in, want := range map[string]string{
		"harbor.example.com":          "harbor",
		"https://Harbor.example.com/": "harbor",
		"http://localhost:5000":       "local",
		"https://index.docker.io/v1/": "hub",
		"localhost":                   "",
	} {
		got, ok, err := Registry(cands, in)
		if err != nil || got != want || ok != (want != "") {
			t.Errorf("Registry(%q) = %q, %v, %v; want %q", in, got, ok, err, want)
		}
	}
	if _, _, err := Registry(cands, "dup.example.com"); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("two profiles naming one registry: err = %v, want ErrAmbiguous", err)
	}
	for _, bad := range []string{"", "user@host", "a b"} {
		if _, err := ParseRegistry(bad); err == nil {
			t.Errorf("ParseRegistry(%q) succeeded", bad)
		}
	}
}
