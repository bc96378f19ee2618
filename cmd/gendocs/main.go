// Command gendocs writes tok's generated files from its cobra command tree:
// shell completions in completions/, the Markdown command reference in
// docs/reference/, man pages in docs/man/, and the pages docs/environment.md
// and docs/exit-codes.md, which carry the text of the help topics
// `tok help environment` and `tok help exit-codes`.
//
// Run it from the module root after changing a command:
//
//	go run ./cmd/gendocs
//
// The output is byte-for-byte reproducible: it depends only on the command
// tree, never on the clock, the environment or the machine. CI regenerates
// the files and fails when they differ from the committed ones:
//
//	go run ./cmd/gendocs && git diff --exit-code -- completions docs
//
// Man pages carry a fixed date; set SOURCE_DATE_EPOCH to choose another.
// gendocs needs no keyring, database or network.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/tok-cli/tok/internal/cli"
)

// modulePath identifies tok's module root, the only directory gendocs
// writes into: it deletes and recreates whole output directories there.
const modulePath = "github.com/tok-cli/tok"

// defaultManDate is the date in the man pages' headers when
// SOURCE_DATE_EPOCH is not set. It is a constant, not the time of the run
// or of the last commit, so that regenerating never changes a committed
// page by itself; the header shows only month and year.
var defaultManDate = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "gendocs: %s\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fl := flag.NewFlagSet("gendocs", flag.ContinueOnError)
	dir := fl.String("C", ".", "tok's module root, where completions/ and docs/ are written")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; usage: go run ./cmd/gendocs [-C DIR]", fl.Args())
	}
	if err := checkModuleRoot(*dir); err != nil {
		return err
	}
	date, err := manDate(os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return err
	}
	return generate(*dir, date)
}

