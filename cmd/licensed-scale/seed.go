package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/postgres"
)

// chunk is how many licenses one round of COPYs writes: small enough to
// keep the rows of a round in memory, large enough that a COPY's start is
// nothing beside it.
const chunk = 100_000

// seeder writes the licenses of one brand and product of its own.
type seeder struct {
	conn      *pgxpool.Conn
	run       string // unique per run: a second run in the same database adds, never collides
	brandID   uuid.UUID
	productID uuid.UUID
}

// keySet is one set of seeded keys: key i has a license, and a live seat
// when i is a multiple of every.
type keySet struct {
	name     string // run/set, what key hashes and emails derive from
	n, every int
}

func (s *keySet) seated(i int) bool { return i%s.every == 0 }

func keyHash(set string, n int) []byte {
	sum := sha256.Sum256([]byte(set + "/" + strconv.Itoa(n)))
	return sum[:]
}

func instanceOf(set string, n int) string { return "https://site-" + strconv.Itoa(n) + ".example" }

// newSeeder creates the brand and product the seeded licenses belong to.
// run is the brand's slug, from which every key hash derives; empty means
// a random one (a second run in the same database adds, never collides).
func newSeeder(ctx context.Context, st *postgres.Store, noTriggers bool, run string) (*seeder, error) {
	if run == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		run = "scale-" + hex.EncodeToString(b[:])
	}
	sd := &seeder{run: run, brandID: uuid.Must(uuid.NewV7()), productID: uuid.Must(uuid.NewV7())}
	now := time.Now().UTC()
	err := st.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateBrand(ctx, store.Brand{ID: sd.brandID.String(), Slug: sd.run, Name: "Scale " + sd.run, CreatedAt: now}); err != nil {
			return err
		}
		return tx.CreateProduct(ctx, store.Product{ID: sd.productID.String(), BrandID: sd.brandID.String(), Slug: "pro", Name: "Pro",
			DefaultSeats: 3, TokenTTL: 24 * time.Hour, Policy: store.Policy{FreeInstances: []string{}}, CreatedAt: now})
	})
	if err != nil {
		return nil, err
	}
	if sd.conn, err = st.Pool().Acquire(ctx); err != nil {
		return nil, err
	}
	if noTriggers {
		if _, err := sd.conn.Exec(ctx, "SET session_replication_role = replica"); err != nil {
			sd.conn.Release()
			return nil, fmt.Errorf("disable foreign key checks (needs a superuser; or pass -no-fk-checks=false): %w", err)
		}
	}
	return sd, nil
}

func (sd *seeder) close() {
	_, _ = sd.conn.Exec(context.Background(), "RESET session_replication_role")
	sd.conn.Release()
}

// newSet starts an empty set of keys of this seeder's brand.
func (sd *seeder) newSet(name string, every int) *keySet {
	return &keySet{name: sd.run + "/" + name, every: max(every, 1)}
}

// grow adds licenses to set up to n, each under a key of its own and a
// customer of its own, and a live activation on every set.every-th; then
// ANALYZE, so that the plans measured next are the ones a grown database
// gets.
func (sd *seeder) grow(ctx context.Context, set *keySet, n int) error {
	start := time.Now()
	name := set.name
	now := time.Now().UTC()
	var actLicenses []uuid.UUID
	var actKeys []int
	for from := set.n; from < n; from += chunk {
		to := min(from+chunk, n)
		customers := make([][]any, 0, to-from)
		keys := make([][]any, 0, to-from)
		licenses := make([][]any, 0, to-from)
		for i := from; i < to; i++ {
			cust, key, lic := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
			customers = append(customers, []any{cust, strconv.Itoa(i) + "@" + set.name + ".scale.example"})
			keys = append(keys, []any{key, sd.brandID, cust, keyHash(set.name, i), []byte("synthetic"), "…" + strconv.Itoa(i%10000), now})
			licenses = append(licenses, []any{lic, key, sd.brandID, sd.productID, "active", 3, nil, "[]", "{}", int64(1), now, now})
			if set.seated(i) {
				actLicenses, actKeys = append(actLicenses, lic), append(actKeys, i)
			}
		}
		for _, c := range []struct {
			table string
			cols  []string
			rows  [][]any
		}{
			{"customers", []string{"id", "email"}, customers},
			{"license_keys", []string{"id", "brand_id", "customer_id", "key_hash", "key_ciphertext", "key_hint", "created_at"}, keys},
			{"licenses", []string{"id", "license_key_id", "brand_id", "product_id", "status", "seats", "expires_at",
				"entitlements", "metadata", "version", "created_at", "updated_at"}, licenses},
		} {
			if _, err := sd.conn.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
				return fmt.Errorf("copy %s: %w", c.table, err)
			}
		}
		progress(name, "licenses", to-set.n, n-set.n, start)
	}
	for from := 0; from < len(actLicenses); from += chunk {
		to := min(from+chunk, len(actLicenses))
		rows := make([][]any, 0, to-from)
		for i := from; i < to; i++ {
			k := actKeys[i]
			rows = append(rows, []any{uuid.Must(uuid.NewV7()), actLicenses[i], instanceOf(set.name, k), "site " + strconv.Itoa(k), now, now, nil, false})
		}
		if _, err := sd.conn.CopyFrom(ctx, pgx.Identifier{"activations"},
			[]string{"id", "license_id", "instance", "instance_name", "created_at", "last_seen_at", "deactivated_at", "free"},
			pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("copy activations: %w", err)
		}
	}
	progress(name, "activations", len(actLicenses), len(actLicenses), start)
	if _, err := sd.conn.Exec(ctx, "ANALYZE customers, license_keys, licenses, activations"); err != nil {
		return err
	}
	fmt.Printf("seeded %s: %d more licenses (%d in the set), %d more activations in %s\n", name, n-set.n, n, len(actLicenses),
		time.Since(start).Round(time.Second))
	set.n = n
	return nil
}

func progress(set, what string, done, of int, start time.Time) {
	if done == of || done%(10*chunk) == 0 {
		el := time.Since(start)
		fmt.Printf("  %s: %d/%d %s, %s, %.0f/s\n", set, done, of, what, el.Round(time.Second), float64(done)/el.Seconds())
	}
}
