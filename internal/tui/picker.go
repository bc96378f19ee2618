package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"
)

// Action is what the person asked to do with the profile they picked.
type Action int

const (
	// Choose means use the profile for the command at hand (Enter).
	Choose Action = iota
	// Login means log in to the profile (ctrl+l).
	Login
	// Refresh means refresh the profile's token (ctrl+r).
	Refresh
	// SetDefault means make the profile the default (ctrl+d).
	SetDefault
)

func (a Action) String() string {
	switch a {
	case Choose:
		return "choose"
	case Login:
		return "login"
	case Refresh:
		return "refresh"
	case SetDefault:
		return "set default"
	default:
		return fmt.Sprintf("Action(%d)", int(a))
	}
}

// ErrCancelled is returned by Pick and Wait when the person pressed Esc or
// Ctrl-C, or the terminal went away. The CLI maps it to exit code 130.
var ErrCancelled = errors.New("cancelled")

// ErrNoProfiles is returned by Pick when there is nothing to choose from.
var ErrNoProfiles = errors.New("no profiles to choose from")

// PickOptions says where and how the picker is drawn.
type PickOptions struct {
	// In is the terminal to read keys from: os.Stdin or /dev/tty. Another
	// reader works (tests use pipes) but may still be read from, once, after
	// Pick returns; a terminal is released cleanly.
	In io.Reader
	// Out is the terminal to draw on: stderr or /dev/tty, never stdout.
	Out io.Writer
	// Title is shown above the filter, e.g. "Choose a profile".
	Title string
	// Color allows colour. The CLI passes false when Out is not a terminal;
	// NO_COLOR is honoured here as well.
	Color bool
	// Width and Height fix the size; 0 follows the terminal (80x24 until
	// the terminal reports its size).
	Width, Height int
}

// Pick shows the profile picker and returns the name of the profile the
// person picked and what they want done with it. Typing filters the list;
// Enter chooses the highlighted profile; ctrl+l, ctrl+r and ctrl+d ask to
// log in, refresh or set the default (the caller does the work and may show
// the picker again); Esc or Ctrl-C return ErrCancelled. The picker clears
// itself from the terminal when it ends.
//
// Plain letters always go to the filter, so the actions use ctrl keys:
// typing "l" must be able to find a profile called "lab".
func Pick(ctx context.Context, items []Item, opts PickOptions) (string, Action, error) {
	if len(items) == 0 {
		return "", Choose, ErrNoProfiles
	}
	if opts.In == nil || opts.Out == nil {
		return "", Choose, errors.New("the profile picker needs a terminal to read from and draw on")
	}

	var p *tea.Program
	in := opts.In
	if !isTerminal(in) {
		// Bubble Tea keeps waiting for keys after its input ends; treat the
		// end of input like Esc so the caller never hangs.
		in = &eofNotifier{r: in, onEOF: func() { p.Send(inputClosedMsg{}) }}
	}
	p = tea.NewProgram(newPicker(items, opts),
		tea.WithInput(in),
		tea.WithOutput(opts.Out),
		tea.WithoutSignalHandler(), // see run
	)
	final, err := run(ctx, p)
	if err != nil {
		return "", Choose, fmt.Errorf("could not run the profile picker: %w", err)
	}
	m, _ := final.(picker)
	switch {
	case m.chosen != "":
		return m.chosen, m.action, nil
	case ctx.Err() != nil:
		return "", Choose, fmt.Errorf("profile picker stopped: %w", ctx.Err())
	default:
		// Esc, Ctrl-C, end of input, or SIGINT/SIGTERM.
		return "", Choose, ErrCancelled
	}
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(term.File)
	return ok && term.IsTerminal(f.Fd())
}

// inputClosedMsg tells the picker that no more keys will come.
type inputClosedMsg struct{}

type eofNotifier struct {
	r     io.Reader
	onEOF func()
}

func (e *eofNotifier) Read(b []byte) (int, error) {
	n, err := e.r.Read(b)
	if errors.Is(err, io.EOF) {
		e.onEOF()
	}
	return n, err
}

