// Command git-credential-tok is tok as git's credential helper:
// `git config --global credential.helper tok` runs it. It is the small
// tok front under another name: `git-credential-tok get` with a valid
// cached token is answered without starting tok-full (see docs/git.md).
package main

import (
	"os"

	"github.com/tok-cli/tok/internal/front"
)

func main() {
	os.Exit(front.MainArgs(append([]string{"git-credential"}, os.Args[1:]...)))
}
