package cli

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/tok-cli/tok/internal/front"
	"github.com/tok-cli/tok/internal/iostreams"
)

// frontWords are the pieces the fuzzer builds command lines from: tok's
// commands, every flag the token, kube and exec commands have (and some
// they do not) in their short, long and "=" spellings, values, and odd
// tokens ("--", "-", "", "="). A byte with the high bit set glues its word
// to the previous argument, so "-p" "=" "api" also becomes "-p=api".
var frontWords = []string{
	"token", "kube", "exec", "profile", "git-credential", "get", "help",
	"-p", "--profile", "-o", "--output", "--home", "--debug", "--passphrase-stdin",
	"--allow-expired", "--env", "--token-file", "--mask",
	"--issuer", "--token-url", "--client-id", "-h", "--help", "-x", "--unknown",
	"--", "-", "", "=", " ",
	"api", "gh", "json", "header", "raw", "env", "exec-credential",
	"/tmp/h", "GH_TOKEN", "make", "sh", "-c", "true", "https://id.example.com",
	"false", "-p=api", "-o=json", "-papi", "-ojson", "-p=", "-o=",
	"--profile=api", "--output=json", "--profile=", "--home=/h", "--debug=true",
	"--mask=false", "--allow-expired=true", "--env=GH_TOKEN", "--env=", "-pp", "-op", "-po",
	"-p-", "--p", "---profile", "-P", "--Profile", "t", "a=b",
}

// rawLine marks fuzz data that is NUL-separated arguments rather than
// indices into frontWords, so the fuzzer can reach any argument at all.
const rawLine = 0xff

// frontLine turns fuzz data into a command line.
func frontLine(data []byte) []string {
	if len(data) > 0 && data[0] == rawLine {
		return strings.Split(string(data[1:]), "\x00")
	}
	var args []string
	for _, b := range data {
		word := frontWords[int(b&0x7f)%len(frontWords)]
		if b&0x80 != 0 && len(args) > 0 {
			args[len(args)-1] += word
			continue
		}
		args = append(args, word)
	}
	return args
}

// encodeFrontLine is frontLine's inverse for lines of whole frontWords,
// for seeds that read as command lines.
func encodeFrontLine(tb testing.TB, line string) []byte {
	tb.Helper()
	var data []byte
	for _, w := range strings.Fields(line) {
		i := indexOf(frontWords, w)
		if i < 0 {
			tb.Fatalf("seed %q: %q is not in frontWords", line, w)
		}
		data = append(data, byte(i))
	}
	return data
}

func indexOf(words []string, w string) int {
	for i, v := range words {
		if v == w {
			return i
		}
	}
	return -1
}

// rawFrontLine is fuzz data for exactly these arguments.
func rawFrontLine(args ...string) []byte {
	return append([]byte{rawLine}, strings.Join(args, "\x00")...)
}

