package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/postgres"
)

// hotRelations are what a validation read touches (EXPLAIN of ReadKey's
// three statements at 10 million licenses; docs/SCALING.md): the tables
// first and their indexes last, so that when shared_buffers cannot
// hold them all, what pg_prewarm loaded last — the indexes — is what
// stays.
var hotRelations = []string{
	"license_keys", "licenses", "customers", "activations", "brands", "products",
	"license_keys_key_hash_key", "licenses_license_key_id_product_id_key", "customers_pkey",
	"activations_live_by_id", // the live seats of a license: both the seat counts and the instance's seat use it
	"activations_live",       // the instance's seat, when the planner picks it instead
	"brands_pkey", "products_pkey",
}

// compare measures ReadKey on two databases seeded by `seed` (a small one
// and a large one, on the same server) in the same run: both are warmed
// first, then in every round each goroutine alternates short slices of
// reads between the two (which one goes first alternating too), so that
// whatever else the machine does falls on both alike; each round gives a
// p50 and p99 per database and their ratio, and the medians over rounds
// are the result.
//
//	licensed-scale compare -small postgres://.../scale_small -large postgres://.../scale_large
func compare(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	smallURL := fs.String("small", "", "PostgreSQL URL of the small database (seeded by `seed`)")
	largeURL := fs.String("large", "", "PostgreSQL URL of the large database (seeded by `seed`)")
	conns := fs.Int("conns", 4, "concurrent readers, each alternating between the two databases")
	rounds := fs.Int("rounds", 7, "rounds; medians over them are reported")
	samples := fs.Int("samples", 40_000, "reads per database per round")
	slice := fs.Int("slice", 100, "reads in a row on one database before switching to the other")
	warm := fs.Bool("prewarm", true, "load the hot tables and indexes into shared_buffers first (pg_prewarm)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *smallURL == "" || *largeURL == "" || *conns <= 0 || *rounds <= 0 || *slice <= 0 || *samples < *conns**slice {
		return fmt.Errorf("need -small, -large, and -samples >= -conns × -slice")
	}
	var dbs [2]*seededDB
	for i, url := range []string{*smallURL, *largeURL} {
		db, err := openSeeded(ctx, url)
		if err != nil {
			return err
		}
		defer db.st.Close()
		dbs[i] = db
	}
	for _, db := range dbs {
		if *warm {
			if err := db.prewarm(ctx, *conns); err != nil {
				return err
			}
		}
		fmt.Printf("%s: %d licenses, a live seat on one in %d; hot relations %s\n", db.name, db.set.n, db.set.every, db.sizes)
	}
	// A warm-up round, not counted: connections, prepared statements, and
	// whatever pg_prewarm did not load.
	if _, err := interleave(ctx, dbs, *conns, *samples/2, *slice); err != nil {
		return err
	}
	var p50s, p99s [2][]time.Duration
	var r50, r99 []float64
	fmt.Printf("%-6s %12s %12s %12s %12s %8s %8s\n", "round", "small p50", "large p50", "small p99", "large p99", "p50 ×", "p99 ×")
	for r := range *rounds {
		res, err := interleave(ctx, dbs, *conns, *samples, *slice)
		if err != nil {
			return err
		}
		for i := range dbs {
			p50s[i], p99s[i] = append(p50s[i], res[i].p50), append(p99s[i], res[i].p99)
		}
		x50, x99 := float64(res[1].p50)/float64(res[0].p50), float64(res[1].p99)/float64(res[0].p99)
		r50, r99 = append(r50, x50), append(r99, x99)
		fmt.Printf("%-6d %12s %12s %12s %12s %8.2f %8.2f\n", r+1, res[0].p50, res[1].p50, res[0].p99, res[1].p99, x50, x99)
	}
	fmt.Printf("%-6s %12s %12s %12s %12s %8.2f %8.2f\n", "median", mid(p50s[0]), mid(p50s[1]), mid(p99s[0]), mid(p99s[1]), mid(r50), mid(r99))
	fmt.Printf("large (%d licenses) ÷ small (%d licenses), median of %d per-round ratios: p50 %.2f×, p99 %.2f×\n",
		dbs[1].set.n, dbs[0].set.n, *rounds, mid(r50), mid(r99))
	return nil
}

