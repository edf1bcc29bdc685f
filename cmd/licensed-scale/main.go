package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"slices"
	"sync"
	"time"

	"github.com/licensedhq/licensed/store"
	"github.com/licensedhq/licensed/store/postgres"
)

func main() {
	if len(os.Args) > 1 {
		if sub, ok := map[string]func(context.Context, []string) error{"drive": drive, "seed": seedCmd, "compare": compare}[os.Args[1]]; ok {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			if err := sub(ctx, os.Args[2:]); err != nil {
				fmt.Fprintf(os.Stderr, "licensed-scale %s: %v\n", os.Args[1], err)
				os.Exit(1)
			}
			return
		}
	}
	var c config
	flag.StringVar(&c.url, "postgres", os.Getenv("LICENSED_POSTGRES_URL"), "PostgreSQL URL of a database of its own (default $LICENSED_POSTGRES_URL)")
	flag.IntVar(&c.small, "small", 10_000, "licenses at the first measurement")
	flag.IntVar(&c.licenses, "licenses", 10_000_000, "licenses at the second measurement")
	flag.IntVar(&c.activations, "activations", 1_000_000, "live activations at the second measurement (in proportion at the first)")
	flag.IntVar(&c.samples, "samples", 20_000, "validation reads per measurement")
	flag.IntVar(&c.conns, "conns", 8, "concurrent readers")
	flag.IntVar(&c.rounds, "rounds", 3, "measurements of each size, alternated, medians reported")
	flag.BoolVar(&c.noTriggers, "no-fk-checks", true, "seed with session_replication_role=replica (superuser): the seeded rows are consistent by construction, and per-row foreign key checks would triple the COPY time")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "licensed-scale:", err)
		os.Exit(1)
	}
}

type config struct {
	url                          string
	small, licenses, activations int
	samples, conns, rounds       int
	noTriggers                   bool
}

func run(ctx context.Context, c config) error {
	if c.url == "" {
		return fmt.Errorf("-postgres is required")
	}
	if c.small <= 0 || c.licenses < c.small || c.activations > c.licenses {
		return fmt.Errorf("need 0 < -small <= -licenses and -activations <= -licenses")
	}
	st, err := postgres.Open(ctx, c.url)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	pg := st.(*postgres.Store)
	sd, err := newSeeder(ctx, pg, c.noTriggers, "")
	if err != nil {
		return err
	}
	defer sd.close()

	// Two sets of keys in one database, so that both sizes are measured in
	// the same run on the same server: the small set is seeded first and
	// measured alone; then the large set grows the same tables step by step
	// (each -steps size a measurement, so that an interrupted run still
	// has its largest size measured), and both sets are measured again,
	// alternated, at each step.
	every := c.licenses / max(c.activations, 1)
	small := sd.newSet("small", every)
	if err := sd.grow(ctx, small, c.small); err != nil {
		return err
	}
	if _, err := measure(ctx, st, small, c, c.samples/4); err != nil { // warm-up: connections, statement caches
		return err
	}
	var aloneRuns []result
	for range c.rounds {
		r, err := measure(ctx, st, small, c, c.samples)
		if err != nil {
			return err
		}
		aloneRuns = append(aloneRuns, r)
	}
	alone := median(aloneRuns)
	fmt.Printf("%-36s p50 %10s  p99 %10s\n", fmt.Sprintf("small set alone (%d licenses)", c.small), alone.p50, alone.p99)

	big := sd.newSet("large", every)
	for _, total := range steps(c) {
		n := total - c.small
		if n <= 0 {
			break // -licenses equals -small: the small set alone is the measurement
		}
		if err := sd.grow(ctx, big, n); err != nil {
			return err
		}
		var smallRuns, bigRuns []result
		for range c.rounds {
			r, err := measure(ctx, st, small, c, c.samples)
			if err != nil {
				return err
			}
			smallRuns = append(smallRuns, r)
			if r, err = measure(ctx, st, big, c, c.samples); err != nil {
				return err
			}
			bigRuns = append(bigRuns, r)
		}
		s, b := median(smallRuns), median(bigRuns)
		fmt.Printf("%-36s p50 %10s  p99 %10s\n", fmt.Sprintf("small set at %d", total), s.p50, s.p99)
		fmt.Printf("%-36s p50 %10s  p99 %10s\n", fmt.Sprintf("large set at %d", total), b.p50, b.p99)
		fmt.Printf("at %d licenses: p99 ratio %.2f, p50 ratio %.2f (large set at this size ÷ small set alone)\n", total,
			float64(b.p99)/float64(alone.p99), float64(b.p50)/float64(alone.p50))
	}
	return nil
}

// steps are the sizes measured: tenfold steps from ten times -small up to
// -licenses.
func steps(c config) []int {
	var out []int
	for n := c.small * 10; n < c.licenses; n *= 10 {
		out = append(out, n)
	}
	return append(out, c.licenses)
}

type result struct{ p50, p99 time.Duration }

func median(rs []result) result {
	p50 := make([]time.Duration, len(rs))
	p99 := make([]time.Duration, len(rs))
	for i, r := range rs {
		p50[i], p99[i] = r.p50, r.p99
	}
	slices.Sort(p50)
	slices.Sort(p99)
	return result{p50[len(rs)/2], p99[len(rs)/2]}
}

// measure runs samples ReadKey calls on keys drawn uniformly from set,
// half of them with the instance of a live seat when the key has one, on
// c.conns goroutines, and reports the latency percentiles.
func measure(ctx context.Context, st store.Store, set *keySet, c config, samples int) (result, error) {
	lat := make([]time.Duration, samples)
	var wg sync.WaitGroup
	errs := make(chan error, c.conns)
	per := samples / c.conns
	for g := range c.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), uint64(time.Now().UnixNano())))
			for i := g * per; i < (g+1)*per; i++ {
				var err error
				lat[i], err = readOne(ctx, st, set, rng)
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return result{}, err
	}
	lat = lat[:per*c.conns]
	slices.Sort(lat)
	return result{lat[len(lat)/2], lat[len(lat)*99/100]}, nil
}