const (
	defaultWidth  = 80
	defaultHeight = 24
	// maxVisible caps the profiles shown at once: the picker is drawn
	// inline, under the command that opened it, and should stay compact.
	maxVisible = 10
	gap        = "  "
	// Narrowest issuer and type columns worth keeping on one line.
	minIssuerWidth = 12
	minTypeWidth   = 8
	cursorMark     = "> "
	noCursor       = "  "
)

type pickerKeys struct {
	up, down, pageUp, pageDown     key.Binding
	choose, login, refresh, setDef key.Binding
	cancel                         key.Binding
}

func newPickerKeys() pickerKeys {
	return pickerKeys{
		up:       key.NewBinding(key.WithKeys("up", "ctrl+p")),
		down:     key.NewBinding(key.WithKeys("down", "ctrl+n")),
		pageUp:   key.NewBinding(key.WithKeys("pgup")),
		pageDown: key.NewBinding(key.WithKeys("pgdown")),
		choose:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose")),
		login:    key.NewBinding(key.WithKeys("ctrl+l"), key.WithHelp("ctrl+l", "log in")),
		refresh:  key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "refresh")),
		setDef:   key.NewBinding(key.WithKeys("ctrl+d"), key.WithHelp("ctrl+d", "set default")),
		cancel:   key.NewBinding(key.WithKeys("esc", "ctrl+c"), key.WithHelp("esc", "cancel")),
	}
}

func (k pickerKeys) helpBindings() []key.Binding {
	// The arrow keys go without saying; leaving them out keeps the help on
	// one line at 80 columns.
	return []key.Binding{k.choose, k.cancel, k.login, k.refresh, k.setDef}
}

// picker is the Bubble Tea model behind Pick: a filter input above a list
// that shows only the profiles matching it.
type picker struct {
	items   []Item
	title   string
	theme   theme
	keys    pickerKeys
	help    help.Model
	filter  filterInput
	matches []int // indexes into items, best match first
	cursor  int   // index into matches
	offset  int   // first match shown

	width, height int
	fixedWidth    bool
	fixedHeight   bool
	hasDetails    bool // some profile has a description worth a line

	chosen string
	action Action
	done   bool
}

func newPicker(items []Item, opts PickOptions) picker {
	th := newTheme(opts.Out, colorAllowed(opts.Color))

	h := help.New()
	h.ShortSeparator = " • "
	h.Styles = help.Styles{
		Ellipsis:       th.helpDesc,
		ShortKey:       th.helpKey,
		ShortDesc:      th.helpDesc,
		ShortSeparator: th.helpDesc,
		FullKey:        th.helpKey,
		FullDesc:       th.helpDesc,
		FullSeparator:  th.helpDesc,
	}

	m := picker{
		items:       items,
		title:       opts.Title,
		theme:       th,
		keys:        newPickerKeys(),
		help:        h,
		matches:     filterItems(items, ""),
		width:       opts.Width,
		height:      opts.Height,
		fixedWidth:  opts.Width > 0,
		fixedHeight: opts.Height > 0,
	}
	if m.width <= 0 {
		m.width = defaultWidth
	}
	if m.height <= 0 {
		m.height = defaultHeight
	}
	for i, it := range items {
		if it.Default {
			m.cursor = i // start on the default: Enter keeps it
		}
		if it.Description != "" {
			m.hasDetails = true
		}
	}
	m.scroll()
	return m
}

func (m picker) Init() tea.Cmd { return nil }

func (m picker) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		if !m.fixedWidth {
			m.width = msg.Width
		}
		if !m.fixedHeight {
			m.height = msg.Height
		}
		m.scroll()
		return m, nil
	case inputClosedMsg, interruptedMsg, stopMsg:
		m.done = true
		return m, tea.Quit
	case tea.KeyMsg:
		return m.handleKey(msg)
	}
	return m, nil
}

