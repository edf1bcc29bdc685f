package main

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/storetest"
)

// seed writes what compare reads back: the number of keys, one in ten
// with a live seat, every key answering with its license and every seated
// key with its seat; compare runs on two such databases (here two schemas
// of the test database), prewarm included.
func TestSeedAndCompare(t *testing.T) {
	ctx := t.Context()
	small, large := storetest.PostgresURL(t), storetest.PostgresURL(t)
	for _, s := range []struct {
		url      string
		licenses string
	}{{small, "200"}, {large, "2000"}} {
		if err := seedCmd(ctx, []string{"-postgres", s.url, "-licenses", s.licenses, "-activations", s.licenses[:len(s.licenses)-1]}); err != nil {
			t.Fatal(err)
		}
	}
	if err := seedCmd(ctx, []string{"-postgres", small, "-licenses", "10", "-activations", "1"}); err == nil {
		t.Error("seeding a seeded database again: no error, want one (its brand exists)")
	}

	db, err := openSeeded(ctx, large)
	if err != nil {
		t.Fatal(err)
	}
	defer db.st.Close()
	if db.set.n != 2000 || db.set.every != 10 {
		t.Fatalf("read back %d keys, a seat on one in %d; want 2000 and 10", db.set.n, db.set.every)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		if _, err := readOne(ctx, db.st, db.set, rng); err != nil {
			t.Fatal(err)
		}
	}
	// readOne checks what it reads: keys past the seeded ones are not found.
	db.set.n *= 100
	var failed error
	for i := 0; i < 200 && failed == nil; i++ {
		_, failed = readOne(ctx, db.st, db.set, rng)
	}
	if !errors.Is(failed, store.ErrNotFound) {
		t.Errorf("reading keys never seeded: %v, want store.ErrNotFound", failed)
	}

	if err := compare(ctx, []string{"-small", small, "-large", large, "-conns", "2", "-rounds", "2", "-samples", "400", "-slice", "10"}); err != nil {
		t.Fatal(err)
	}
}
