// Command execplugin is a stand-in for tok's kubectl credential plugin, used
// by execcred's tests: it answers kubectl with execcred.Write and records the
// request it got, so tests can check what real kubectl sends and accepts.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/tok-cli/tok/internal/execcred"
)

func main() {
	token := flag.String("token", "", "bearer token to answer with")
	record := flag.String("record", "", "file to append KUBERNETES_EXEC_INFO to, Go-quoted, one line per call")
	ttl := flag.Duration("ttl", time.Hour, "lifetime of the credential")
	flag.Parse()

	env := os.Getenv(execcred.EnvVar)
	if *record != "" {
		f, err := os.OpenFile(*record, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			fail(err)
		}
		// Quoted because kubectl's value ends in a newline.
		fmt.Fprintf(f, "%q\n", env)
		if err := f.Close(); err != nil {
			fail(err)
		}
	}
	info, err := execcred.ParseInfo(env)
	if err != nil {
		fail(err)
	}
	if err := execcred.Write(os.Stdout, info, *token, time.Now().Add(*ttl)); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "execplugin:", err)
	os.Exit(1)
}
