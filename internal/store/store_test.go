package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type rec struct {
	V string `json:"v"`
}

func backends(t *testing.T) map[string]*Store {
	return map[string]*Store{"bbolt": New(filepath.Join(t.TempDir(), "home")), "memory": NewMemory()}
}

func TestRoundTripAndRollback(t *testing.T) {
	for name, s := range backends(t) {
		t.Run(name, func(t *testing.T) {
			if !s.Ephemeral() {
				if err := s.View(func(*Tx) error { return nil }); !errors.Is(err, ErrNoDatabase) {
					t.Fatalf("View before any write: %v, want ErrNoDatabase", err)
				}
			}
			err := s.Update(func(tx *Tx) error {
				if err := tx.Put(Profiles, "b", rec{"2"}); err != nil {
					return err
				}
				if err := tx.Put(Profiles, "a", rec{"1"}); err != nil {
					return err
				}
				return tx.SetSetting("default-profile", "a")
			})
			if err != nil {
				t.Fatal(err)
			}
			boom := errors.New("boom")
			err = s.Update(func(tx *Tx) error {
				_ = tx.Put(Profiles, "c", rec{"3"})
				_ = tx.Delete(Profiles, "a")
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("Update error = %v", err)
			}
			err = s.View(func(tx *Tx) error {
				if got := tx.Names(Profiles); strings.Join(got, ",") != "a,b" {
					t.Errorf("names after rolled-back update = %v", got)
				}
				var r rec
				if err := tx.Get(Profiles, "a", &r); err != nil || r.V != "1" {
					t.Errorf("Get a = %+v, %v", r, err)
				}
				if err := tx.Get(States, "a", &r); !errors.Is(err, ErrNotFound) {
					t.Errorf("Get missing = %v, want ErrNotFound", err)
				}
				if tx.Setting("default-profile") != "a" {
					t.Errorf("setting lost")
				}
				m := tx.Meta()
				if m.Schema != SchemaVersion || len(m.KeyID) != 16 {
					t.Errorf("meta = %+v", m)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestModes(t *testing.T) {
	s := New(filepath.Join(t.TempDir(), "home"))
	if err := s.Update(func(tx *Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{s.Dir: 0o700, s.Path: 0o600} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s mode %04o, want %04o", path, info.Mode().Perm(), want)
		}
	}
	if err := os.Chmod(s.Path, 0o644); err != nil {
		t.Fatal(err)
	}
	err := s.View(func(*Tx) error { return nil })
	if !errors.Is(err, ErrInsecure) || !strings.Contains(err.Error(), "chmod 600 "+s.Path) {
		t.Fatalf("world-readable db: err = %v", err)
	}
}

func TestCorruptDatabase(t *testing.T) {
	for name, content := range map[string][]byte{
		"garbage": []byte(strings.Repeat("not a database ", 5000)),
		"tiny":    []byte("x"),
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "home")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			s := New(dir)
			if err := os.WriteFile(s.Path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			for _, op := range []func() error{
				func() error { return s.View(func(*Tx) error { return nil }) },
				func() error { return s.Update(func(*Tx) error { return nil }) },
			} {
				err := op()
				if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), s.Path) {
					t.Fatalf("err = %v, want ErrCorrupt naming the path", err)
				}
			}
			if got, _ := os.ReadFile(s.Path); string(got) != string(content) {
				t.Fatal("a corrupted database was modified")
			}
		})
	}
}

func TestTruncatedDatabase(t *testing.T) {
	s := New(filepath.Join(t.TempDir(), "home"))
	if err := s.Update(func(tx *Tx) error {
		for i := 0; i < 200; i++ {
			if err := tx.Put(Profiles, strings.Repeat("p", i%50+1)+string(rune('a'+i%26)), rec{strings.Repeat("v", 500)}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(s.Path)
	if err := os.Truncate(s.Path, info.Size()/3); err != nil {
		t.Fatal(err)
	}
	err := s.View(func(tx *Tx) error {
		for _, n := range tx.Names(Profiles) {
			var r rec
			if err := tx.Get(Profiles, n, &r); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		t.Fatal("reading a truncated database succeeded")
	}
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	s := New(filepath.Join(t.TempDir(), "home"))
	if err := s.Update(func(tx *Tx) error {
		return tx.bucket(bucketMeta).Put(keySchema, []byte("99"))
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.View(func(*Tx) error { return nil }); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("err = %v, want ErrNewerSchema", err)
	}
	if err := s.Update(func(*Tx) error { return nil }); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("update err = %v, want ErrNewerSchema", err)
	}
}
