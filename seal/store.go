package seal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/licensedhq/licensed/store"
)

// sample reads a few sealed values of each kind: every signing key (there
// are few, and the active one is what serving needs first), and the oldest
// and the newest of the others. Enough to tell which master key the store
// is sealed under without reading every row at each start.
func sample(ctx context.Context, q store.Queries) ([]store.SealedValue, error) {
	var out []store.SealedValue
	for _, k := range store.SealedKinds() {
		filters := []store.SealedFilter{{Kind: k, Limit: 1}, {Kind: k, Limit: 1, Newest: true}}
		if k == store.SealedSigningKey {
			filters = []store.SealedFilter{{Kind: k, Limit: 1000}}
		}
		for _, f := range filters {
			page, err := q.SealedValues(ctx, f)
			if err != nil {
				return nil, err
			}
			for _, v := range page {
				if !slices.ContainsFunc(out, func(o store.SealedValue) bool { return o.Kind == v.Kind && o.BrandID == v.BrandID && o.ID == v.ID }) {
					out = append(out, v)
				}
			}
		}
	}
	return out, nil
}

// HasSealed reports whether the store holds any sealed value: whether a
// master key has been used on it, and so whether a new one may be made.
func HasSealed(ctx context.Context, q store.Queries) (bool, error) {
	for _, k := range store.SealedKinds() {
		page, err := q.SealedValues(ctx, store.SealedFilter{Kind: k, Limit: 1})
		if err != nil || len(page) > 0 {
			return len(page) > 0, err
		}
	}
	return false, nil
}