func (m picker) handleKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch {
	case key.Matches(msg, m.keys.cancel):
		m.done = true
		return m, tea.Quit
	case key.Matches(msg, m.keys.choose):
		return m.finish(Choose)
	case key.Matches(msg, m.keys.login):
		return m.finish(Login)
	case key.Matches(msg, m.keys.refresh):
		return m.finish(Refresh)
	case key.Matches(msg, m.keys.setDef):
		return m.finish(SetDefault)
	case key.Matches(msg, m.keys.up):
		m.move(-1)
		return m, nil
	case key.Matches(msg, m.keys.down):
		m.move(1)
		return m, nil
	case key.Matches(msg, m.keys.pageUp):
		m.move(-m.capacity())
		return m, nil
	case key.Matches(msg, m.keys.pageDown):
		m.move(m.capacity())
		return m, nil
	}

	before := m.filter.String()
	if m.filter.update(msg) && m.filter.String() != before {
		m.matches = filterItems(m.items, m.filter.String())
		m.cursor, m.offset = 0, 0
	}
	return m, nil
}

// finish ends the picker with the highlighted profile; with nothing
// highlighted (the filter matches nothing) the key is ignored.
func (m picker) finish(a Action) (tea.Model, tea.Cmd) {
	it, ok := m.highlighted()
	if !ok {
		return m, nil
	}
	m.chosen, m.action, m.done = it.Name, a, true
	return m, tea.Quit
}

func (m picker) highlighted() (Item, bool) {
	if m.cursor < 0 || m.cursor >= len(m.matches) {
		return Item{}, false
	}
	return m.items[m.matches[m.cursor]], true
}

func (m *picker) move(delta int) {
	if len(m.matches) == 0 {
		return
	}
	m.cursor = max(0, min(len(m.matches)-1, m.cursor+delta))
	m.scroll()
}

// scroll keeps the cursor inside the visible window.
func (m *picker) scroll() {
	c := m.capacity()
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+c {
		m.offset = m.cursor - c + 1
	}
	m.offset = max(0, min(m.offset, len(m.matches)-c))
}

// capacity is how many profiles fit on screen at once.
func (m picker) capacity() int {
	lay := layoutColumns(m.items, m.width)
	fixed := 2 + len(m.helpLines()) // filter line, status line, help
	if m.title != "" {
		fixed++
	}
	if m.hasDetails {
		fixed++
	}
	rows := (m.height - fixed) / lay.lineCount()
	return max(1, min(rows, maxVisible, len(m.items)))
}

func (m picker) View() string {
	if m.done {
		return "" // leave the terminal as it was before the picker
	}
	lay := layoutColumns(m.items, m.width)
	var lines []string
	if m.title != "" {
		lines = append(lines, m.theme.title.Render(m.title))
	}
	lines = append(lines, m.filter.view(m.theme, m.width))

	c := m.capacity()
	for i := m.offset; i < m.offset+c; i++ {
		if i < len(m.matches) {
			lines = append(lines, m.renderItem(lay, m.items[m.matches[i]], i == m.cursor)...)
			continue
		}
		// Keep the height steady while filtering so the help line stays put.
		for range lay.lineCount() {
			lines = append(lines, "")
		}
	}
	lines = append(lines, m.theme.dim.Render(m.statusLine(c)))
	if m.hasDetails {
		var d string
		if it, ok := m.highlighted(); ok {
			d = it.Description
		}
		lines = append(lines, m.theme.dim.Render(d))
	}
	lines = append(lines, m.helpLines()...)

	for i, l := range lines {
		lines[i] = ansi.Truncate(l, m.width, "…")
	}
	return strings.Join(lines, "\n")
}

