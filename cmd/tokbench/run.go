package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// command is one program the harness times, with the environment it runs
// in and a check of what it printed.
type command struct {
	name string
	argv []string // argv[0] is an absolute path
	env  []string
	// before runs untimed right before each run (e.g. clearing a cache).
	before func() error
	// want is the exact stdout every run must print; nil skips the check.
	want []byte
	// stdin is what the command reads (nil: /dev/null).
	stdin []byte
}

// sample is the outcome of one timed run.
type sample struct {
	wall      time.Duration
	maxRSSKiB int64
	stdout    []byte
	stderr    []byte
	code      int
}

// runner starts processes with stdout and stderr in reusable files, so
// the parent does no work (no pipe-copying goroutines) while a child runs.
type runner struct {
	devNull *os.File
	stdin   *os.File
	stdout  *os.File
	stderr  *os.File
}

func newRunner(dir string) (*runner, error) {
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	stdout, err := os.CreateTemp(dir, "stdout-")
	if err != nil {
		return nil, err
	}
	stderr, err := os.CreateTemp(dir, "stderr-")
	if err != nil {
		return nil, err
	}
	stdin, err := os.CreateTemp(dir, "stdin-")
	if err != nil {
		return nil, err
	}
	return &runner{devNull: devNull, stdin: stdin, stdout: stdout, stderr: stderr}, nil
}

func (r *runner) close() {
	r.devNull.Close()
	r.stdin.Close()
	r.stdout.Close()
	r.stderr.Close()
}

// run runs c once and times it from the start of the process to its reaping.
func (r *runner) run(c *command) (sample, error) {
	if c.before != nil {
		if err := c.before(); err != nil {
			return sample{}, fmt.Errorf("%s: preparing the run: %w", c.name, err)
		}
	}
	for _, f := range []*os.File{r.stdout, r.stderr} {
		if err := f.Truncate(0); err != nil {
			return sample{}, err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return sample{}, err
		}
	}
	in := r.devNull
	if c.stdin != nil {
		if err := r.stdin.Truncate(0); err != nil {
			return sample{}, err
		}
		if _, err := r.stdin.WriteAt(c.stdin, 0); err != nil {
			return sample{}, err
		}
		if _, err := r.stdin.Seek(0, io.SeekStart); err != nil {
			return sample{}, err
		}
		in = r.stdin
	}
	attr := &os.ProcAttr{Env: c.env, Files: []*os.File{in, r.stdout, r.stderr}}
	start := time.Now()
	p, err := os.StartProcess(c.argv[0], c.argv, attr)
	if err != nil {
		return sample{}, fmt.Errorf("%s: %w", c.name, err)
	}
	ps, err := p.Wait()
	wall := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("%s: %w", c.name, err)
	}
	s := sample{wall: wall, code: ps.ExitCode()}
	s.maxRSSKiB = maxRSSKiB(ps)
	if s.stdout, err = readAll(r.stdout); err != nil {
		return s, err
	}
	if s.stderr, err = readAll(r.stderr); err != nil {
		return s, err
	}
	if s.code != 0 {
		return s, fmt.Errorf("%s: exit %d; stderr: %s", c.name, s.code, bytes.TrimSpace(s.stderr))
	}
	if c.want != nil && !bytes.Equal(s.stdout, c.want) {
		return s, fmt.Errorf("%s: printed %d bytes that are not what it should print (stderr: %s)", c.name, len(s.stdout), bytes.TrimSpace(s.stderr))
	}
	return s, nil
}

func readAll(f *os.File) ([]byte, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}

// runTool runs a setup step (not timed) and returns its stdout.
func runTool(env []string, stdin string, argv ...string) (string, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s: %w; stderr: %s", strings.Join(argv[1:], " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.String(), nil
}

// stats summarises the wall times of one command.
type stats struct {
	n           int
	median, p90 time.Duration
	min         time.Duration
}

func summarise(samples []sample) stats {
	st := stats{n: len(samples)}
	if len(samples) == 0 {
		return st
	}
	d := make([]time.Duration, len(samples))
	for i, s := range samples {
		d[i] = s.wall
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	st.min = d[0]
	st.median = quantile(d, 0.5)
	st.p90 = quantile(d, 0.9)
	return st
}

// quantile of sorted d, interpolating between neighbours.
func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 1 {
		return d[0]
	}
	pos := q * float64(len(d)-1)
	lo := int(pos)
	if lo >= len(d)-1 {
		return d[len(d)-1]
	}
	frac := pos - float64(lo)
	return d[lo] + time.Duration(frac*float64(d[lo+1]-d[lo]))
}

// measureRSS runs each command n times under the RSS probe (see
// rssProbeSource) and returns the largest peak RSS each reached, in KiB.
func measureRSS(r *runner, probe, dir string, cmds []*command, n int) (map[string]int64, error) {
	out := make(map[string]int64, len(cmds))
	report := filepath.Join(dir, "rss")
	for range n {
		for _, c := range cmds {
			probed := *c
			probed.argv = append([]string{probe, report}, c.argv...)
			if _, err := r.run(&probed); err != nil {
				return nil, err
			}
			b, err := os.ReadFile(report)
			if err != nil {
				return nil, fmt.Errorf("%s: the RSS probe wrote no figure: %w", c.name, err)
			}
			kib, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: the RSS probe wrote %q: %w", c.name, b, err)
			}
			out[c.name] = max(out[c.name], kib)
		}
	}
	return out, nil
}
