// Command docker-credential-tok is tok as docker's credential helper:
// `"credsStore": "tok"` in ~/.docker/config.json runs it (see
// docs/docker.md). It hands every request to tok-full's
// `tok docker-credential`.
package main

import (
	"os"

	"github.com/tok-cli/tok/internal/front"
)

func main() {
	os.Exit(front.MainArgs(append([]string{"docker-credential"}, os.Args[1:]...)))
}
