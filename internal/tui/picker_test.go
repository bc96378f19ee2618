package tui

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// sgr matches Select Graphic Rendition sequences: colours and attributes.
// Cursor movement and line erasing are allowed on a terminal; these are not
// when colour is off.
var sgr = regexp.MustCompile(`\x1b\[[0-9;:]*m`)

func testItems() []Item {
	return []Item{
		{Name: "api-prod", Type: "oidc", Issuer: "login.example.com", Status: StatusValid, ExpiresIn: 42*time.Minute + 30*time.Second, Description: "Production API"},
		{Name: "api-staging", Type: "oidc", Issuer: "login.example.com", Status: StatusStale, Default: true},
		{Name: "k8s-lab", Type: "device", Issuer: "dex.lab.internal", Status: StatusExpired},
		{Name: "github", Type: "device", Issuer: "github.com", Status: StatusLoginRequired},
		{Name: "ci-bot", Type: "client-credentials", Issuer: "auth.corp.example.org", Status: StatusNoToken},
	}
}

// keyMsg turns a key name as Bubble Tea prints it ("enter", "ctrl+l") or
// plain text ("lab") into the message a terminal would produce.
func keyMsg(k string) tea.KeyMsg {
	named := map[string]tea.KeyType{
		"enter": tea.KeyEnter, "esc": tea.KeyEsc, "ctrl+c": tea.KeyCtrlC,
		"ctrl+l": tea.KeyCtrlL, "ctrl+r": tea.KeyCtrlR, "ctrl+d": tea.KeyCtrlD,
		"up": tea.KeyUp, "down": tea.KeyDown, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown,
		"ctrl+n": tea.KeyCtrlN, "ctrl+p": tea.KeyCtrlP, "backspace": tea.KeyBackspace,
	}
	if t, ok := named[k]; ok {
		return tea.KeyMsg{Type: t}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

func newTestPicker(t *testing.T, items []Item, width, height int) picker {
	t.Helper()
	return newPicker(items, PickOptions{Out: io.Discard, Title: "Choose a profile", Width: width, Height: height})
}

// press sends keys to the model one after another, as the program would,
// and returns the final model and the command of the last key.
func press(t *testing.T, m picker, keys ...string) (picker, tea.Cmd) {
	t.Helper()
	var cmd tea.Cmd
	for _, k := range keys {
		var next tea.Model
		next, cmd = m.Update(keyMsg(k))
		m = next.(picker)
	}
	return m, cmd
}

func isQuit(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

func TestPickerChooses(t *testing.T) {
	tests := []struct {
		name       string
		keys       []string
		wantName   string
		wantAction Action
	}{
		{"enter keeps the default highlighted at start", []string{"enter"}, "api-staging", Choose},
		{"down moves past the default", []string{"down", "enter"}, "k8s-lab", Choose},
		{"ctrl+n and ctrl+p move too", []string{"ctrl+n", "ctrl+n", "ctrl+p", "enter"}, "k8s-lab", Choose},
		{"up stops at the top", []string{"up", "up", "up", "enter"}, "api-prod", Choose},
		{"down stops at the bottom", []string{"pgdown", "down", "enter"}, "ci-bot", Choose},
		{"typing filters and enter picks the top match", []string{"lab", "enter"}, "k8s-lab", Choose},
		{"filter ignores case and matches the issuer", []string{"GITHUB.COM", "enter"}, "github", Choose},
		{"every word must match", []string{"login prod", "enter"}, "api-prod", Choose},
		{"name prefix ranks first", []string{"api-s", "enter"}, "api-staging", Choose},
		{"move within the filtered list", []string{"api", "down", "enter"}, "api-staging", Choose},
		{"backspace widens the filter again", []string{"labx", "backspace", "enter"}, "k8s-lab", Choose},
		{"ctrl+l asks to log in", []string{"git", "ctrl+l"}, "github", Login},
		{"ctrl+r asks to refresh", []string{"ctrl+r"}, "api-staging", Refresh},
		{"ctrl+d asks to set the default", []string{"ci", "ctrl+d"}, "ci-bot", SetDefault},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, cmd := press(t, newTestPicker(t, testItems(), 80, 24), tt.keys...)
			if !m.done || !isQuit(cmd) {
				t.Fatalf("picker did not finish after %q (done=%v)", tt.keys, m.done)
			}
			if m.chosen != tt.wantName || m.action != tt.wantAction {
				t.Errorf("got %q %v, want %q %v", m.chosen, m.action, tt.wantName, tt.wantAction)
			}
		})
	}
}

func TestPickerLettersGoToTheFilter(t *testing.T) {
	// "l", "r" and "d" are ordinary letters here: a profile named "lab"
	// must be reachable by typing its name.
	m, _ := press(t, newTestPicker(t, testItems(), 80, 24), "l", "r", "d")
	if m.done {
		t.Fatal("a plain letter ended the picker")
	}
	if got := m.filter.String(); got != "lrd" {
		t.Errorf("filter = %q, want %q", got, "lrd")
	}
}

func TestPickerCancels(t *testing.T) {
	for _, k := range []string{"esc", "ctrl+c"} {
		t.Run(k, func(t *testing.T) {
			m, cmd := press(t, newTestPicker(t, testItems(), 80, 24), "api", k)
			if !m.done || !isQuit(cmd) || m.chosen != "" {
				t.Errorf("after %s: done=%v quit=%v chosen=%q; want cancelled", k, m.done, isQuit(cmd), m.chosen)
			}
			if v := m.View(); v != "" {
				t.Errorf("a finished picker should clear itself, view = %q", v)
			}
		})
	}
}

func TestPickerNoMatch(t *testing.T) {
	m, _ := press(t, newTestPicker(t, testItems(), 80, 24), "zzz")
	if len(m.matches) != 0 {
		t.Fatalf("matches = %v, want none", m.matches)
	}
	view := ansi.Strip(m.View())
	if !strings.Contains(view, `no profile matches "zzz"`) {
		t.Errorf("view does not say nothing matches:\n%s", view)
	}
	for _, k := range []string{"enter", "ctrl+l", "ctrl+r", "ctrl+d", "down"} {
		if m, _ := press(t, m, k); m.done {
			t.Errorf("%s with no match ended the picker", k)
		}
	}
	m, _ = press(t, m, "backspace", "backspace", "backspace")
	if len(m.matches) != len(testItems()) {
		t.Errorf("after clearing the filter %d of %d profiles match", len(m.matches), len(testItems()))
	}
}

func TestPickerView(t *testing.T) {
	for _, size := range []struct{ w, h int }{{80, 24}, {40, 24}, {40, 12}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			m := newTestPicker(t, testItems(), size.w, size.h)
			view := m.View()
			plain := ansi.Strip(view)
			lines := strings.Split(view, "\n")
			if len(lines) > size.h {
				t.Errorf("view has %d lines, more than the %d-line terminal", len(lines), size.h)
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w > size.w {
					t.Errorf("line %d is %d columns wide, more than %d: %q", i, w, size.w, l)
				}
			}
			want := []string{"Choose a profile", "Filter:", "(default)",
				"enter choose", "esc cancel", "ctrl+l log in", "ctrl+r refresh", "ctrl+d set default"}
			if size.h >= 24 { // every profile fits: check each row's details
				want = append(want, "valid for 42m", "stale", "expired", "login required", "no token",
					"api-prod", "api-staging", "k8s-lab", "github", "ci-bot",
					"oidc", "device", "login.example.com", "dex.lab.internal", "5 profiles")
			}
			for _, s := range want {
				if !strings.Contains(plain, s) {
					t.Errorf("view lacks %q:\n%s", s, plain)
				}
			}
			if sgr.MatchString(view) {
				t.Errorf("view has colour codes with colour off: %q", view)
			}
		})
	}
}

