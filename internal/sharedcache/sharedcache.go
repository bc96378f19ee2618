// Package sharedcache keeps token state in Redis (or wire-compatible
// Valkey), single node or Redis Cluster, so that the members of a fleet
// share one token per lifetime instead of fetching one each.
//
// It stores opaque bytes: callers seal values before they get here (see
// internal/tokens), so the server only ever holds ciphertext. Per namespace
// it keeps two keys that share a hash slot ({namespace}), so a Lua script
// may touch both on Redis Cluster:
//
//	tok:{ns}:state  hash: gen (decimal), value (sealed state), check (sealed constant)
//	tok:{ns}:lock   string: a random owner id, with a lease (PX)
//
// Writes are compare-and-swap on gen, so a late writer never replaces a
// newer value; the lock is set-if-absent with a random value, released and
// renewed only by its owner. Package tokens declares the interface this
// package implements, so the domain never links a Redis client.
package sharedcache

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultTimeout bounds one operation (dial, read or write): long enough
// for a server across a region, short enough that a fleet whose Redis is
// gone falls back to fetching locally without a noticeable stall.
const DefaultTimeout = time.Second

// Config says how to reach the server.
type Config struct {
	// URL is redis://[user@]host[:port][/db] or rediss:// for TLS; the
	// query may say cluster=true (Redis Cluster; db must be 0) and name
	// more seed nodes with addr=host:port.
	URL string
	// Password authenticates the connection (with the URL's user as the
	// ACL user, or the default user). It never comes from the URL here:
	// callers decide where a password may come from.
	Password string
	// CAFile names PEM certificates to trust for rediss:// besides the
	// system roots.
	CAFile string
	// Timeout bounds each dial, read and write; zero means DefaultTimeout.
	Timeout time.Duration
}

// Endpoint is the parsed form of a shared cache URL.
type Endpoint struct {
	TLS      bool
	Username string
	Password string // only when the URL carried one
	Addrs    []string
	DB       int
	Cluster  bool
}

// ParseURL parses a shared cache URL; errors never echo a password.
func ParseURL(raw string) (Endpoint, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Endpoint{}, errors.New("the shared cache URL is not a valid URL; use redis://host:6379/0 or rediss://host:6380/0")
	}
	var ep Endpoint
	switch u.Scheme {
	case "redis":
	case "rediss":
		ep.TLS = true
	default:
		return Endpoint{}, fmt.Errorf("the shared cache URL has scheme %q; use redis:// or rediss:// (TLS)", u.Scheme)
	}
	if u.Hostname() == "" {
		return Endpoint{}, errors.New("the shared cache URL names no host; use redis://host:6379/0")
	}
	if u.User != nil {
		ep.Username = u.User.Username()
		ep.Password, _ = u.User.Password()
	}
	port := u.Port()
	if port == "" {
		port = "6379"
	}
	ep.Addrs = []string{net.JoinHostPort(u.Hostname(), port)}
	if p := strings.Trim(u.Path, "/"); p != "" {
		db, err := strconv.Atoi(p)
		if err != nil || db < 0 {
			return Endpoint{}, fmt.Errorf("the shared cache URL path %q is not a database number", u.Path)
		}
		ep.DB = db
	}
	for k, vs := range u.Query() {
		switch k {
		case "cluster":
			ep.Cluster = len(vs) > 0 && (vs[len(vs)-1] == "true" || vs[len(vs)-1] == "1")
		case "addr":
			ep.Addrs = append(ep.Addrs, vs...)
		default:
			return Endpoint{}, fmt.Errorf("the shared cache URL has an unknown parameter %q; known: cluster, addr", k)
		}
	}
	if len(ep.Addrs) > 1 {
		ep.Cluster = true
	}
	if ep.Cluster && ep.DB != 0 {
		return Endpoint{}, errors.New("the shared cache URL names a database, but Redis Cluster has only database 0")
	}
	return ep, nil
}

// Redacted is the URL without a password, for messages.
func Redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

// Client is a connection pool to one server or cluster. It is safe for
// concurrent use; Open dials nothing.
type Client struct {
	nodes   *nodes
	timeout time.Duration
}

// Open prepares a client for cfg without touching the network.
func Open(cfg Config) (*Client, error) {
	ep, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	n := &nodes{ep: ep, pass: cfg.Password, timeout: timeout, idle: map[string][]*redisConn{}, owner: map[string]string{}}
	if ep.TLS {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if cfg.CAFile != "" {
			pemBytes, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return nil, fmt.Errorf("could not read the shared cache CA file: %w", err)
			}
			pool, err := x509.SystemCertPool()
			if err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pemBytes) {
				return nil, fmt.Errorf("the shared cache CA file %s holds no PEM certificate", cfg.CAFile)
			}
			tc.RootCAs = pool
		}
		n.tlsConf = tc
	}
	return &Client{nodes: n, timeout: timeout}, nil
}

