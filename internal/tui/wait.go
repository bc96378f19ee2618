package tui

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// WaitOptions says where progress is shown.
type WaitOptions struct {
	// Out is where progress goes: stderr or /dev/tty, never stdout.
	Out io.Writer
	// Terminal reports whether Out is a terminal. On a terminal Wait shows
	// a spinner and a message that is redrawn as it changes; otherwise it
	// writes the message once, as one plain line with no escape sequences.
	Terminal bool
	// Color allows colour on a terminal; NO_COLOR is honoured as well.
	Color bool
	// Delay shows nothing until work has run this long, so that work which
	// is usually quick (a token refresh) makes no flicker when it is.
	Delay time.Duration
}

// Wait runs work while telling the person what is being waited on: the
// browser callback, device-code polling, a slow refresh. msg is called on
// every redraw (about ten times a second) so it can show a countdown such
// as the time left to enter a device code; it runs on another goroutine
// than the caller's and must be safe for that.
//
// Wait returns work's error. When ctx ends, work's context ends too and
// Wait returns once work has returned. When the person presses Ctrl-C on
// the terminal, work's context is cancelled and Wait returns ErrCancelled
// once work has returned. work must therefore honour its context. The
// spinner line is cleared when Wait returns, so the caller's next line
// starts clean. A progress line that cannot be written does not stop the
// work.
func Wait(ctx context.Context, opts WaitOptions, msg func() string, work func(context.Context) error) error {
	if opts.Out == nil {
		return work(ctx)
	}
	workCtx, cancelWork := context.WithCancel(ctx)
	defer cancelWork()
	workErr := make(chan error, 1)
	go func() { workErr <- work(workCtx) }()

	if opts.Delay > 0 {
		timer := time.NewTimer(opts.Delay)
		select {
		case err := <-workErr:
			timer.Stop()
			return err
		case <-timer.C:
		}
	}
	if !opts.Terminal {
		_, _ = fmt.Fprintln(opts.Out, plainLine(msg()))
		return <-workErr
	}

	p := tea.NewProgram(newWaiter(opts.Out, colorAllowed(opts.Color), msg),
		tea.WithInput(nil), // no raw mode: Ctrl-C arrives as SIGINT
		tea.WithOutput(opts.Out),
		tea.WithoutSignalHandler(), // see run
	)
	// Relay work's end to the program; Send returns at once when the
	// program has already ended.
	relayed := make(chan error, 1)
	go func() {
		err := <-workErr
		relayed <- err
		p.Send(workDoneMsg{})
	}()
	// An error from run means the spinner could not be drawn; the work
	// goes on regardless and its result is what counts (default below).
	final, _ := run(ctx, p)

	w, _ := final.(waiter)
	switch {
	case w.workDone, ctx.Err() != nil:
		return <-relayed
	case w.interrupted:
		// Ctrl-C (SIGINT), or SIGTERM.
		cancelWork()
		<-relayed
		return ErrCancelled
	default:
		return <-relayed
	}
}

// plainLine makes msg safe for a log or a pipe: no escape sequences and
// exactly one trailing newline added by the caller.
func plainLine(msg string) string {
	return strings.TrimRight(ansi.Strip(msg), "\r\n")
}

// stopMsg asks a model to end because the caller's context ended; going
// through Update (rather than tea.WithContext, which kills the program)
// lets the final frame be drawn empty so nothing is left on the terminal.
type stopMsg struct{}

// interruptedMsg is SIGINT or SIGTERM, delivered by run instead of Bubble
// Tea's own handler, also through Update for the same reason.
type interruptedMsg struct{}

type workDoneMsg struct{}

// run runs p until it ends, telling it when ctx ends (stopMsg) or when
// SIGINT or SIGTERM arrives (interruptedMsg). p must be built with
// tea.WithoutSignalHandler: Bubble Tea's own handler sends the signal on a
// channel that nobody reads once the program has ended for another reason
// (ctx ending on the same Ctrl-C, as tok's own handler makes it), and Run
// then never returns. Send, used here, gives up once the program has ended.
func run(ctx context.Context, p *tea.Program) (tea.Model, error) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	ended := make(chan struct{})
	defer close(ended)
	go func() {
		select {
		case <-ctx.Done():
			p.Send(stopMsg{})
		case <-sig:
			p.Send(interruptedMsg{})
		case <-ended:
		}
	}()
	return p.Run()
}

// waiter is the Bubble Tea model behind Wait: a spinner and a message.
type waiter struct {
	spin  spinner.Model
	msg   func() string
	width int

	workDone    bool
	interrupted bool
	stopped     bool
}

func newWaiter(out io.Writer, color bool, msg func() string) waiter {
	th := newTheme(out, color)
	return waiter{
		spin:  spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(th.spinner)),
		msg:   msg,
		width: defaultWidth,
	}
}

func (w waiter) Init() tea.Cmd { return w.spin.Tick }

func (w waiter) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case workDoneMsg:
		w.workDone = true
		return w, tea.Quit
	case interruptedMsg:
		w.interrupted = true
		return w, tea.Quit
	case stopMsg:
		w.stopped = true
		return w, tea.Quit
	case tea.WindowSizeMsg:
		if msg.Width > 0 {
			w.width = msg.Width
		}
		return w, nil
	case spinner.TickMsg:
		var cmd tea.Cmd
		w.spin, cmd = w.spin.Update(msg)
		return w, cmd
	}
	return w, nil
}

func (w waiter) View() string {
	if w.workDone || w.interrupted || w.stopped {
		return ""
	}
	// Wrap rather than let the renderer cut lines at the terminal's edge:
	// a device-code URL must stay readable in full at 40 columns.
	const indent = "  "
	text := ansi.Wrap(plainLine(w.msg()), max(1, w.width-len(indent)), " ")
	return w.spin.View() + " " + strings.ReplaceAll(text, "\n", "\n"+indent)
}
