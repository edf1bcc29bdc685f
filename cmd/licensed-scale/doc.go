// Command licensed-scale seeds a PostgreSQL database with millions of
// licenses and activations through COPY (pgx's CopyFrom) and measures the
// validation read (store.Queries.ReadKey, what a validation reads) at a
// small size and again at the full size, in one run, so that the ratio of
// the two says whether validation stays flat as the tables grow.
//
// It exists because seeding ten million licenses through the API or
// through store transactions would take hours; COPY takes minutes. It is
// a measurement tool: it writes rows of one brand of its own that no real
// secret can open (key hashes and ciphertexts are synthetic), so run it
// on a database of its own.
//
//	licensed-scale -postgres postgres://root@127.0.0.1:5432/licensed_scale \
//	    -small 10000 -licenses 10000000 -activations 1000000
//
// What docs/load/scale.sh runs instead, on a private cluster: seed two
// databases of their own, one small and one large, then compare them with
// reads alternating between the two in short slices on the same
// goroutines, so that the machine's other work falls on both alike:
//
//	licensed-scale seed -postgres .../scale_small -licenses 10000 -activations 1000
//	licensed-scale seed -postgres .../scale_large -licenses 10000000 -activations 1000000
//	licensed-scale compare -small .../scale_small -large .../scale_large
//
// and `licensed-scale drive` loads a running server (docs/load/pgbench).
package main
