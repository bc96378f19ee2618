package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/jwt"
	"github.com/tok-cli/tok/internal/plan"
	"github.com/tok-cli/tok/internal/record"
	"github.com/tok-cli/tok/internal/when"
)

// inspectOptions is what tok inspect's command line says.
type inspectOptions struct {
	Profile string // the argument or -p; "" = TOK_PROFILE or the default
	Stdin   bool   // the argument "-": read the token from stdin
	JSON    bool   // --json
	IDToken bool   // --id-token
}

// newCmdInspect builds tok inspect. It only parses: runF (nil =
// d.runInspect) does the work.
func newCmdInspect(d *Deps, runF func(*inspectOptions) error) *cobra.Command {
	opts := &inspectOptions{}
	cmd := &cobra.Command{
		Use:   "inspect [PROFILE | -p PROFILE | -]",
		Short: "Decode a JWT: header, claims, and when it expires (not verified)",
		Long: `Decode a JSON Web Token and show its header and claims, with exp, iat and nbf
as readable times and the time left. With "-" the token is read from stdin;
otherwise the profile's current token is used (without refreshing it).

The signature is NOT verified: this is for reading your own tokens, not for
deciding whether to trust one. Opaque (non-JWT) tokens cannot be decoded.`,
		Example: `  tok inspect -p api
  tok inspect api --id-token
  echo "$TOKEN" | tok inspect -`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && args[0] == "-" {
				return nil
			}
			return d.checkProfileArg(cmd, args)
		},
		ValidArgsFunction: d.completeProfileArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && args[0] == "-" {
				opts.Stdin = true
			} else {
				opts.Profile = d.namedProfile(args)
			}
			if runF != nil {
				return runF(opts)
			}
			return d.runInspect(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the header and claims as JSON")
	cmd.Flags().BoolVar(&opts.IDToken, "id-token", false, "inspect the profile's ID token instead of its access token")
	return cmd
}

// runInspect decodes a token from stdin or a profile's current token
// (never refreshed) and prints its header and claims, unverified.
func (d *Deps) runInspect(ctx context.Context, opts *inspectOptions) error {
	var raw string
	if opts.Stdin {
		var err error
		if raw, err = readSecretStdin(d.io.In); err != nil {
			return fmt.Errorf("could not read a token from stdin: %w", err)
		}
	} else {
		svc, err := d.service()
		if err != nil {
			return err
		}
		use := record.K8sAccessToken
		if opts.IDToken {
			use = record.K8sIDToken
		}
		cred, err := svc.Token(ctx, plan.Profile(opts.Profile, "", d.getenv), record.Options{Use: use, AllowExpired: true})
		if err != nil {
			return err
		}
		raw = cred.Token
	}
	dec, err := jwt.Decode(raw)
	if errors.Is(err, jwt.ErrNotJWT) {
		return fmt.Errorf("the token is %w", err)
	}
	if err != nil {
		return err
	}
	if opts.JSON {
		enc := json.NewEncoder(d.io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"header": dec.Header, "claims": dec.Claims, "verified": false})
	}
	writeDecoded(d.io.Out, dec, d.now())
	fmt.Fprintln(d.io.ErrOut, "Note: the signature was not verified.")
	return nil
}

func writeDecoded(w io.Writer, d jwt.Decoded, now time.Time) {
	fmt.Fprintln(w, "Header:")
	writeClaims(w, d.Header)
	fmt.Fprintln(w, "Claims:")
	writeClaims(w, d.Claims)
	for _, c := range []string{"exp", "iat", "nbf"} {
		t, ok := d.Time(c)
		if !ok {
			continue
		}
		label := ""
		if c == "exp" {
			label = "expires "
			if !t.After(now) {
				label = "expired "
			}
		}
		fmt.Fprintf(w, "%s: %s (%s%s)\n", c, t.Format(time.RFC3339), label, when.Format(t, now))
	}
}

func writeClaims(w io.Writer, m map[string]any) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, _ := json.Marshal(m[k])
		fmt.Fprintf(w, "  %s: %s\n", k, strings.TrimSpace(string(v)))
	}
}