// The front serves a command line only if tok-full's cobra tree reads it
// the same way: the same command, profile, home, output format, flags and
// exec argv. Anything cobra refuses the front must hand over, never serve;
// handing over is always safe, serving differently is a bug.
func FuzzFrontParseAgreesWithCobra(f *testing.F) {
	for _, line := range []string{
		"token", "token -p api", "token -papi", "token --profile api", "token --profile=api",
		"token -p api -o json", "token -ojson -p api", "token --output=json --home /tmp/h --debug",
		"token --allow-expired -p gh", "token gh", "token gh -o json", "token -o json gh",
		"token gh -p gh", "token -p gh gh --debug", "token -p api -p gh", "token gh api",
		"token -p=api", "token -o=json", "token -p=", "token -o=", "token -pp", "token -op", "token -po",
		"token -p-", "token -p -o", "token -- gh", "token - ", "token gh --", "token --profile=",
		"token --passphrase-stdin -p api", "token --debug=true", "token --allow-expired=true",
		"token -h", "token --help", "token -x", "token --issuer https://id.example.com",
		"token --env GH_TOKEN", "token --mask", "token -P api", "token --p api", "token ---profile api",
		"kube", "kube -p api", "kube --profile=api --home=/h", "kube -p=api", "kube gh", "kube -o json",
		"kube --allow-expired", "kube -- gh",
		"exec -p api -- make", "exec -p api make", "exec -p=api -- make", "exec --env GH_TOKEN --env=GH_TOKEN -p api -- sh -c true",
		"exec --mask --token-file /tmp/h -p api -- make", "exec -p api -- -p api", "exec -p api make -p api",
		"exec -papi --home=/h make", "exec", "exec -p api", "exec -p api --", "exec -- --", "exec -- -",
		"exec - make", "exec --mask=false -- make", "exec -o json -- make", "exec --env -- make",
		"exec --env= -- make", "exec -- make", "exec --issuer https://id.example.com -- make",
		"git-credential get", "git-credential get get", "git-credential -p api get", "profile", "help token",
	} {
		f.Add(encodeFrontLine(f, line))
	}
	f.Add(rawFrontLine("token", "-p", ""))
	f.Add(rawFrontLine("token", ""))
	f.Add(rawFrontLine("exec", "", "make"))
	f.Add(rawFrontLine("token", "-p", "a b"))
	f.Add(rawFrontLine("token", "--profile=a=b"))
	f.Add(rawFrontLine("token", "-pa=b"))
	f.Add(rawFrontLine("exec", "-p", "api", "--", "--", "x"))

	f.Fuzz(func(t *testing.T, data []byte) {
		args := frontLine(data)
		if front.IsGitGet(args) {
			if action, ok := cobraGitCredential(args); !ok || action != "get" {
				t.Fatalf("%q: the front would answer git's get, but tok-full reads action %q (ok=%v)", args, action, ok)
			}
		}
		got, ok := front.Parse(args)
		if !ok {
			return // handed over: tok-full parses it, whatever it is
		}
		want, ok := cobraParse(t, args)
		if !ok {
			t.Fatalf("%q: the front would serve %+v, but tok-full's cobra tree rejects it", args, got)
		}
		got.Argv, want.Argv = nilIfEmpty(got.Argv), nilIfEmpty(want.Argv)
		got.EnvNames, want.EnvNames = nilIfEmpty(got.EnvNames), nilIfEmpty(want.EnvNames)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: the front parsed %+v, cobra %+v", args, got, want)
		}
	})
}

// cobraGitCredential is the action tok-full's git-credential command
// would run for args with no flag set, or false when cobra reads args as
// anything else.
func cobraGitCredential(args []string) (string, bool) {
	ios, _, _, _ := iostreams.Test()
	d := newDeps(ios, func(string) string { return "" })
	cmd, rest, err := NewRootCmd(d).Find(args)
	if err != nil || cmd.Name() != "git-credential" || cmd.ParseFlags(rest) != nil {
		return "", false
	}
	if cmd.Flags().NFlag() != 0 || cmd.ValidateArgs(cmd.Flags().Args()) != nil {
		return "", false
	}
	return cmd.Flags().Arg(0), true
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// The fuzz grammar reaches the spellings the fuzz target exists for.
func TestFrontLineBuildsGluedArguments(t *testing.T) {
	data := encodeFrontLine(t, "token -p = api")
	data[2] |= 0x80
	data[3] |= 0x80
	if got := frontLine(data); !reflect.DeepEqual(got, []string{"token", "-p=api"}) {
		t.Errorf("frontLine glued %q", got)
	}
	if got := frontLine(rawFrontLine("exec", "", "a b")); !reflect.DeepEqual(got, []string{"exec", "", "a b"}) {
		t.Errorf("frontLine split raw data into %q", got)
	}
	if !bytes.Equal(encodeFrontLine(t, "kube"), []byte{1}) {
		t.Errorf("encodeFrontLine does not index frontWords")
	}
}