// checkModuleRoot refuses to write anywhere but tok's module root, because
// generate replaces whole directories.
func checkModuleRoot(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return fmt.Errorf("%s is not tok's module root (run gendocs from the repository root, or pass -C DIR): %w", dir, err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	if strings.TrimSpace(first) != "module "+modulePath {
		return fmt.Errorf("%s is not tok's module root: its go.mod does not declare module %s", dir, modulePath)
	}
	return nil
}

// manDate is the man pages' date: SOURCE_DATE_EPOCH (seconds since the
// Unix epoch, as in reproducible-builds.org) when set, else defaultManDate.
func manDate(epoch string) (time.Time, error) {
	if epoch == "" {
		return defaultManDate, nil
	}
	sec, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds since 1970", epoch)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// Output locations, relative to the module root.
const (
	completionsDir = "completions"
	referenceDir   = "docs/reference"
	manDir         = "docs/man"
	environmentMD  = "docs/environment.md"
	exitCodesMD    = "docs/exit-codes.md"
)

// generate writes every generated file below root. Directories that hold
// only generated files are emptied first, so a removed or renamed command
// leaves no stale page behind.
func generate(root string, date time.Time) error {
	cmd := cli.NewDocsRootCmd()
	// The completion command is added by cobra only when tok runs; add it
	// here so that its pages exist too.
	cmd.InitDefaultCompletionCmd()
	prepareForDocs(cmd)

	for _, d := range []string{completionsDir, referenceDir, manDir} {
		if err := resetDir(filepath.Join(root, d)); err != nil {
			return err
		}
	}
	if err := writeCompletions(cmd, filepath.Join(root, completionsDir)); err != nil {
		return err
	}
	if err := doc.GenMarkdownTreeCustom(cmd, filepath.Join(root, referenceDir), referencePrepender, referenceLink); err != nil {
		return fmt.Errorf("could not write the Markdown reference: %w", err)
	}
	header := &doc.GenManHeader{Title: "TOK", Section: "1", Date: &date, Source: "tok", Manual: "tok manual"}
	if err := doc.GenManTree(cmd, header, filepath.Join(root, manDir)); err != nil {
		return fmt.Errorf("could not write the man pages: %w", err)
	}
	for _, t := range []struct{ path, command, title, intro string }{
		{environmentMD, "environment", "Environment variables", "Environment variables that tok reads, and the ones `tok exec` sets for its child."},
		{exitCodesMD, "exit-codes", "Exit codes", "What tok's exit status means. Scripts can rely on these codes."},
	} {
		if err := writeTopicPage(cmd, filepath.Join(root, t.path), t.command, t.title, t.intro); err != nil {
			return err
		}
	}
	return nil
}

// prepareForDocs readies every command of the tree for cobra's Markdown
// and man page writers: it removes cobra's "Auto generated ... on DATE"
// footer, which would make every run differ, and fences the indented
// parts of long descriptions (see preformat). The help topics' original
// text stays available as topicText.
func prepareForDocs(cmd *cobra.Command) {
	cmd.DisableAutoGenTag = true
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[topicText] = cmd.Long
	cmd.Long = preformat(cmd.Long)
	for _, c := range cmd.Commands() {
		prepareForDocs(c)
	}
}

// topicText is the annotation that keeps a command's Long text as tok
// prints it, before preformat.
const topicText = "gendocs/long"

// preformat wraps each run of indented lines of a long description in a
// fenced code block. Descriptions are written for the terminal, with
// tables and lists indented by spaces; as Markdown (which the man page
// writer parses too) those lines would be reflowed into one paragraph.
// Blank lines inside a run stay in the block; unindented lines are prose.
func preformat(text string) string {
	lines := strings.Split(text, "\n")
	indented := func(l string) bool {
		return strings.TrimSpace(l) != "" && (l[0] == ' ' || l[0] == '\t')
	}
	// nextIsIndented reports whether the next non-blank line after i is indented.
	nextIsIndented := func(i int) bool {
		for _, l := range lines[i+1:] {
			if strings.TrimSpace(l) != "" {
				return indented(l)
			}
		}
		return false
	}
	var out []string
	inBlock := false
	for i, l := range lines {
		blank := strings.TrimSpace(l) == ""
		switch {
		case !inBlock && indented(l):
			if n := len(out); n > 0 && strings.TrimSpace(out[n-1]) != "" {
				out = append(out, "")
			}
			out = append(out, "```text")
			inBlock = true
		case inBlock && !indented(l) && !(blank && nextIsIndented(i)):
			out = append(out, "```")
			inBlock = false
			if !blank {
				out = append(out, "")
			}
		}
		if inBlock && blank {
			l = ""
		}
		out = append(out, l)
	}
	if inBlock {
		out = append(out, "```")
	}
	return strings.Join(out, "\n")
}

func resetDir(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("could not clear %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("could not create %s: %w", dir, err)
	}
	return nil
}

func writeCompletions(cmd *cobra.Command, dir string) error {
	const withDescriptions = true
	for _, c := range []struct {
		file string
		gen  func(*bytes.Buffer) error
	}{
		{"tok.bash", func(b *bytes.Buffer) error { return cmd.GenBashCompletionV2(b, withDescriptions) }},
		{"_tok", func(b *bytes.Buffer) error { return cmd.GenZshCompletion(b) }},
		{"tok.fish", func(b *bytes.Buffer) error { return cmd.GenFishCompletion(b, withDescriptions) }},
		{"tok.ps1", func(b *bytes.Buffer) error { return cmd.GenPowerShellCompletionWithDesc(b) }},
	} {
		var b bytes.Buffer
		if err := c.gen(&b); err != nil {
			return fmt.Errorf("could not generate %s: %w", c.file, err)
		}
		if err := writeFile(filepath.Join(dir, c.file), b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

const generatedNotice = "<!-- Generated by cmd/gendocs from tok's command tree. Do not edit; run: go run ./cmd/gendocs -->\n\n"

func referencePrepender(string) string { return generatedNotice }

// referenceLink keeps cobra's links (tok_profile_add.md) relative: every
// page lives in the same directory, so they work on GitHub and offline.
func referenceLink(name string) string { return name }

// writeTopicPage writes a Markdown page holding the text of the help topic
// command, exactly as `tok help <command>` prints it, so the page and the
// help can never drift apart.
func writeTopicPage(root *cobra.Command, path, command, title, intro string) error {
	topic, _, err := root.Find([]string{command})
	var text string
	if err == nil && topic != root {
		text = topic.Annotations[topicText]
	}
	if text == "" {
		return fmt.Errorf("could not find the help topic %q in the command tree; was it renamed? (update cmd/gendocs)", command)
	}
	var b strings.Builder
	b.WriteString(generatedNotice)
	fmt.Fprintf(&b, "# %s\n\n%s\n\nThis page is the text of `tok help %s`.\n\n", title, intro, command)
	b.WriteString("```text\n")
	b.WriteString(strings.TrimRight(text, "\n"))
	b.WriteString("\n```\n")
	return writeFile(path, []byte(b.String()))
}

func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("could not create %s: %w", filepath.Dir(path), err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("could not write %s: %w", path, err)
	}
	return nil
}
