package store

import (
	"bytes"
	"sort"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// txBackend and bucket are the parts of a bbolt transaction Tx uses, so the
// same Tx code runs on bbolt and on the in-memory store.
type txBackend interface {
	Bucket(name []byte) bucket
	CreateBucketIfNotExists(name []byte) (bucket, error)
}

type bucket interface {
	Get(key []byte) []byte
	Put(key, value []byte) error
	Delete(key []byte) error
	ForEach(fn func(k, v []byte) error) error
}

type boltTx struct{ tx *bolt.Tx }

func (b boltTx) Bucket(name []byte) bucket {
	bk := b.tx.Bucket(name)
	if bk == nil {
		return nil // a typed nil would not compare equal to nil
	}
	return bk
}

func (b boltTx) CreateBucketIfNotExists(name []byte) (bucket, error) {
	return b.tx.CreateBucketIfNotExists(name)
}

// NewMemory returns a Store that lives only in this process: nothing is
// written to disk. Ephemeral profiles (CI without a database) use it.
func NewMemory() *Store {
	return &Store{mem: &memory{buckets: map[string]map[string][]byte{}}}
}

// Ephemeral reports whether the store lives only in memory.
func (s *Store) Ephemeral() bool { return s.mem != nil }

// memory is a map of buckets guarded by one lock. Updates work on a copy
// that replaces the original only when fn succeeds, as a transaction would.
type memory struct {
	mu      sync.RWMutex
	buckets map[string]map[string][]byte
}

func (m *memory) view(fn func(*Tx) error) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return fn(&Tx{tx: memTx{buckets: m.buckets}})
}

func (m *memory) update(auth *ProfileAuth, fn func(*Tx) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	work := make(map[string]map[string][]byte, len(m.buckets))
	for name, b := range m.buckets {
		c := make(map[string][]byte, len(b))
		for k, v := range b {
			c[k] = v
		}
		work[name] = c
	}
	tx := &Tx{tx: memTx{buckets: work}, writable: true, auth: auth}
	if err := tx.init(); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	m.buckets = work
	return nil
}

type memTx struct {
	buckets map[string]map[string][]byte
}

func (t memTx) Bucket(name []byte) bucket {
	b, ok := t.buckets[string(name)]
	if !ok {
		return nil
	}
	return memBucket(b)
}

func (t memTx) CreateBucketIfNotExists(name []byte) (bucket, error) {
	b, ok := t.buckets[string(name)]
	if !ok {
		b = map[string][]byte{}
		t.buckets[string(name)] = b
	}
	return memBucket(b), nil
}

type memBucket map[string][]byte

func (b memBucket) Get(key []byte) []byte { return b[string(key)] }

func (b memBucket) Put(key, value []byte) error {
	b[string(key)] = bytes.Clone(value)
	return nil
}

func (b memBucket) Delete(key []byte) error {
	delete(b, string(key))
	return nil
}

func (b memBucket) ForEach(fn func(k, v []byte) error) error {
	keys := make([]string, 0, len(b))
	for k := range b {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := fn([]byte(k), b[k]); err != nil {
			return err
		}
	}
	return nil
}
