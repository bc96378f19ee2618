package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tok-cli/tok/internal/jwt"
	"github.com/tok-cli/tok/internal/tokens"
)

func newInspectCmd(a *app) *cobra.Command {
	var asJSON, idToken bool
	cmd := &cobra.Command{
		Use:   "inspect [-p PROFILE | -]",
		Short: "Decode a JWT: header, claims, and when it expires (not verified)",
		Long: `Decode a JSON Web Token and show its header and claims, with exp, iat and nbf
as readable times and the time left. With "-" the token is read from stdin;
otherwise the profile's current token is used (without refreshing it).

The signature is NOT verified: this is for reading your own tokens, not for
deciding whether to trust one. Opaque (non-JWT) tokens cannot be decoded.`,
		Example: `  tok inspect -p api
  tok inspect -p api --id-token
  echo "$TOKEN" | tok inspect -`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var raw string
			if len(args) == 1 {
				if args[0] != "-" {
					return usagef("the only argument inspect takes is - (read the token from stdin); use -p PROFILE for a profile")
				}
				var err error
				if raw, err = readSecretStdin(a.io.In); err != nil {
					return fmt.Errorf("could not read a token from stdin: %w", err)
				}
			} else {
				svc, err := a.service()
				if err != nil {
					return err
				}
				use := tokens.K8sAccessToken
				if idToken {
					use = tokens.K8sIDToken
				}
				cred, err := svc.Token(cmd.Context(), a.profileName(), tokens.TokenOptions{Use: use, AllowExpired: true})
				if err != nil {
					return err
				}
				raw = cred.Token
			}
			d, err := jwt.Decode(raw)
			if errors.Is(err, jwt.ErrNotJWT) {
				return fmt.Errorf("the token is %w", err)
			}
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.io.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"header": d.Header, "claims": d.Claims, "verified": false})
			}
			writeDecoded(a.io.Out, d, a.now())
			fmt.Fprintln(a.io.ErrOut, "Note: the signature was not verified.")
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the header and claims as JSON")
	cmd.Flags().BoolVar(&idToken, "id-token", false, "inspect the profile's ID token instead of its access token")
	return cmd
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
		rel := humanDuration(t.Sub(now))
		switch c {
		case "exp":
			if t.After(now) {
				rel = "expires in " + rel
			}
		default:
			if t.Before(now) {
				rel = humanDuration(now.Sub(t)) + " ago"
			} else {
				rel = "in " + rel
			}
		}
		fmt.Fprintf(w, "%s: %s (%s, %s)\n", c, t.Format(time.RFC3339), t.Local().Format("2006-01-02 15:04:05 MST"), rel)
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
