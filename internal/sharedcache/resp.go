package sharedcache

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file is a small Redis client: RESP2 over TCP or TLS, AUTH with an
// ACL user, SELECT, and Redis Cluster redirections (MOVED, ASK). tok sends
// five commands, all on keys of one hash slot, so it needs no slot map:
// a redirection names the node, which is remembered per hash tag.
//
// It replaces a full client library on purpose: go-redis made tok-full
// 8 MB larger (every method of its command interface stays linked, since
// cobra's templates use reflection) and its start-up 1 ms slower, on
// every tok-full run, for five commands.

// replyError is an error reply from the server (-ERR ..., -WRONGPASS ...).
type replyError string

func (e replyError) Error() string { return string(e) }

// maxRedirects bounds MOVED/ASK hops for one command.
const maxRedirects = 5

// idlePerNode is how many idle connections a node keeps.
const idlePerNode = 4

type redisConn struct {
	net.Conn
	r *bufio.Reader
}

// nodes dials and pools connections to the server's nodes.
type nodes struct {
	ep      Endpoint
	pass    string
	tlsConf *tls.Config
	timeout time.Duration

	mu     sync.Mutex
	idle   map[string][]*redisConn
	owner  map[string]string // hash tag → node that MOVED said serves it
	closed bool
}

func (n *nodes) dial(ctx context.Context, addr string) (*redisConn, error) {
	d := net.Dialer{Timeout: n.timeout}
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if n.tlsConf != nil {
		conf := n.tlsConf.Clone()
		if conf.ServerName == "" {
			host, _, _ := net.SplitHostPort(addr)
			conf.ServerName = host
		}
		tc := tls.Client(raw, conf)
		_ = tc.SetDeadline(time.Now().Add(n.timeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, err
		}
		raw = tc
	}
	c := &redisConn{Conn: raw, r: bufio.NewReader(raw)}
	var setup [][]string
	switch {
	case n.ep.Username != "":
		setup = append(setup, []string{"AUTH", n.ep.Username, n.pass})
	case n.pass != "":
		setup = append(setup, []string{"AUTH", n.pass})
	}
	if n.ep.DB != 0 {
		setup = append(setup, []string{"SELECT", strconv.Itoa(n.ep.DB)})
	}
	for _, cmd := range setup {
		if _, err := c.roundTrip(ctx, n.timeout, cmd); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

func (n *nodes) get(ctx context.Context, addr string) (*redisConn, error) {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil, errors.New("client closed")
	}
	if list := n.idle[addr]; len(list) > 0 {
		c := list[len(list)-1]
		n.idle[addr] = list[:len(list)-1]
		n.mu.Unlock()
		return c, nil
	}
	n.mu.Unlock()
	return n.dial(ctx, addr)
}

func (n *nodes) put(addr string, c *redisConn) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed || len(n.idle[addr]) >= idlePerNode {
		c.Close()
		return
	}
	n.idle[addr] = append(n.idle[addr], c)
}

func (n *nodes) close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.closed = true
	for _, list := range n.idle {
		for _, c := range list {
			c.Close()
		}
	}
	n.idle = nil
	return nil
}

// do sends cmd, which touches key, following cluster redirections.
func (n *nodes) do(ctx context.Context, key string, cmd ...string) (any, error) {
	tag := hashTag(key)
	n.mu.Lock()
	addr, ok := n.owner[tag]
	n.mu.Unlock()
	if !ok {
		addr = n.ep.Addrs[0]
	}
	asking := false
	for hop := 0; ; hop++ {
		reply, err := n.once(ctx, addr, asking, cmd)
		var re replyError
		if !errors.As(err, &re) || hop == maxRedirects {
			return reply, err
		}
		kind, target, ok := redirection(string(re))
		if !ok {
			return reply, err
		}
		addr, asking = target, kind == "ASK"
		if kind == "MOVED" {
			n.mu.Lock()
			n.owner[tag] = target
			n.mu.Unlock()
		}
	}
}

// once runs cmd on one node, preceded by ASKING after an ASK redirection.
func (n *nodes) once(ctx context.Context, addr string, asking bool, cmd []string) (any, error) {
	c, err := n.get(ctx, addr)
	if err != nil {
		return nil, err
	}
	if asking {
		if _, err := c.roundTrip(ctx, n.timeout, []string{"ASKING"}); err != nil {
			c.Close()
			return nil, err
		}
	}
	reply, err := c.roundTrip(ctx, n.timeout, cmd)
	var re replyError
	if err != nil && !errors.As(err, &re) {
		c.Close() // a broken or timed-out connection is never reused
		return nil, err
	}
	n.put(addr, c)
	return reply, err
}

// redirection parses "MOVED 3999 127.0.0.1:6381" and "ASK ...".
func redirection(msg string) (kind, addr string, ok bool) {
	f := strings.Fields(msg)
	if len(f) == 3 && (f[0] == "MOVED" || f[0] == "ASK") {
		return f[0], f[2], true
	}
	return "", "", false
}

// hashTag is the part of key Redis Cluster hashes: the first {...}.
func hashTag(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key[i+1 : i+1+j]
		}
	}
	return key
}

// roundTrip writes one command and reads its reply within timeout (or
// the context's deadline, if sooner).
func (c *redisConn) roundTrip(ctx context.Context, timeout time.Duration, cmd []string) (any, error) {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := c.SetDeadline(deadline); err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(cmd))
	for _, a := range cmd {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c.Conn, b.String()); err != nil {
		return nil, err
	}
	return readReply(c.r)
}

// readReply reads one RESP2 reply: string, []byte (bulk), int64, nil, or
// []any; an error reply is returned as a replyError.
func readReply(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return nil, errors.New("malformed reply from the server")
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return nil, replyError(body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		size, err := strconv.Atoi(body)
		if err != nil || size < -1 || size > 64<<20 {
			return nil, errors.New("malformed bulk reply from the server")
		}
		if size == -1 {
			return nil, nil
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		return buf[:size], nil
	case '*':
		count, err := strconv.Atoi(body)
		if err != nil || count < -1 || count > 1024 {
			return nil, errors.New("malformed array reply from the server")
		}
		if count == -1 {
			return nil, nil
		}
		out := make([]any, count)
		for i := range out {
			if out[i], err = readReply(r); err != nil {
				var re replyError
				if !errors.As(err, &re) {
					return nil, err
				}
				out[i] = err
			}
		}
		return out, nil
	}
	return nil, errors.New("unknown reply type from the server")
}
