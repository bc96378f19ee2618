// Package redisserver runs real redis-server processes for tests: a plain
// server, a TLS server with an ACL user, and a local three-master Redis
// Cluster, each on random loopback ports, without persistence, stopped
// when the test ends. Without redis-server the test is skipped, or fails
// under CI=true (CI must run every test).
package redisserver

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"github.com/tok-cli/tok/internal/testkit/need"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Server is one running redis-server (or a cluster of them).
type Server struct {
	t     testing.TB
	dir   string
	args  []string // what started the first node, to restart it
	cmds  []*exec.Cmd
	ports []int
	// URL reaches the server; it carries no password.
	URL string
	// User and Password are the ACL user of a TLS server.
	User, Password string
	// CAFile trusts a TLS server's certificate.
	CAFile string
}

// Binary returns the path of redis-server, skipping or failing the test
// when it is missing.
func Binary(t testing.TB) string {
	t.Helper()
	return need.Command(t, "redis-server", "run: .ci/setup (it installs the Debian package redis-server)")
}

// Start runs a plain server on a random loopback port.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, dir: t.TempDir()}
	port := freePort(t)
	s.args = baseArgs(port)
	s.spawn(s.args, port)
	s.URL = fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	return s
}

// StartTLS runs a server that speaks only TLS (a certificate for
// 127.0.0.1 signed by a fresh CA in CAFile) and admits only the ACL user
// User with Password; the default user is off.
func StartTLS(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, dir: t.TempDir(), User: "tokfleet", Password: "pw-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	cert, key := s.writeCerts()
	port := freePort(t)
	acl := filepath.Join(s.dir, "users.acl")
	users := "user default off\nuser " + s.User + " on >" + s.Password + " ~tok:* +@all\n"
	if err := os.WriteFile(acl, []byte(users), 0o600); err != nil {
		t.Fatal(err)
	}
	s.args = []string{"--port", "0", "--tls-port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", s.CAFile,
		"--tls-auth-clients", "no", "--aclfile", acl,
		"--save", "", "--appendonly", "no"}
	s.spawn(s.args, port)
	s.URL = fmt.Sprintf("rediss://%s@127.0.0.1:%d/0", s.User, port)
	return s
}

// StartCluster runs three masters on random loopback ports and joins
// them into one Redis Cluster covering all slots.
func StartCluster(t testing.TB) *Server {
	t.Helper()
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		Binary(t)
		t.Fatal("redis-cli is missing (Debian package redis-tools, a dependency of redis-server)")
	}
	s := &Server{t: t, dir: t.TempDir()}
	var addrs []string
	for i := 0; i < 3; i++ {
		port := freePort(t)
		nodeDir := filepath.Join(s.dir, strconv.Itoa(port))
		if err := os.Mkdir(nodeDir, 0o700); err != nil {
			t.Fatal(err)
		}
		args := append(baseArgs(port), "--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(nodeDir, "nodes.conf"), "--dir", nodeDir)
		if i == 0 {
			s.args = args
		}
		s.spawn(args, port)
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", port))
	}
	create := exec.Command(cli, append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "0", "--cluster-yes")...)
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	// Wait until every node agrees the cluster is up.
	deadline := time.Now().Add(10 * time.Second)
	for _, a := range addrs {
		for {
			out, _ := exec.Command(cli, "-h", "127.0.0.1", "-p", strings.Split(a, ":")[1], "cluster", "info").Output()
			if strings.Contains(string(out), "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("redis cluster node %s did not reach cluster_state:ok: %s", a, out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	s.URL = "redis://" + addrs[0] + "?cluster=true&addr=" + addrs[1] + "&addr=" + addrs[2]
	return s
}

func baseArgs(port int) []string {
	return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}
}

// Ports are the loopback ports of the server's nodes.
func (s *Server) Ports() []int { return s.ports }

// Stop kills the first node (the only one of a single server) and waits
// until it is gone.
func (s *Server) Stop() {
	s.t.Helper()
	cmd := s.cmds[0]
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
}

// Running reports whether the first node runs: it was never stopped, or
// was restarted since.
func (s *Server) Running() bool { return s.cmds[0].ProcessState == nil }

// Restart starts the first node again on its port, empty (no
// persistence): what a fleet sees after a Redis restart.
func (s *Server) Restart() {
	s.t.Helper()
	s.cmds = s.cmds[1:]
	port := s.ports[0]
	s.ports = s.ports[1:]
	s.spawn(s.args, port)
	// spawn appended the new node; keep it first.
	n := len(s.cmds) - 1
	s.cmds = append([]*exec.Cmd{s.cmds[n]}, s.cmds[:n]...)
	s.ports = append([]int{s.ports[n]}, s.ports[:n]...)
}

func (s *Server) spawn(args []string, port int) {
	t := s.t
	t.Helper()
	cmd := exec.Command(Binary(t), args...)
	cmd.Dir = s.dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
	})
	ready := make(chan struct{})
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(stdout)
		signalled := false
		for sc.Scan() {
			if !signalled {
				log.WriteString(sc.Text() + "\n")
			}
			if !signalled && strings.Contains(sc.Text(), "Ready to accept connections") {
				signalled = true
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatalf("redis-server on port %d did not become ready:\n%s", port, log.String())
	}
	s.cmds = append(s.cmds, cmd)
	s.ports = append(s.ports, port)
}

// freePort finds a loopback port nobody listens on.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeCerts makes a CA (into s.CAFile) and a server certificate for
// 127.0.0.1 signed by it, and returns the certificate and key files.
func (s *Server) writeCerts() (certFile, keyFile string) {
	t := s.t
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "redisserver CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	s.CAFile = filepath.Join(s.dir, "ca.pem")
	certFile = filepath.Join(s.dir, "server.pem")
	keyFile = filepath.Join(s.dir, "server.key")
	for f, b := range map[string][]byte{
		s.CAFile: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		certFile: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyFile:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}