func TestPickerViewMarksTheHighlightedProfile(t *testing.T) {
	m, _ := press(t, newTestPicker(t, testItems(), 80, 24), "k8s")
	view := ansi.Strip(m.View())
	if !strings.Contains(view, "> k8s-lab") {
		t.Errorf("highlighted profile not marked:\n%s", view)
	}
	if !strings.Contains(view, "1 of 5 profiles") {
		t.Errorf("view does not count the matches:\n%s", view)
	}
}

func TestPickerShowsTheDescriptionOfTheHighlightedProfile(t *testing.T) {
	m, _ := press(t, newTestPicker(t, testItems(), 40, 24), "prod")
	if view := ansi.Strip(m.View()); !strings.Contains(view, "Production API") {
		t.Errorf("description of api-prod missing:\n%s", view)
	}
}

func TestPickerTruncatesLongNamesAtNarrowWidths(t *testing.T) {
	items := []Item{
		{Name: strings.Repeat("very-long-profile-name-", 4), Type: "oidc", Issuer: "a-rather-long-issuer-host.example.com", Status: StatusLoginRequired},
		{Name: "short", Status: StatusValid, ExpiresIn: 90 * time.Minute},
	}
	m := newTestPicker(t, items, 40, 24)
	for i, l := range strings.Split(m.View(), "\n") {
		if w := ansi.StringWidth(l); w > 40 {
			t.Errorf("line %d is %d columns wide: %q", i, w, l)
		}
	}
	if view := ansi.Strip(m.View()); !strings.Contains(view, "valid for 1h30m") || !strings.Contains(view, "login required") {
		t.Errorf("badges must survive long names:\n%s", view)
	}
}

