package front

import (
	"strings"

	"github.com/tok-cli/tok/internal/output"
)

// Invocation is a command line the front understood.
type Invocation struct {
	Command      string // "token", "kube" or "exec"
	Profile      string // -p, --profile
	Home         string // --home
	Debug        bool   // --debug
	Output       string // token: -o, --output
	AllowExpired bool   // token: --allow-expired

	// exec only
	EnvNames  []string // --env, repeatable
	TokenFile string   // --token-file
	Mask      bool     // --mask
	Argv      []string // the command after the flags
}

// Parse recognises the plain spellings of `tok token`, `tok kube` and
// `tok exec` with the flags the front serves (and tok token's one profile
// name as an argument, `tok token gh`): -p/--profile, --home and
// --debug everywhere; -o/--output and --allow-expired for token; --env,
// --token-file and --mask for exec. Values come as "-p X", "-pX", "-p=X",
// "--profile X" or "--profile=X". Anything else (help, completion, other
// flags, odd spellings) returns false and goes to tok-full, whose cobra
// tree then parses it. internal/cli's FuzzFrontParseAgreesWithCobra checks
// that whatever this accepts, cobra reads alike.
func Parse(args []string) (Invocation, bool) {
	inv := Invocation{Output: output.Raw}
	var positional string
	if len(args) == 0 {
		return inv, false
	}
	switch args[0] {
	case "token", "kube", "exec":
		inv.Command = args[0]
	default:
		return inv, false
	}
	for i := 1; i < len(args); i++ {
		arg := args[i]
		if inv.Command == "exec" && (arg == "--" || !strings.HasPrefix(arg, "-")) {
			// exec stops at "--" or the first argument that is not a flag.
			if arg == "--" {
				i++
			}
			inv.Argv = args[i:]
			return inv, len(inv.Argv) > 0
		}
		if inv.Command == "token" && arg != "" && !strings.HasPrefix(arg, "-") {
			// tok token NAME: one profile name as an argument.
			if positional != "" {
				return inv, false
			}
			positional = arg
			continue
		}
		name, value, hasValue := arg, "", false
		switch {
		case strings.HasPrefix(arg, "--"):
			name, value, hasValue = strings.Cut(arg, "=")
		case len(arg) > 2 && arg[0] == '-' && (arg[1] == 'p' || arg[1] == 'o'):
			name, value, hasValue = arg[:2], arg[2:], true
			if len(arg) > 3 && arg[2] == '=' {
				// pflag reads -p=api as -p api (but -p= as -p "=").
				value = arg[3:]
			}
		}
		var dst *string
		var list *[]string
		switch {
		case name == "-p" || name == "--profile":
			dst = &inv.Profile
		case name == "--home":
			dst = &inv.Home
		case (name == "-o" || name == "--output") && inv.Command == "token":
			dst = &inv.Output
		case name == "--token-file" && inv.Command == "exec":
			dst = &inv.TokenFile
		case name == "--env" && inv.Command == "exec":
			list = &inv.EnvNames
		case name == "--debug" && !hasValue:
			inv.Debug = true
			continue
		case name == "--allow-expired" && !hasValue && inv.Command == "token":
			inv.AllowExpired = true
			continue
		case name == "--mask" && !hasValue && inv.Command == "exec":
			inv.Mask = true
			continue
		default:
			return inv, false
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
		if list != nil {
			*list = append(*list, value)
		} else {
			*dst = value
		}
	}
	if positional != "" {
		// Like -p; a different -p is a usage error tok-full explains.
		if inv.Profile != "" && inv.Profile != positional {
			return inv, false
		}
		inv.Profile = positional
	}
	// token takes at most a profile name, kube no argument; exec needs a command.
	return inv, inv.Command != "exec"
}