func mid[T int64 | time.Duration | float64](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// seededDB is a database `seed` wrote, and the set of keys it holds.
type seededDB struct {
	name  string
	st    store.Store
	set   *keySet
	sizes string
}

// openSeeded opens a database seeded by `seed` and reads back how many
// keys it holds and how many of them have a live seat; it does not
// migrate: it measures the database as seeded.
func openSeeded(ctx context.Context, url string) (*seededDB, error) {
	st, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	pool := st.(*postgres.Store).Pool()
	db := &seededDB{st: st, set: &keySet{name: seededBrand + "/" + seedSet}}
	var acts int
	err = pool.QueryRow(ctx, `SELECT current_database() || CASE current_schema() WHEN 'public' THEN '' ELSE '.' || current_schema() END,
		(SELECT count(*) FROM license_keys k JOIN brands b ON b.id = k.brand_id WHERE b.slug = $1),
		(SELECT count(*) FROM activations WHERE deactivated_at IS NULL)`, seededBrand).Scan(&db.name, &db.set.n, &acts)
	if err == nil && (db.set.n == 0 || acts == 0) {
		err = fmt.Errorf("no licenses or no live seats of brand %q: seed it first", seededBrand)
	}
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	db.set.every = db.set.n / acts
	return db, nil
}

// prewarm loads the hot relations into shared_buffers and notes their
// sizes. It does so on conns connections held at once — the ones the
// readers then take from the pool — because a PostgreSQL backend maps each
// page of shared memory into its own address space on its first touch:
// every reader's connection has then touched every hot page before the
// measurement, as a long-lived pool's connections have in service.
func (db *seededDB) prewarm(ctx context.Context, conns int) error {
	pool := db.st.(*postgres.Store).Pool()
	// The extension may live in a schema off the search_path (created by
	// another schema's run): call it by its schema's name.
	var fn string
	if _, err := pool.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_prewarm"); err != nil {
		return fmt.Errorf("%s: pg_prewarm (or pass -prewarm=false): %w", db.name, err)
	}
	if err := pool.QueryRow(ctx, "SELECT quote_ident(n.nspname) || '.pg_prewarm' FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_prewarm'").Scan(&fn); err != nil {
		return fmt.Errorf("%s: pg_prewarm's schema: %w", db.name, err)
	}
	held := make([]*pgxpool.Conn, 0, conns)
	defer func() {
		for _, c := range held {
			c.Release()
		}
	}()
	for range conns {
		c, err := pool.Acquire(ctx)
		if err != nil {
			return err
		}
		held = append(held, c)
	}
	var total, indexes int64
	for i, c := range held {
		for _, rel := range hotRelations {
			var size int64
			var isIndex bool
			if err := c.QueryRow(ctx, "SELECT pg_relation_size($1::regclass), relkind = 'i', "+fn+"($1::regclass) FROM pg_class WHERE oid = $1::regclass",
				rel).Scan(&size, &isIndex, new(int64)); err != nil {
				return fmt.Errorf("%s: prewarm %s: %w", db.name, rel, err)
			}
			if i == 0 {
				total += size
				if isIndex {
					indexes += size
				}
			}
		}
	}
	db.sizes = fmt.Sprintf("%d MB (indexes %d MB)", total>>20, indexes>>20)
	return nil
}

// interleave runs samples reads on each database, on conns goroutines
// each alternating slices of slice reads between the two, and returns the
// percentiles per database.
func interleave(ctx context.Context, dbs [2]*seededDB, conns, samples, slice int) ([2]result, error) {
	per := samples / conns / slice * slice
	var lat [2][]time.Duration
	for i := range lat {
		lat[i] = make([]time.Duration, per*conns)
	}
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for g := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), uint64(time.Now().UnixNano())))
			for s := range 2 * per / slice {
				d := (s + g) % 2 // which database this slice reads; goroutines out of step
				at := g*per + s/2*slice
				for i := range slice {
					took, err := readOne(ctx, dbs[d].st, dbs[d].set, rng)
					if err != nil {
						errs <- fmt.Errorf("%s: %w", dbs[d].name, err)
						return
					}
					lat[d][at+i] = took
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return [2]result{}, err
	}
	var out [2]result
	for i, l := range lat {
		slices.Sort(l)
		out[i] = result{l[len(l)/2], l[len(l)*99/100]}
	}
	return out, nil
}

// readOne reads a key drawn uniformly from set, with the instance of its
// live seat when it has one, as a validation does, and checks the answer.
func readOne(ctx context.Context, st store.Store, set *keySet, rng *rand.Rand) (time.Duration, error) {
	n := rng.IntN(set.n)
	instance := ""
	if set.seated(n) {
		instance = instanceOf(set.name, n)
	}
	start := time.Now()
	read, err := st.ReadKey(ctx, keyHash(set.name, n), instance)
	took := time.Since(start)
	if err == nil && len(read.Licenses) != 1 {
		err = fmt.Errorf("key %d: %d licenses, want 1", n, len(read.Licenses))
	}
	if err == nil && instance != "" && len(read.Activations) != 1 {
		err = fmt.Errorf("key %d: %d live activations, want 1", n, len(read.Activations))
	}
	return took, err
}
