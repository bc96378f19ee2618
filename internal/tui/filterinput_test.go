package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

func TestFilterInputEditing(t *testing.T) {
	runes := func(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }
	tests := []struct {
		name string
		keys []tea.KeyMsg
		want string
	}{
		{"typing appends", []tea.KeyMsg{runes("ap"), runes("i")}, "api"},
		{"space", []tea.KeyMsg{runes("a"), {Type: tea.KeySpace, Runes: []rune{' '}}, runes("b")}, "a b"},
		{"paste becomes one line", []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune("prod\nokta\t1"), Paste: true}}, "prod okta 1"},
		{"control characters are dropped", []tea.KeyMsg{runes("a\x07b")}, "ab"},
		{"backspace", []tea.KeyMsg{runes("abc"), {Type: tea.KeyBackspace}}, "ab"},
		{"backspace on empty", []tea.KeyMsg{{Type: tea.KeyBackspace}}, ""},
		{"ctrl+h", []tea.KeyMsg{runes("abc"), {Type: tea.KeyCtrlH}}, "ab"},
		{"ctrl+w deletes a word", []tea.KeyMsg{runes("prod okta  "), {Type: tea.KeyCtrlW}}, "prod "},
		{"alt+backspace deletes a word", []tea.KeyMsg{runes("prod okta"), {Type: tea.KeyBackspace, Alt: true}}, "prod "},
		{"ctrl+u clears", []tea.KeyMsg{runes("prod okta"), {Type: tea.KeyCtrlU}}, ""},
		{"multi-byte runes", []tea.KeyMsg{runes("ünï"), {Type: tea.KeyBackspace}}, "ün"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f filterInput
			for _, k := range tt.keys {
				if !f.update(k) {
					t.Fatalf("key %v not handled", k)
				}
			}
			if got := f.String(); got != tt.want {
				t.Errorf("value = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFilterInputLeavesOtherKeys(t *testing.T) {
	var f filterInput
	for _, k := range []tea.KeyMsg{{Type: tea.KeyEnter}, {Type: tea.KeyUp}, {Type: tea.KeyCtrlL}, {Type: tea.KeyRunes, Runes: []rune("x"), Alt: true}} {
		if f.update(k) {
			t.Errorf("%v was taken by the filter", k)
		}
	}
}

func TestFilterInputView(t *testing.T) {
	th := newTheme(nil, false)
	if got := ansi.Strip(filterInput{}.view(th, 80)); !strings.Contains(got, "Filter:") || !strings.Contains(got, "type to filter") {
		t.Errorf("empty filter view = %q, want the prompt and a hint", got)
	}
	long := filterInput{value: []rune(strings.Repeat("x", 50) + "END")}
	got := long.view(th, 40)
	if w := ansi.StringWidth(got); w > 40 {
		t.Errorf("view is %d columns wide at 40: %q", w, got)
	}
	if !strings.Contains(got, "END") {
		t.Errorf("the end of a long query must stay in sight: %q", got)
	}
}
