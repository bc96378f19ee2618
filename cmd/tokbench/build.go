package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// releaseFlags are the flags tok's release builds use (see the Makefile):
// a static binary without symbol tables, reproducible paths.
var releaseFlags = []string{"-trimpath", "-ldflags", "-s -w"}

// floorSource is the floor: the least a Go program can do for the job, read
// a small file and print it. It is built with the same flags as tok, so the
// ratio to it is what tok's own work costs.
const floorSource = `package main

import "os"

func main() {
	b, err := os.ReadFile(os.Args[1])
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.Write(b)
}
`

// rssProbeSource is a small program that runs a command and writes the
// child's peak RSS (KiB) to the file named by its first argument. Go starts
// processes with vfork, so a child's ru_maxrss includes the memory of the
// process that started it, which it shared until exec: measured directly
// from the harness (a big Go program with an authorization server), every
// figure would be the harness's own. Through this probe the figure includes
// at most the probe's small footprint, which the floor's row shows.
const rssProbeSource = `package main

import (
	"os"
	"strconv"
	"syscall"
)

func main() {
	pid, err := syscall.ForkExec(os.Args[2], os.Args[2:], &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{0, 1, 2},
	})
	if err != nil {
		os.Stderr.WriteString("rss probe: " + err.Error() + "\n")
		os.Exit(127)
	}
	var ws syscall.WaitStatus
	var ru syscall.Rusage
	for {
		_, err = syscall.Wait4(pid, &ws, 0, &ru)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		os.Stderr.WriteString("rss probe: " + err.Error() + "\n")
		os.Exit(127)
	}
	if err := os.WriteFile(os.Args[1], []byte(strconv.FormatInt(int64(ru.Maxrss), 10)), 0o600); err != nil {
		os.Exit(127)
	}
	os.Exit(ws.ExitStatus())
}
`

// goBuild runs go build with the release flags in dir for goos/goarch.
func goBuild(dir, goos, goarch, out, pkg string, extraEnv ...string) error {
	args := append([]string{"build"}, releaseFlags...)
	args = append(args, "-o", out, pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	cmd.Env = append(cmd.Env, extraEnv...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// buildTok builds tok and tok-full for this machine into dir, side by
// side as installed, and returns the path of tok.
func buildTok(dir string) (string, error) {
	for _, name := range binaries {
		if err := goBuild("", runtime.GOOS, runtime.GOARCH, filepath.Join(dir, name), "github.com/tok-cli/tok/cmd/"+name); err != nil {
			return "", err
		}
	}
	return filepath.Join(dir, "tok"), nil
}

// binaries are the programs a tok release installs.
var binaries = []string{"tok", "tok-full", "git-credential-tok", "docker-credential-tok"}

// releaseSizes are the sizes of the stripped linux/amd64 binaries, by
// name. On a linux/amd64 machine those are the binaries just built.
func releaseSizes(dir string) (map[string]int64, error) {
	sizes := map[string]int64{}
	for _, name := range binaries {
		path := filepath.Join(dir, name)
		if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
			path = filepath.Join(dir, name+"-linux-amd64")
			if err := goBuild("", "linux", "amd64", path, "github.com/tok-cli/tok/cmd/"+name); err != nil {
				return nil, err
			}
		}
		info, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		sizes[name] = info.Size()
	}
	return sizes, nil
}

// buildFloor builds the floor program into dir and returns its path.
func buildFloor(dir string) (string, error) { return buildProgram(dir, "floor", floorSource) }

// buildRSSProbe builds the RSS probe into dir and returns its path.
func buildRSSProbe(dir string) (string, error) {
	return buildProgram(dir, "rss-probe", rssProbeSource)
}

// buildProgram writes source into a module of its own under dir and
// builds it with the release flags; it returns the binary's path.
func buildProgram(dir, name, source string) (string, error) {
	src := filepath.Join(dir, name+"-src")
	if err := os.MkdirAll(src, 0o700); err != nil {
		return "", err
	}
	goVersion := strings.TrimPrefix(runtime.Version(), "go")
	if i := strings.IndexAny(goVersion, " -"); i >= 0 {
		goVersion = goVersion[:i]
	}
	files := map[string]string{
		"go.mod":  "module tokbench/" + name + "\n\ngo " + goVersion + "\n",
		"main.go": source,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o600); err != nil {
			return "", err
		}
	}
	out := filepath.Join(dir, name)
	// GOWORK=off and an empty GOFLAGS keep the caller's workspace and
	// module flags away from this one-file module.
	return out, goBuild(src, runtime.GOOS, runtime.GOARCH, out, ".", "GOWORK=off", "GOFLAGS=")
}
