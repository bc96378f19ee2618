package record

import (
	"context"
	"errors"

	"github.com/tok-cli/tok/internal/credmatch"
	"github.com/tok-cli/tok/internal/gitcred"
	"github.com/tok-cli/tok/internal/store"
)

// Query is what a credential helper was asked about: a git remote or a
// container registry (set exactly one).
type Query struct {
	Git      *credmatch.Remote
	Registry string
}

// Match is the profile that answers a Query.
type Match struct {
	Profile string
	Type    Type
	Remotes Remotes
}

// FindRemote returns the profile that answers q, reading every profile
// record in tx. ok=false means no profile serves it;
// credmatch.ErrAmbiguous means two serve it equally well. Both binaries
// call it, so they always pick the same profile.
func FindRemote(tx *store.Tx, q Query) (m Match, ok bool, err error) {
	views := map[string]Profile{}
	var cands []credmatch.Candidate
	for _, name := range tx.Names(store.Profiles) {
		// The same type Lookup decodes next: encoding/json builds a
		// decoder per type on first use, and a second type cost the
		// git-credential hot path about 0.15 ms (a tenth of its budget).
		var v stored
		if err := tx.Get(store.Profiles, name, &v); err != nil {
			return Match{}, false, err
		}
		if v.Remotes == nil {
			continue
		}
		views[name] = v.Profile
		cands = append(cands, credmatch.Candidate{Profile: name, GitURLs: v.Remotes.Git, Registries: v.Remotes.Registries, GitUsername: v.Remotes.GitUsername})
	}
	var name string
	switch {
	case q.Git != nil:
		name, ok, err = credmatch.Git(cands, *q.Git)
	case q.Registry != "":
		name, ok, err = credmatch.Registry(cands, q.Registry)
	default:
		return Match{}, false, errors.New("empty credential query")
	}
	if err != nil || !ok {
		return Match{}, false, err
	}
	v := views[name]
	return Match{Profile: name, Type: v.Type, Remotes: *v.Remotes}, true, nil
}

// errNoMatch ends LookupRemote's transaction when no profile serves q.
var errNoMatch = errors.New("no profile serves this remote")

// LookupRemote is FindRemote and Lookup of the profile found, in one read
// transaction. ok=false (and no error) when no profile serves q.
func (r *Reader) LookupRemote(ctx context.Context, q Query, opts Options) (m Match, ok bool, res Result, err error) {
	res, err = r.lookup(ctx, func(tx *store.Tx) (string, error) {
		var found bool
		m, found, err = FindRemote(tx, q)
		if err == nil && !found {
			err = errNoMatch
		}
		return m.Profile, err
	}, opts)
	if errors.Is(err, errNoMatch) {
		return Match{}, false, Result{}, nil
	}
	return m, err == nil, res, err
}

// GitResponse is the answer to git's `get` for profile m with cred. With
// git's capability[]=authtype and a renewable profile the token goes in a
// Bearer header; otherwise it is the password. password_expiry_utc is the
// token's expiry minus the profile's refresh margin, so git asks again
// (and tok refreshes) before the token runs out.
func GitResponse(req gitcred.Request, m Match, cred Credential) gitcred.Response {
	resp := gitcred.Response{Protocol: req.Protocol, Host: req.Host}
	if !cred.Expiry.IsZero() {
		resp.Expiry = cred.Expiry.Add(-cred.Margin)
	}
	if req.HasCapability("authtype") && (m.Type == OAuth || m.Type == Federated) {
		resp.AuthType, resp.Credential = "Bearer", cred.Token
		return resp
	}
	resp.Username, resp.Password = m.Remotes.GitUser(req.Username), cred.Token
	return resp
}

// GitRemote is the remote a git request names.
func GitRemote(req gitcred.Request) credmatch.Remote {
	return credmatch.Remote{Protocol: req.Protocol, Host: req.Host, Path: req.Path, Username: req.Username}
}
