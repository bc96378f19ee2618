package tui

import (
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// theme holds the styles of one run, all bound to a renderer for the
// writer being drawn on. Building styles from lipgloss's default renderer
// would tie them to stdout, which may be a pipe while stderr is a terminal,
// and adaptive colours would make it query the terminal's background.
type theme struct {
	title    lipgloss.Style
	cursor   lipgloss.Style
	selected lipgloss.Style
	dim      lipgloss.Style
	header   lipgloss.Style
	helpKey  lipgloss.Style
	helpDesc lipgloss.Style
	spinner  lipgloss.Style
	// cursorBlock marks where typing goes; reverse video, so it shows in
	// any palette, and nothing at all without colour.
	cursorBlock lipgloss.Style

	good, warn, bad, plain lipgloss.Style
}

// colorAllowed reports whether colour may be used: the caller asked for it
// and NO_COLOR (https://no-color.org) is unset or empty.
func colorAllowed(want bool) bool {
	return want && os.Getenv("NO_COLOR") == ""
}

// newTheme builds the styles for out. With color false every style renders
// plain text: no colour and no other SGR attribute either, so a dumb
// terminal or a log file sees only words. With color true the 16 basic ANSI
// colours are used; they follow the person's terminal palette, so no
// light/dark detection is needed.
func newTheme(out io.Writer, color bool) theme {
	profile := termenv.Ascii
	if color {
		profile = termenv.ANSI
	}
	r := lipgloss.NewRenderer(out, termenv.WithProfile(profile))
	r.SetColorProfile(profile)
	r.SetHasDarkBackground(true) // never ask the terminal

	fg := func(c string) lipgloss.Style { return r.NewStyle().Foreground(lipgloss.Color(c)) }
	return theme{
		title:       r.NewStyle().Bold(true),
		cursor:      fg("5").Bold(true),
		selected:    r.NewStyle().Bold(true),
		dim:         r.NewStyle().Faint(true),
		header:      r.NewStyle().Bold(true),
		helpKey:     r.NewStyle(),
		helpDesc:    r.NewStyle().Faint(true),
		spinner:     fg("5"),
		cursorBlock: r.NewStyle().Reverse(true),
		good:        fg("2"),
		warn:        fg("3"),
		bad:         fg("1"),
		plain:       r.NewStyle(),
	}
}

// status picks the colour for a status badge or a status table cell. A
// status may carry a qualifier ("valid for 42m", "expired (refreshes on
// next use)"), so the first word or words decide.
func (t theme) status(text string) lipgloss.Style {
	is := func(status string) bool {
		rest, ok := strings.CutPrefix(text, status)
		return ok && (rest == "" || rest[0] == ' ')
	}
	switch {
	case is(StatusValid):
		return t.good
	case is(StatusStale):
		return t.warn
	case is(StatusExpired), is(StatusLoginRequired):
		return t.bad
	case is(StatusNoToken):
		return t.dim
	default:
		return t.plain
	}
}
