package store

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestScrubLosesNoWrite runs writers in parallel with Scrub, which
// replaces the file under them: every write must land in the file that
// stays (a writer that opened the replaced file must notice and retry).
func TestScrubLosesNoWrite(t *testing.T) {
	s := New(filepath.Join(t.TempDir(), "home"))
	const writers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each+100)
	stop := make(chan struct{})
	var scrubs sync.WaitGroup
	scrubs.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := s.Scrub(); err != nil {
				errs <- fmt.Errorf("scrub: %w", err)
			}
		}
	})
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				name := fmt.Sprintf("p%d-%d", w, i)
				if err := s.Update(func(tx *Tx) error { return tx.Put(Profiles, name, rec{V: name}) }); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	scrubs.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var n int
	if err := s.View(func(tx *Tx) error { n = len(tx.Names(Profiles)); return nil }); err != nil {
		t.Fatal(err)
	}
	if n != writers*each {
		t.Errorf("%d records after scrubbing under %d writes", n, writers*each)
	}
	start := time.Now()
	if err := s.Scrub(); err != nil {
		t.Fatal(err)
	}
	t.Logf("one scrub of a database with %d records took %s", n, time.Since(start))
}