// SealedUnderIDs lists the ids of the master keys a sample of the store's
// values were sealed under ("unrecorded" for values sealed before key
// ids), for telling an operator which key to restore.
func SealedUnderIDs(ctx context.Context, q store.Queries) ([]string, error) {
	vs, err := sample(ctx, q)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, v := range vs {
		id := idOrUnrecorded(v.Ciphertext)
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func idOrUnrecorded(ciphertext []byte) string {
	if id, ok := SealedUnder(ciphertext); ok {
		return id
	}
	return "unrecorded"
}

// MismatchError: values in the store do not open under the loaded keys.
type MismatchError struct {
	// SealedUnder are the ids of the keys the values that failed were
	// sealed under ("unrecorded" for values older than key ids).
	SealedUnder []string
	// Loaded are the ids of the loaded keys, the primary first.
	Loaded []string
	// First is the first failure, naming its row.
	First error
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("the store holds secrets sealed under master key %s, but the loaded master key is %s (%v)",
		strings.Join(e.SealedUnder, ", "), strings.Join(e.Loaded, " with old keys "), e.First)
}

// Unwrap gives the first failure (a *WrongKeyError, or ErrDecrypt).
func (e *MismatchError) Unwrap() error { return e.First }

// Check opens a sample of the store's sealed values with ring (see
// sample): nil when each opens, else a *MismatchError. Serving with a key
// that opens nothing would fail every request that needs a secret, and a
// key made afresh on top of sealed values would be the wrong one forever.
func Check(ctx context.Context, q store.Queries, ring *Keyring) error {
	vs, err := sample(ctx, q)
	if err != nil {
		return err
	}
	var mis *MismatchError
	for _, v := range vs {
		if _, err := ring.Open(v.Ciphertext, AAD(v)); err != nil {
			if mis == nil {
				mis = &MismatchError{Loaded: ring.IDs(), First: fmt.Errorf("%s %s: %w", v.Kind, v.ID, err)}
			}
			if id := idOrUnrecorded(v.Ciphertext); !slices.Contains(mis.SealedUnder, id) {
				mis.SealedUnder = append(mis.SealedUnder, id)
			}
		}
	}
	if mis != nil {
		return mis
	}
	return nil
}

// RotateOptions tune Rotate.
type RotateOptions struct {
	// Batch is how many values one transaction re-seals; 100 when zero.
	Batch int
	// Limit stops the run after re-sealing this many values, to spread a
	// large rotation over several runs; 0 re-seals everything.
	Limit int
}

// RotateReport is what a Rotate run did.
type RotateReport struct {
	// KeyID is the primary key everything is now sealed under.
	KeyID string `json:"key_id"`
	// Resealed counts the values this run re-sealed, by kind.
	Resealed map[store.SealedKind]int `json:"resealed"`
	// Remaining counts the values still sealed under another key: 0 once
	// the rotation is complete.
	Remaining int `json:"remaining"`
}

// maxPasses bounds the passes of a run. A pass re-seals what it finds; the
// next one finds only what was sealed under an old key meanwhile (by a
// replica still sealing under it), so two passes are the rule.
const maxPasses = 3

// Rotate re-seals every sealed value of the store that is not sealed under
// ring's primary key, opening it with whichever key of ring sealed it, and
// moves license keys' lookup hashes to the primary key's pepper with their
// ciphertexts. Each batch commits on its own and each value is swapped
// only if unchanged since read (store.Tx.ReSeal), so a run interrupted at
// any point leaves every value readable by ring, and the next run resumes
// where it stopped; it may run beside serving replicas, which must hold
// the same ring (see docs/OPERATIONS.md). A value no key of ring opens
// stops the run with an error naming it.
func Rotate(ctx context.Context, st store.Store, ring *Keyring, o RotateOptions) (RotateReport, error) {
	if o.Batch <= 0 {
		o.Batch = 100
	}
	rep := RotateReport{KeyID: ring.ID(), Resealed: map[store.SealedKind]int{}}
	for _, k := range store.SealedKinds() {
		rep.Resealed[k] = 0
	}
	budget := o.Limit
	err := func() error {
		for pass := 1; ; pass++ {
			found, stopped, err := rotatePass(ctx, st, ring, o.Batch, &budget, o.Limit > 0, &rep)
			switch {
			case err != nil:
				return err
			case !stopped && found == 0:
				return nil // a whole pass found nothing left: done
			case stopped || pass == maxPasses:
				rep.Remaining, err = countNotUnder(ctx, st, ring)
				return err
			}
		}
	}()
	if total(rep) > 0 {
		// Recorded even when the run failed part way: what it re-sealed
		// stays re-sealed.
		if aerr := auditRotation(ctx, st, rep, err); err == nil {
			err = aerr
		}
	}
	return rep, err
}

func total(rep RotateReport) int {
	n := 0
	for _, c := range rep.Resealed {
		n += c
	}
	return n
}

// ActionResealed is the audit action of a Rotate run that re-sealed
// anything; it belongs to no brand and its actor is the system.
const ActionResealed = "master_key.resealed"

func auditRotation(ctx context.Context, st store.Store, rep RotateReport, runErr error) error {
	data := map[string]any{"key_id": rep.KeyID, "resealed": rep.Resealed, "remaining": rep.Remaining, "complete": runErr == nil && rep.Remaining == 0}
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	return st.InTx(ctx, func(tx store.Tx) error {
		return tx.AppendAuditEvent(ctx, store.AuditEvent{
			ID: uuid.Must(uuid.NewV7()).String(), At: time.Now().UTC(), ActorType: store.ActorSystem, ActorID: "seal",
			Action: ActionResealed, Data: b,
		})
	})
}

// rotatePass goes once through every sealed column.
func rotatePass(ctx context.Context, st store.Store, ring *Keyring, batch int, budget *int, limited bool, rep *RotateReport) (found int, stopped bool, err error) {
	for _, kind := range store.SealedKinds() {
		f := store.SealedFilter{Kind: kind, NotPrefix: ring.Prefix(), Limit: batch}
		for {
			if limited && *budget <= 0 {
				return found, true, nil
			}
			if limited {
				f.Limit = min(batch, *budget)
			}
			page, err := st.SealedValues(ctx, f)
			if err != nil || len(page) == 0 {
				if err != nil {
					return found, false, err
				}
				break
			}
			found += len(page)
			n, err := reseal(ctx, st, ring, page)
			rep.Resealed[kind] += n
			*budget -= n
			if err != nil {
				return found, false, err
			}
			last := page[len(page)-1]
			f.AfterBrandID, f.AfterID = last.BrandID, last.ID
		}
	}
	return found, false, nil
}

// reseal re-seals one page in one transaction. A value that changed or
// went since it was read is left alone: it is re-read by the next pass if
// it still needs re-sealing.
func reseal(ctx context.Context, st store.Store, ring *Keyring, page []store.SealedValue) (int, error) {
	type next struct {
		v        store.SealedValue
		ct, hash []byte
	}
	todo := make([]next, 0, len(page))
	for _, v := range page {
		plain, err := ring.Open(v.Ciphertext, AAD(v))
		if err != nil {
			return 0, fmt.Errorf("%s %s: %w", v.Kind, describe(v), err)
		}
		n := next{v: v, ct: ring.Seal(plain, AAD(v))}
		if v.Kind == store.SealedLicenseKey {
			n.hash = ring.LookupHash(plain)
		}
		todo = append(todo, n)
	}
	done := 0
	err := st.InTx(ctx, func(tx store.Tx) error {
		done = 0
		for _, n := range todo {
			err := tx.ReSeal(ctx, n.v, n.ct, n.hash)
			switch {
			case err == nil:
				done++
			case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
			default:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return done, nil
}

func describe(v store.SealedValue) string {
	if v.BrandID != "" {
		return v.BrandID + "/" + v.ID
	}
	return v.ID
}

// countNotUnder counts the values not yet sealed under ring's primary key.
func countNotUnder(ctx context.Context, q store.Queries, ring *Keyring) (int, error) {
	n := 0
	for _, kind := range store.SealedKinds() {
		f := store.SealedFilter{Kind: kind, NotPrefix: ring.Prefix(), Limit: 1000}
		for {
			page, err := q.SealedValues(ctx, f)
			if err != nil {
				return n, err
			}
			if len(page) == 0 {
				break
			}
			n += len(page)
			last := page[len(page)-1]
			f.AfterBrandID, f.AfterID = last.BrandID, last.ID
		}
	}
	return n, nil
}
