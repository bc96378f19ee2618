package keysource

import (
	"context"
	"sync"

	"github.com/tok-cli/tok/internal/seal"
)

// Memory is a key source for ephemeral runs (CI without a database or a
// keyring): one random key that lives and dies with the process, whatever
// source is asked for. It implements the same methods as Resolver.
type Memory struct {
	once sync.Once
	key  seal.Key
	err  error
}

// Get returns the process's key.
func (m *Memory) Get(ctx context.Context, src Source, keyID string) (seal.Key, error) {
	m.once.Do(func() { m.key, m.err = seal.NewKey() })
	return m.key, m.err
}

// Put accepts the key that Get handed out; there is nowhere else to put it.
func (m *Memory) Put(ctx context.Context, src Source, keyID string, key seal.Key) error {
	m.once.Do(func() { m.key = key })
	return nil
}

// Delete does nothing: the key goes away with the process.
func (m *Memory) Delete(ctx context.Context, src Source, keyID string) error { return nil }