func TestPickerScrollsLongLists(t *testing.T) {
	var items []Item
	for i := range 30 {
		items = append(items, Item{Name: fmt.Sprintf("profile-%02d", i), Type: "oidc", Issuer: "idp.example.com", Status: StatusValid, ExpiresIn: time.Hour})
	}
	m := newTestPicker(t, items, 80, 24)
	if view := ansi.Strip(m.View()); !strings.Contains(view, "30 profiles · 1–10 shown") || strings.Contains(view, "profile-10") {
		t.Fatalf("first page wrong:\n%s", view)
	}
	m, _ = press(t, m, "pgdown", "down", "down")
	view := ansi.Strip(m.View())
	if !strings.Contains(view, "> profile-12") {
		t.Errorf("cursor row not visible after scrolling:\n%s", view)
	}
	if strings.Contains(view, "profile-02") {
		t.Errorf("rows above the window still shown:\n%s", view)
	}
	m, _ = press(t, m, "enter")
	if m.chosen != "profile-12" {
		t.Errorf("chose %q, want profile-12", m.chosen)
	}
}

func TestPickerFollowsTheTerminalSize(t *testing.T) {
	m := newPicker(testItems(), PickOptions{Out: io.Discard}) // size from the terminal
	next, _ := m.Update(tea.WindowSizeMsg{Width: 40, Height: 24})
	m = next.(picker)
	for i, l := range strings.Split(m.View(), "\n") {
		if w := ansi.StringWidth(l); w > 40 {
			t.Errorf("line %d is %d columns wide after resizing to 40: %q", i, w, l)
		}
	}
	if !layoutColumns(m.items, m.width).twoLine {
		t.Error("at 40 columns each profile should take two lines")
	}
}

func TestPickerColour(t *testing.T) {
	items := testItems()
	colourful := newPicker(items, PickOptions{Out: io.Discard, Color: true, Width: 80, Height: 24}).View()
	if !sgr.MatchString(colourful) {
		t.Fatalf("Color=true drew no colour, so the no-colour checks prove nothing:\n%q", colourful)
	}
	if plain := newPicker(items, PickOptions{Out: io.Discard, Color: false, Width: 80, Height: 24}).View(); sgr.MatchString(plain) {
		t.Errorf("Color=false drew colour: %q", plain)
	}
	t.Setenv("NO_COLOR", "1")
	if v := newPicker(items, PickOptions{Out: io.Discard, Color: true, Width: 80, Height: 24}).View(); sgr.MatchString(v) {
		t.Errorf("NO_COLOR=1 drew colour: %q", v)
	}
}
