package oauth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/tok-cli/tok/internal/testkit/fixture"
)

// fakeOP is a fault-injecting OpenID Provider: it signs ID tokens whose
// claims a test shapes, with a key it publishes (or another one).
type fakeOP struct {
	t        *testing.T
	srv      *httptest.Server
	key      *ecdsa.PrivateKey // published in the JWKS
	otherKey *ecdsa.PrivateKey // not published

	mu        sync.Mutex
	lastNonce string
	// claims edits the claims of the next ID token; signWith picks the key.
	claims   func(c map[string]any)
	signWith *ecdsa.PrivateKey
	jwksDown bool
}

func newFakeOP(t *testing.T) *fakeOP {
	t.Helper()
	op := &fakeOP{t: t, key: newECKey(t), otherKey: newECKey(t)}
	op.signWith = op.key
	mux := http.NewServeMux()
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		op.mu.Lock()
		down := op.jwksDown
		op.mu.Unlock()
		if down {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &op.key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}}
		_ = json.NewEncoder(w).Encode(set)
	})
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		op.mu.Lock()
		op.lastNonce = q.Get("nonce")
		op.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code=the-code&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": "the-access-token",
			"token_type":   "Bearer",
			"expires_in":   300,
			"id_token":     op.idToken(),
		})
	})
	op.srv = httptest.NewServer(mux)
	t.Cleanup(op.srv.Close)
	return op
}

func newECKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (op *fakeOP) config() Config {
	return Config{
		Endpoints: Endpoints{
			Issuer:             op.srv.URL,
			AuthURL:            op.srv.URL + "/authorize",
			TokenURL:           op.srv.URL + "/token",
			JWKSURL:            op.srv.URL + "/jwks",
			IDTokenSigningAlgs: []string{"ES256", "none"},
		},
		ClientID: "tok-cli",
		Scopes:   []string{"openid"},
	}
}

// idToken signs the claims of a valid ID token, as edited by op.claims.
func (op *fakeOP) idToken() string {
	op.mu.Lock()
	defer op.mu.Unlock()
	now := time.Now()
	c := map[string]any{
		"iss":     op.srv.URL,
		"sub":     "user-1",
		"aud":     "tok-cli",
		"iat":     now.Unix(),
		"exp":     now.Add(10 * time.Minute).Unix(),
		"at_hash": atHash("the-access-token"),
	}
	if op.lastNonce != "" {
		c["nonce"] = op.lastNonce
	}
	if op.claims != nil {
		op.claims(c)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: op.signWith, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		op.t.Fatal(err)
	}
	payload, _ := json.Marshal(c)
	jws, err := signer.Sign(payload)
	if err != nil {
		op.t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		op.t.Fatal(err)
	}
	return raw
}

// atHash is the OIDC at_hash of an access token for ES256.
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

func TestIDTokenVerification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		edit     func(c map[string]any)
		otherKey bool
		jwksDown bool
		wantErr  string
	}{
		{name: "valid"},
		{name: "valid with several audiences and azp", edit: func(c map[string]any) {
			c["aud"] = []string{"other", "tok-cli"}
			c["azp"] = "tok-cli"
		}},
		{name: "wrong audience", edit: func(c map[string]any) { c["aud"] = "someone-else" }, wantErr: "audience"},
		{name: "issued to another party", edit: func(c map[string]any) {
			c["aud"] = []string{"other", "tok-cli"}
			c["azp"] = "other"
		}, wantErr: "azp"},
		{name: "wrong issuer", edit: func(c map[string]any) { c["iss"] = "https://evil.example" }, wantErr: "issued by a different provider"},
		{name: "expired", edit: func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }, wantErr: "expired"},
		{name: "bad signature", otherKey: true, wantErr: "signature"},
		{name: "at_hash of another access token", edit: func(c map[string]any) { c["at_hash"] = atHash("other") }, wantErr: "at_hash"},
		{name: "JWKS unreachable", jwksDown: true, wantErr: "signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			op := newFakeOP(t)
			op.mu.Lock()
			op.claims = tt.edit
			if tt.otherKey {
				op.signWith = op.otherKey
			}
			op.jwksDown = tt.jwksDown
			op.mu.Unlock()
			tok, err := Refresh(fixture.Context(t), op.config(), "the-refresh-token")
			if err != nil {
				t.Fatalf("Refresh: %v", err)
			}
			if tt.wantErr == "" {
				if tok.IDToken == "" || time.Until(tok.IDTokenExpiry) < 9*time.Minute || tok.IDTokenRejected != nil {
					t.Errorf("ID token %q expiring %v (%v), want the verified token", tok.IDToken, tok.IDTokenExpiry, tok.IDTokenRejected)
				}
				return
			}
			// A refresh keeps the (possibly rotated) tokens and drops the ID token.
			if tok.AccessToken == "" || tok.IDToken != "" || tok.IDTokenRejected == nil ||
				!strings.Contains(tok.IDTokenRejected.Error(), tt.wantErr) {
				t.Fatalf("Refresh = %+v, want the access token, no ID token and a rejection mentioning %q", tok, tt.wantErr)
			}
			assertNoSecret(t, "rejection", tok.IDTokenRejected.Error(), "the-access-token", "the-refresh-token", op.idToken())

			// A login with the same ID token fails, definitively.
			_, err = Password(fixture.Context(t), op.config(), "ann", "pw")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Password error = %v, want it to mention %q", err, tt.wantErr)
			}
			if IsTransient(err) || IsInvalidGrant(err) {
				t.Errorf("a rejected ID token counted as transient or invalid_grant: %v", err)
			}
			assertNoSecret(t, "error", err.Error(), "the-access-token", "pw", op.idToken())
		})
	}
}

func TestIDTokenNonce(t *testing.T) {
	t.Parallel()
	for _, tamper := range []bool{false, true} {
		t.Run(fmt.Sprintf("tampered %v", tamper), func(t *testing.T) {
			t.Parallel()
			op := newFakeOP(t)
			if tamper {
				op.mu.Lock()
				op.claims = func(c map[string]any) { c["nonce"] = "replayed-nonce" }
				op.mu.Unlock()
			}
			b := newBrowser(t, nil)
			tok, err := LoginBrowser(fixture.Context(t), op.config(), b.ui())
			status, page := b.result()
			if !tamper {
				if err != nil || tok.IDToken == "" || status != http.StatusOK {
					t.Fatalf("LoginBrowser = %+v, %v (page HTTP %d); want a verified ID token", tok, err, status)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "nonce") {
				t.Fatalf("LoginBrowser error = %v, want a nonce mismatch", err)
			}
			if status != http.StatusBadRequest || strings.Contains(page, "Signed in") {
				t.Errorf("browser ended on HTTP %d %q, want the failure page", status, page)
			}
		})
	}
}

func TestIDTokenWithoutVerificationKeysIsDropped(t *testing.T) {
	t.Parallel()
	op := newFakeOP(t)
	cfg := op.config()
	cfg.JWKSURL = "" // explicit endpoints, no discovery
	tok, err := Refresh(fixture.Context(t), cfg, "the-refresh-token")
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if tok.IDToken != "" || !tok.IDTokenExpiry.IsZero() || tok.AccessToken == "" {
		t.Errorf("token = %+v, want the access token and no unverified ID token", tok)
	}
}
