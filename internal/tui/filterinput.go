package tui

import (
	"strings"
	"unicode"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// filterInput is the one-line query the picker filters by: typing appends,
// Backspace deletes a character, Ctrl-W a word, Ctrl-U everything; pasted
// text is inserted as one line.
//
// It stands in for bubbles' textinput on purpose: textinput imports a
// clipboard package whose init searches PATH for xclip and xsel, about 2 ms
// on every start of tok, whose hot path imports this package.
type filterInput struct {
	value []rune
}

const (
	filterPrompt      = "Filter: "
	filterPlaceholder = "(type to filter)"
)

func (f filterInput) String() string { return string(f.value) }

// update applies a key and reports whether the key was one it handles.
func (f *filterInput) update(msg tea.KeyMsg) bool {
	switch msg.Type {
	case tea.KeyRunes, tea.KeySpace:
		if msg.Alt {
			return false
		}
		for _, r := range msg.Runes {
			if r == '\n' || r == '\t' {
				r = ' '
			}
			if unicode.IsPrint(r) {
				f.value = append(f.value, r)
			}
		}
	case tea.KeyBackspace, tea.KeyCtrlH:
		if msg.Alt {
			f.deleteWord()
		} else if len(f.value) > 0 {
			f.value = f.value[:len(f.value)-1]
		}
	case tea.KeyCtrlW:
		f.deleteWord()
	case tea.KeyCtrlU:
		f.value = nil
	default:
		return false
	}
	return true
}

// deleteWord removes the last word and the blanks after it.
func (f *filterInput) deleteWord() {
	v := strings.TrimRightFunc(string(f.value), unicode.IsSpace)
	i := strings.LastIndexFunc(v, unicode.IsSpace)
	f.value = []rune(v[:i+1])
}

// view draws the prompt and the query, keeping the end of a long query in
// sight, followed by a block cursor where colour allows.
func (f filterInput) view(th theme, width int) string {
	prompt := th.dim.Render(filterPrompt)
	room := max(1, width-ansi.StringWidth(filterPrompt)-1)
	if len(f.value) == 0 {
		return prompt + th.cursorBlock.Render(" ") + th.dim.Render(ansi.Truncate(filterPlaceholder, room-1, ""))
	}
	text := string(f.value)
	if w := ansi.StringWidth(text); w > room {
		text = ansi.TruncateLeft(text, w-room, "")
	}
	return prompt + text + th.cursorBlock.Render(" ")
}
