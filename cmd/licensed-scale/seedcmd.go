package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/licensedhq/licensed/store/postgres"
)

// seededBrand is the slug of the brand `seed` writes, and what `compare`
// looks for: the key hashes derive from it, so compare can regenerate any
// seeded key from its number alone.
const seededBrand = "scale"

// seedSet is the name of the one set `seed` writes under seededBrand.
const seedSet = "keys"

// seedCmd seeds a database of its own with n licenses, one in every
// (licenses ÷ activations) with a live seat, under the brand seededBrand,
// and exits: the seeding half of docs/load/scale.sh, which then compares
// two such databases of different sizes with `compare`.
//
//	licensed-scale seed -postgres postgres://.../scale_large -licenses 10000000 -activations 1000000
func seedCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	url := fs.String("postgres", os.Getenv("LICENSED_POSTGRES_URL"), "PostgreSQL URL of a fresh database of its own")
	licenses := fs.Int("licenses", 10_000, "licenses")
	activations := fs.Int("activations", 1_000, "live activations (one license in licenses ÷ activations has one)")
	noTriggers := fs.Bool("no-fk-checks", true, "seed with session_replication_role=replica (superuser): the rows are consistent by construction")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *url == "" || *licenses <= 0 || *activations <= 0 || *activations > *licenses {
		return fmt.Errorf("need -postgres, -licenses > 0 and 0 < -activations <= -licenses")
	}
	st, err := postgres.Open(ctx, *url)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	sd, err := newSeeder(ctx, st.(*postgres.Store), *noTriggers, seededBrand)
	if err != nil {
		return fmt.Errorf("create brand %q (seed a fresh database): %w", seededBrand, err)
	}
	defer sd.close()
	return sd.grow(ctx, sd.newSet(seedSet, *licenses / *activations), *licenses)
}
