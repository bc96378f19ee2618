package sharedcache

import (
	"bufio"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestReadReply(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want any
	}{
		{"+OK\r\n", "OK"},
		{":42\r\n", int64(42)},
		{"$3\r\na\r\n\r\n", []byte("a\r\n")},
		{"$-1\r\n", nil},
		{"*3\r\n$1\r\n7\r\n$-1\r\n:1\r\n", []any{[]byte("7"), nil, int64(1)}},
	} {
		got, err := readReply(bufio.NewReader(strings.NewReader(tc.in)))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("readReply(%q) = %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
	_, err := readReply(bufio.NewReader(strings.NewReader("-MOVED 12 127.0.0.1:7001\r\n")))
	var re replyError
	if !errors.As(err, &re) {
		t.Fatalf("error reply: %v", err)
	}
	if kind, addr, ok := redirection(string(re)); !ok || kind != "MOVED" || addr != "127.0.0.1:7001" {
		t.Errorf("redirection: %s %s %v", kind, addr, ok)
	}
	for _, bad := range []string{"", "OK\r\n", "$5\r\nab\r\n", "$x\r\n", "*9999999\r\n", "?\r\n", "+OK\n"} {
		if _, err := readReply(bufio.NewReader(strings.NewReader(bad))); err == nil {
			t.Errorf("readReply(%q) accepted a malformed reply", bad)
		}
	}
	if hashTag("tok:{abc}:state") != "abc" || hashTag("plain") != "plain" || hashTag("a{}b") != "a{}b" {
		t.Error("hashTag")
	}
}

// FuzzReadReply: no input makes the reader panic or allocate without
// bound.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{"+OK\r\n", "*2\r\n$1\r\na\r\n:1\r\n", "$-1\r\n", "-ERR x\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		_, _ = readReply(bufio.NewReader(strings.NewReader(in)))
	})
}
