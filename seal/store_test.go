package seal_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/licensedhq/licensed/seal"
	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/postgres"
	"github.com/licensedhq/licensed/store/sqlite"
	"github.com/licensedhq/licensed/store/storetest"
)

// eachStore runs fn on a fresh SQLite file and a fresh PostgreSQL schema.
func eachStore(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
		fn(t, migrated(t, st, err))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		st, err := postgres.Open(context.Background(), storetest.PostgresURL(t))
		fn(t, migrated(t, st, err))
	})
}

func migrated(t *testing.T, st store.Store, err error) store.Store {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// secrets is what a store holds sealed, in clear, to compare after a
// rotation: by kind and row.
type secrets map[string][]byte

func ref(v store.SealedValue) string { return fmt.Sprintf("%s/%s/%s", v.Kind, v.BrandID, v.ID) }

// fill writes sealed values of every kind under ring: signing keys,
// license keys (with their lookup hashes) and completed idempotency
// records, and a pending one that holds nothing sealed.
func fill(t *testing.T, st store.Store, ring *seal.Keyring, n int) (secrets, map[string]string) {
	t.Helper()
	ctx := context.Background()
	want := secrets{}
	keyOf := map[string]string{} // license key id -> license key
	now := time.Now().UTC()
	b := store.Brand{ID: newID(), Slug: "b-" + newID()[:8], Name: "B", CreatedAt: now}
	err := st.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateBrand(ctx, b); err != nil {
			return err
		}
		c, err := tx.EnsureCustomer(ctx, store.Customer{ID: newID(), Email: "c@example.com"})
		if err != nil {
			return err
		}
		for i := range n {
			kid := fmt.Sprintf("kid-%02d", i)
			seed := []byte("seed-" + kid)
			state := store.KeyRetired
			if i == 0 {
				state = store.KeyActive
			}
			if err := tx.CreateSigningKey(ctx, store.SigningKey{KID: kid, PublicKey: []byte(kid), State: state, CreatedAt: now,
				PrivateKeyCiphertext: ring.Seal(seed, seal.SigningKeyAAD(kid))}); err != nil {
				return err
			}
			want[ref(store.SealedValue{Kind: store.SealedSigningKey, ID: kid})] = seed

			id, key := newID(), fmt.Sprintf("LK-%04d-TEST", i)
			if err := tx.CreateLicenseKey(ctx, store.LicenseKey{ID: id, BrandID: b.ID, CustomerID: c.ID, Hint: "x", CreatedAt: now,
				Hash: ring.LookupHash([]byte(key)), Ciphertext: ring.Seal([]byte(key), seal.LicenseKeyAAD(id))}); err != nil {
				return err
			}
			want[ref(store.SealedValue{Kind: store.SealedLicenseKey, ID: id})] = []byte(key)
			keyOf[id] = key

			ik, body := fmt.Sprintf("order-%d", i), []byte(fmt.Sprintf(`{"license_key":"%s"}`, key))
			if _, err := tx.ClaimIdempotency(ctx, store.Idempotency{BrandID: b.ID, Key: ik, RequestHash: []byte("h"), CreatedAt: now}); err != nil {
				return err
			}
			if err := tx.CompleteIdempotency(ctx, b.ID, ik, 201, ring.Seal(body, seal.IdempotencyAAD(b.ID, ik))); err != nil {
				return err
			}
			want[ref(store.SealedValue{Kind: store.SealedIdempotency, BrandID: b.ID, ID: ik})] = body
		}
		_, err = tx.ClaimIdempotency(ctx, store.Idempotency{BrandID: b.ID, Key: "pending", RequestHash: []byte("h"), CreatedAt: now})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return want, keyOf
}

// read opens every sealed value of the store with ring, failing the test
// on any that does not open, and tells how many are under ring's primary.
func read(t *testing.T, st store.Store, ring *seal.Keyring) (secrets, int) {
	t.Helper()
	got := secrets{}
	underPrimary := 0
	for _, k := range store.SealedKinds() {
		f := store.SealedFilter{Kind: k, Limit: 7}
		for {
			page, err := st.SealedValues(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, v := range page {
				plain, err := ring.Open(v.Ciphertext, seal.AAD(v))
				if err != nil {
					t.Fatalf("%s does not open: %v", ref(v), err)
				}
				got[ref(v)] = plain
				if bytes.HasPrefix(v.Ciphertext, ring.Prefix()) {
					underPrimary++
				}
			}
			f.AfterBrandID, f.AfterID = page[len(page)-1].BrandID, page[len(page)-1].ID
		}
	}
	return got, underPrimary
}

func sameSecrets(t *testing.T, got, want secrets) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d sealed values, want %d", len(got), len(want))
	}
	for k, v := range want {
		if !bytes.Equal(got[k], v) {
			t.Fatalf("%s reads %q, want %q", k, got[k], v)
		}
	}
}

// failingStore makes the k-th re-seal (and every one after) fail, as a
// crash or a lost connection would in the middle of a batch.
type failingStore struct {
	store.Store
	left atomic.Int64
}

var errCrash = errors.New("crash")

func (s *failingStore) InTx(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.InTx(ctx, func(tx store.Tx) error { return fn(&failingTx{Tx: tx, s: s}) })
}

type failingTx struct {
	store.Tx
	s *failingStore
}

func (t *failingTx) ReSeal(ctx context.Context, v store.SealedValue, ct, hash []byte) error {
	if t.s.left.Add(-1) < 0 {
		return errCrash
	}
	return t.Tx.ReSeal(ctx, v, ct, hash)
}