// Close releases the client's connections.
func (c *Client) Close() error { return c.nodes.close() }

// StateKey and LockKey name a namespace's keys; the braces put both in
// one Redis Cluster hash slot.
func StateKey(ns string) string { return "tok:{" + ns + "}:state" }

// LockKey names a namespace's refresh lock.
func LockKey(ns string) string { return "tok:{" + ns + "}:lock" }

func (c *Client) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, 2*c.timeout)
}

// Get returns the namespace's value, its generation and its key check;
// gen is 0 when the namespace holds nothing (never written, expired, or
// the server lost it).
func (c *Client) Get(ctx context.Context, ns string) (gen uint64, value, check []byte, err error) {
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	reply, err := c.nodes.do(ctx, StateKey(ns), "HMGET", StateKey(ns), "gen", "value", "check")
	if err != nil {
		return 0, nil, nil, fmt.Errorf("shared cache: %w", err)
	}
	vals, ok := reply.([]any)
	if !ok || len(vals) != 3 {
		return 0, nil, nil, errors.New("shared cache: unexpected reply to HMGET")
	}
	if vals[0] == nil {
		return 0, nil, nil, nil
	}
	s, _ := vals[0].([]byte)
	if gen, err = strconv.ParseUint(string(s), 10, 64); err != nil {
		return 0, nil, nil, fmt.Errorf("shared cache: key %s has a malformed generation", StateKey(ns))
	}
	value, _ = vals[1].([]byte)
	check, _ = vals[2].([]byte)
	return gen, value, check, nil
}

// Delete removes the namespace's state (not its lock).
func (c *Client) Delete(ctx context.Context, ns string) error {
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	if _, err := c.nodes.do(ctx, StateKey(ns), "DEL", StateKey(ns)); err != nil {
		return fmt.Errorf("shared cache: %w", err)
	}
	return nil
}

// swapScript writes value and check with generation gen+1 if the stored
// generation is still gen (0 = absent), and sets the key's TTL.
const swapScript = `
local g = redis.call('HGET', KEYS[1], 'gen')
if not g then g = '0' end
if g ~= ARGV[1] then return -1 end
local n = tonumber(ARGV[1]) + 1
redis.call('HSET', KEYS[1], 'gen', tostring(n), 'value', ARGV[2], 'check', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return n
`

// CompareAndSwap stores value and check if the namespace's generation is
// still gen, with a time to live of ttl (at least a second). It reports
// whether it wrote; false means another writer came first.
func (c *Client) CompareAndSwap(ctx context.Context, ns string, gen uint64, value, check []byte, ttl time.Duration) (bool, error) {
	ctx, cancel := c.ctx(ctx)
	defer cancel()
	ttl = max(ttl, time.Second)
	reply, err := c.nodes.do(ctx, StateKey(ns), "EVAL", swapScript, "1", StateKey(ns),
		strconv.FormatUint(gen, 10), string(value), string(check), strconv.FormatInt(ttl.Milliseconds(), 10))
	if err != nil {
		return false, fmt.Errorf("shared cache: %w", err)
	}
	n, ok := reply.(int64)
	if !ok {
		return false, errors.New("shared cache: unexpected reply to the swap script")
	}
	return n > 0, nil
}

// releaseScript and renewScript act only for the lock's owner, so a
// member whose lease ran out never frees or extends another's lock.
const (
	releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`
	renewScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`
)

// TryLock takes the namespace's lock for lease if it is free. It returns
// a nil unlock when another member holds it. While held, the lease is
// renewed every third of its length, so a slow refresh keeps the lock
// and a holder that dies loses it within one lease. unlock stops the
// renewal and deletes the lock if it is still ours.
func (c *Client) TryLock(ctx context.Context, ns string, lease time.Duration) (unlock func(), err error) {
	lease = max(lease, 100*time.Millisecond)
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("shared cache: lock id: %w", err)
	}
	owner := hex.EncodeToString(id[:])
	octx, cancel := c.ctx(ctx)
	reply, err := c.nodes.do(octx, LockKey(ns), "SET", LockKey(ns), owner, "NX", "PX", strconv.FormatInt(lease.Milliseconds(), 10))
	cancel()
	if err != nil {
		return nil, fmt.Errorf("shared cache: %w", err)
	}
	if reply == nil { // NX: someone holds it
		return nil, nil
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(lease / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				rctx, cancel := c.ctx(context.Background())
				_, _ = c.nodes.do(rctx, LockKey(ns), "EVAL", renewScript, "1", LockKey(ns), owner, strconv.FormatInt(lease.Milliseconds(), 10))
				cancel()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-done
			rctx, cancel := c.ctx(context.Background())
			defer cancel()
			_, _ = c.nodes.do(rctx, LockKey(ns), "EVAL", releaseScript, "1", LockKey(ns), owner)
		})
	}, nil
}
