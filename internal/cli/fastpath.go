package cli

import (
	"context"
	"strings"
)

// fastPath runs the commands on tok's hot path — `tok token` and `tok kube`,
// run by kubectl and scripts on every call — without building the cobra
// tree, which costs more than the rest of a cached-token call. It accepts
// only the plain spellings of their flags; anything else (help, unknown or
// unusual flags, completion) returns handled=false and goes through cobra,
// which then behaves exactly as it always does. Both paths call the same
// run functions; fastpath_test.go checks that they parse alike.
func (a *app) fastPath(ctx context.Context, args []string) (handled bool, err error) {
	inv, ok := parseFast(args)
	if !ok {
		return false, nil
	}
	a.profileFlag, a.homeFlag, a.debug = inv.profile, inv.home, inv.debug
	a.ran = true
	a.setupLogging()
	if inv.command == "kube" {
		return true, a.runExecCredential(ctx)
	}
	return true, a.runToken(ctx, tokenOptions{output: inv.output, allowExpired: inv.allowExpired})
}

// fastInvocation is what parseFast understood.
type fastInvocation struct {
	command      string // "token" or "kube"
	profile      string
	home         string
	output       string
	debug        bool
	allowExpired bool
}

// parseFast recognises `tok token|kube` with -p/--profile, --home,
// --debug, and for token -o/--output and --allow-expired, in the forms
// "-p X", "-pX", "--profile X", "--profile=X".
func parseFast(args []string) (fastInvocation, bool) {
	inv := fastInvocation{output: outputRaw}
	if len(args) == 0 || (args[0] != "token" && args[0] != "kube") {
		return inv, false
	}
	inv.command = args[0]
	for i := 1; i < len(args); i++ {
		arg := args[i]
		name, value, hasValue := arg, "", false
		switch {
		case strings.HasPrefix(arg, "--"):
			name, value, hasValue = strings.Cut(arg, "=")
		case len(arg) > 2 && arg[0] == '-' && (arg[1] == 'p' || arg[1] == 'o'):
			name, value, hasValue = arg[:2], arg[2:], true
		}
		takesValue := false
		var dst *string
		switch name {
		case "-p", "--profile":
			takesValue, dst = true, &inv.profile
		case "--home":
			takesValue, dst = true, &inv.home
		case "-o", "--output":
			if inv.command != "token" {
				return inv, false
			}
			takesValue, dst = true, &inv.output
		case "--debug":
			if hasValue {
				return inv, false
			}
			inv.debug = true
		case "--allow-expired":
			if hasValue || inv.command != "token" {
				return inv, false
			}
			inv.allowExpired = true
		default:
			return inv, false
		}
		if !takesValue {
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return inv, false
			}
			i++
			value = args[i]
		}
		// An empty or flag-looking value is unusual enough for cobra.
		if value == "" || strings.HasPrefix(value, "-") {
			return inv, false
		}
		*dst = value
	}
	return inv, true
}