// TestRotateInterruptedAndResumed: a rotation that crashes part way, then
// one stopped by its limit, then one run to the end: at every point every
// value reads under the keyring of the rotation (old and new key), none is
// lost, and at the end every value reads under the new key alone, license
// keys are found by their new lookup hash, and the store check passes with
// the new key alone and names the new key to the old one.
func TestRotateInterruptedAndResumed(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		oldMaster, newMaster := seal.GenerateMasterKey(), seal.GenerateMasterKey()
		oldRing, _ := seal.NewKeyring(oldMaster)
		const n = 12
		want, keyOf := fill(t, st, oldRing, n)
		total := len(want)
		if err := seal.Check(ctx, st, oldRing); err != nil {
			t.Fatal(err)
		}

		ring, err := seal.NewKeyring(newMaster, oldMaster)
		if err != nil {
			t.Fatal(err)
		}
		// A crash in the second batch: the first batch (5) stays re-sealed,
		// the second rolls back whole.
		crashing := &failingStore{Store: st}
		crashing.left.Store(7)
		rep, err := seal.Rotate(ctx, crashing, ring, seal.RotateOptions{Batch: 5})
		if !errors.Is(err, errCrash) {
			t.Fatalf("crashing rotation: %v", err)
		}
		got, done := read(t, st, ring)
		sameSecrets(t, got, want)
		if done != 5 || sum(rep.Resealed) != 5 {
			t.Fatalf("after the crash %d values are under the new key (report %v), want the first batch of 5", done, rep.Resealed)
		}

		rep, err = seal.Rotate(ctx, st, ring, seal.RotateOptions{Batch: 4, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		got, done = read(t, st, ring)
		sameSecrets(t, got, want)
		if sum(rep.Resealed) != 10 || done != 15 || rep.Remaining != total-15 {
			t.Fatalf("limited run: %+v, %d under the new key", rep, done)
		}

		rep, err = seal.Rotate(ctx, st, ring, seal.RotateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Remaining != 0 || sum(rep.Resealed) != total-15 || rep.KeyID != ring.ID() {
			t.Fatalf("final run: %+v", rep)
		}
		newOnly, _ := seal.NewKeyring(newMaster)
		got, done = read(t, st, newOnly)
		sameSecrets(t, got, want)
		if done != total {
			t.Fatalf("%d of %d values under the new key", done, total)
		}
		for id, key := range keyOf {
			lk, err := st.LicenseKeyByHash(ctx, newOnly.LookupHash([]byte(key)))
			if err != nil || lk.ID != id {
				t.Fatalf("license key %s by its new lookup hash: %v", id, err)
			}
			if _, err := st.LicenseKeyByHash(ctx, oldRing.LookupHash([]byte(key))); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("the old lookup hash of %s still finds it: %v", id, err)
			}
		}
		if err := seal.Check(ctx, st, newOnly); err != nil {
			t.Fatal(err)
		}
		var mis *seal.MismatchError
		if err := seal.Check(ctx, st, oldRing); !errors.As(err, &mis) || !slices.Equal(mis.SealedUnder, []string{newOnly.ID()}) || mis.Loaded[0] != oldRing.ID() {
			t.Fatalf("the old key alone: %v", err)
		}

		// Nothing left: a run re-seals nothing and records nothing.
		rep, err = seal.Rotate(ctx, st, newOnly, seal.RotateOptions{})
		if err != nil || sum(rep.Resealed) != 0 || rep.Remaining != 0 {
			t.Fatalf("a run with nothing to do: %+v %v", rep, err)
		}
		events, err := st.SealedValues(ctx, store.SealedFilter{Kind: store.SealedIdempotency, Limit: 1000})
		if err != nil || len(events) != n {
			t.Fatalf("idempotency records after rotation: %d %v", len(events), err)
		}
	})
}

// Without the key a value was sealed under, a rotation stops at that value
// and names the key, re-sealing nothing it cannot read.
func TestRotateNeedsTheOldKey(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		oldRing, _ := seal.NewKeyring(seal.GenerateMasterKey())
		fill(t, st, oldRing, 2)
		stranger, _ := seal.NewKeyring(seal.GenerateMasterKey())
		_, err := seal.Rotate(ctx, st, stranger, seal.RotateOptions{})
		var wrong *seal.WrongKeyError
		if !errors.As(err, &wrong) || wrong.SealedUnder != oldRing.ID() {
			t.Fatalf("rotation without the old key: %v", err)
		}
		if _, done := read(t, st, oldRing); done != 6 {
			t.Fatalf("%d values still under the old key, want all 6", done)
		}
	})
}

func TestHasSealed(t *testing.T) {
	eachStore(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		if has, err := seal.HasSealed(ctx, st); has || err != nil {
			t.Fatalf("empty store: %v %v", has, err)
		}
		ring, _ := seal.NewKeyring(seal.GenerateMasterKey())
		if err := seal.Check(ctx, st, ring); err != nil {
			t.Fatalf("empty store check: %v", err)
		}
		fill(t, st, ring, 1)
		if has, err := seal.HasSealed(ctx, st); !has || err != nil {
			t.Fatalf("filled store: %v %v", has, err)
		}
		ids, err := seal.SealedUnderIDs(ctx, st)
		if err != nil || !slices.Equal(ids, []string{ring.ID()}) {
			t.Fatalf("SealedUnderIDs %v %v", ids, err)
		}
	})
}

func sum(m map[store.SealedKind]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}