func (m picker) statusLine(capacity int) string {
	var s string
	switch {
	case len(m.matches) == 0:
		return fmt.Sprintf("no profile matches %q", m.filter.String())
	case len(m.matches) == len(m.items):
		s = plural(len(m.items), "profile")
	default:
		s = fmt.Sprintf("%d of %s", len(m.matches), plural(len(m.items), "profile"))
	}
	if len(m.matches) > capacity {
		last := min(m.offset+capacity, len(m.matches))
		s += fmt.Sprintf(" · %d–%d shown", m.offset+1, last)
	}
	return s
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// helpLines lays the key help out on as many lines as the width needs, so
// every key stays visible at 40 columns instead of being cut off.
func (m picker) helpLines() []string {
	var lines []string
	var cur []key.Binding
	for _, b := range m.keys.helpBindings() {
		next := append(cur[:len(cur):len(cur)], b)
		if len(cur) > 0 && ansi.StringWidth(m.help.ShortHelpView(next)) > m.width {
			lines = append(lines, m.help.ShortHelpView(cur))
			next = []key.Binding{b}
		}
		cur = next
	}
	return append(lines, m.help.ShortHelpView(cur))
}

func (m picker) renderItem(lay columns, it Item, selected bool) []string {
	mark := noCursor
	name := it.Name
	if selected {
		mark = m.theme.cursor.Render(cursorMark)
		name = m.theme.selected.Render(name)
	}
	if it.Default {
		name += m.theme.dim.Render(" (default)")
	}
	text := StatusText(it.Status, it.ExpiresIn)
	badge := m.theme.status(it.Status).Render(text)

	if lay.twoLine {
		first := mark + fit(name, lay.name) + gap + badge
		var second []string
		for _, s := range []string{it.Type, it.Issuer} {
			if s != "" {
				second = append(second, s)
			}
		}
		return []string{first, "    " + m.theme.dim.Render(strings.Join(second, " · "))}
	}
	cells := []string{mark + fit(name, lay.name)}
	if lay.typ > 0 {
		cells = append(cells, fit(m.theme.dim.Render(it.Type), lay.typ))
	}
	if lay.issuer > 0 {
		cells = append(cells, fit(m.theme.dim.Render(it.Issuer), lay.issuer))
	}
	cells = append(cells, badge)
	return []string{strings.Join(cells, gap)}
}

// columns is how the list is laid out at a given width: one line per
// profile with name, type, issuer and badge when they fit, otherwise two
// lines (name and badge, then type and issuer) so that nothing a person
// needs to tell profiles apart is dropped on a narrow terminal.
type columns struct {
	twoLine                  bool
	name, typ, issuer, badge int
}

func (c columns) lineCount() int {
	if c.twoLine {
		return 2
	}
	return 1
}

// layoutColumns sizes the columns from all items, not just the matches, so
// columns don't jump while the person types.
func layoutColumns(items []Item, width int) columns {
	var c columns
	for _, it := range items {
		n := ansi.StringWidth(it.Name)
		if it.Default {
			n += len(" (default)")
		}
		c.name = max(c.name, n)
		c.typ = max(c.typ, ansi.StringWidth(it.Type))
		c.issuer = max(c.issuer, ansi.StringWidth(it.Issuer))
		c.badge = max(c.badge, ansi.StringWidth(StatusText(it.Status, it.ExpiresIn)))
	}
	if width <= 0 {
		width = defaultWidth
	}
	need := len(cursorMark) + c.name + len(gap) + c.badge
	for _, w := range []int{c.typ, c.issuer} {
		if w > 0 {
			need += w + len(gap)
		}
	}
	// Long issuers and types may lose their tails before the list falls
	// back to two lines per profile; the start of a host is the telling part.
	shrink := func(col *int, floor int) {
		cut := max(0, min(need-width, *col-min(*col, floor)))
		*col -= cut
		need -= cut
	}
	shrink(&c.issuer, minIssuerWidth)
	shrink(&c.typ, minTypeWidth)
	if need <= width {
		return c
	}
	c.twoLine = true
	c.name = max(1, min(c.name, width-len(cursorMark)-len(gap)-c.badge))
	return c
}

// fit truncates or pads s to exactly w cells.
func fit(s string, w int) string {
	s = ansi.Truncate(s, w, "…")
	if n := ansi.StringWidth(s); n < w {
		s += strings.Repeat(" ", w-n)
	}
	return s
}
