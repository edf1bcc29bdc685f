package storetest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/licensedhq/licensed/store"
)

// Run runs every conformance case against stores made by open. open gets
// each case's own test and returns a fresh, migrated store; Run closes it
// when the case ends.
//
// Some cases reach past the Store interface to the database itself (to
// show that it, not only the Go code, refuses changes to audit events), so
// the store must also have a method DB() *sql.DB returning its database,
// or wrap one that has, with a method Unwrap() store.Store.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			})
			c.run(t, newFixture(t, s))
		})
	}
}

type testCase struct {
	name string
	run  func(t *testing.T, f *fixture)
}

var cases = []testCase{
	{"Brands", testBrands},
	{"Products", testProducts},
	{"APIKeys", testAPIKeys},
	{"CustomersAndLicenseKeys", testCustomersAndLicenseKeys},
	{"Licenses", testLicenses},
	{"UpdateLicense", testUpdateLicense},
	{"Defaults", testDefaults},
	{"Activations", testActivations},
	{"Idempotency", testIdempotency},
	{"SigningKeys", testSigningKeys},
	{"AuditEvents", testAuditEvents},
	{"AuditEventsAppendOnly", testAuditEventsAppendOnly},
	{"NotFound", testNotFound},
	{"AlreadyExists", testAlreadyExists},
	{"SearchLicenses", testSearchLicenses},
	{"ReadKey", testReadKey},
	{"LiveActivationsPage", testLiveActivationsPage},
	{"FailedTxLeavesNothing", testFailedTx},
	{"AuditCommitsWithChange", testAuditCommitsWithChange},
	{"ConcurrentSeats", testConcurrentSeats},
	{"ConcurrentIdempotency", testConcurrentIdempotency},
	{"ConcurrentEnsureCustomer", testConcurrentEnsureCustomer},
	{"ProductAndCustomer", testProductAndCustomer},
	{"CreateLicenseWithEvent", testCreateLicenseWithEvent},
	{"TimesAtMicroseconds", testTimes},
	{"PingAndMigrate", testPingAndMigrate},
	{"Tenancy", testTenancy},
	{"SealedValues", testSealedValues},
	{"ProductPolicies", testProductPolicies},
	{"FreeActivations", testFreeActivations},
	{"ListLicenses", testListLicenses},
	{"ExpireActivations", testExpireActivations},
	{"ConcurrentExpire", testConcurrentExpire},
	{"ConcurrentFreeAndPaidSeats", testConcurrentFreeAndPaidSeats},
	{"WebhookEndpoints", testWebhookEndpoints},
	{"WebhookOutbox", testWebhookOutbox},
	{"WebhookClaims", testWebhookClaims},
	{"ConcurrentWebhookClaims", testConcurrentWebhookClaims},
	{"BrandList", testBrandList},
	{"APIKeyList", testAPIKeyList},
	{"SigningKeyRevoke", testSigningKeyRevoke},
}

// fixture makes the rows a case needs; every helper fails the test on error.
type fixture struct {
	t   *testing.T
	s   store.Store
	ctx context.Context
	// now is a time the database stores exactly (whole microseconds, UTC).
	now time.Time
}

func newFixture(t *testing.T, s store.Store) *fixture {
	return &fixture{t: t, s: s, ctx: t.Context(), now: time.Now().UTC().Truncate(time.Microsecond)}
}

// in is f for a subtest: its failures end the subtest.
func (f *fixture) in(t *testing.T) *fixture {
	sub := *f
	sub.t = t
	return &sub
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// tx runs fn in a transaction that must commit.
func (f *fixture) tx(fn func(tx store.Tx) error) {
	f.t.Helper()
	if err := f.s.InTx(f.ctx, fn); err != nil {
		f.t.Fatalf("transaction: %v", err)
	}
}

func (f *fixture) brand(slug string) store.Brand {
	f.t.Helper()
	b := store.Brand{ID: newID(), Slug: slug, Name: "Brand " + slug, CreatedAt: f.now}
	f.tx(func(tx store.Tx) error { return tx.CreateBrand(f.ctx, b) })
	return b
}

func (f *fixture) product(b store.Brand, slug string) store.Product {
	f.t.Helper()
	p := store.Product{ID: newID(), BrandID: b.ID, Slug: slug, Name: "Product " + slug,
		DefaultSeats: 3, TokenTTL: 7 * 24 * time.Hour, Policy: store.Policy{FreeInstances: []string{}, MaxFreeActivations: 3},
		CreatedAt: f.now}
	f.tx(func(tx store.Tx) error { return tx.CreateProduct(f.ctx, p) })
	return p
}

func (f *fixture) customer(email string) store.Customer {
	f.t.Helper()
	var c store.Customer
	f.tx(func(tx store.Tx) (err error) {
		c, err = tx.EnsureCustomer(f.ctx, store.Customer{ID: newID(), Email: email})
		return err
	})
	return c
}

func (f *fixture) licenseKey(b store.Brand, c store.Customer) store.LicenseKey {
	f.t.Helper()
	id := newID()
	k := store.LicenseKey{ID: id, BrandID: b.ID, CustomerID: c.ID, Hash: []byte("hash-" + id),
		Ciphertext: []byte("sealed-" + id), Hint: "…" + id[len(id)-4:], CreatedAt: f.now}
	f.tx(func(tx store.Tx) error { return tx.CreateLicenseKey(f.ctx, k) })
	return k
}

// license creates an active license of p under k with seats seats, and
// no version, entitlements or metadata, and returns it as the store reads
// it back.
func (f *fixture) license(k store.LicenseKey, p store.Product, seats int) store.License {
	f.t.Helper()
	l := store.License{ID: newID(), LicenseKeyID: k.ID, BrandID: p.BrandID, ProductID: p.ID,
		Status: store.StatusActive, Seats: seats, CreatedAt: f.now, UpdatedAt: f.now}
	f.tx(func(tx store.Tx) error { return tx.CreateLicense(f.ctx, l) })
	got, err := f.s.LicenseByID(f.ctx, l.BrandID, l.ID)
	f.ok(err)
	return got
}

// world is one brand, product, customer, key and license: what most cases
// start from.
type world struct {
	brand    store.Brand
	product  store.Product
	customer store.Customer
	key      store.LicenseKey
	license  store.License
}

func (f *fixture) world(seats int) world {
	f.t.Helper()
	var w world
	w.brand = f.brand("acme-" + randomHex(4))
	w.product = f.product(w.brand, "pro")
	w.customer = f.customer("jane-" + randomHex(4) + "@example.com")
	w.key = f.licenseKey(w.brand, w.customer)
	w.license = f.license(w.key, w.product, seats)
	return w
}

func (f *fixture) activation(licenseID, instance string) store.Activation {
	return store.Activation{ID: newID(), LicenseID: licenseID, Instance: instance, InstanceName: "name of " + instance,
		CreatedAt: f.now, LastSeenAt: f.now}
}

func (f *fixture) event(brandID, licenseID, action string) store.AuditEvent {
	return store.AuditEvent{ID: newID(), At: f.now, ActorType: store.ActorAPIKey, ActorID: newID(),
		BrandID: brandID, LicenseID: licenseID, Action: action, RequestID: "req-" + randomHex(4), IP: "192.0.2.1",
		Data: json.RawMessage(`{"k": "v"}`)}
}

// rawDB is the database under the store (and under any wrapper of it
// that has an Unwrap method).
func (f *fixture) rawDB() *sql.DB {
	f.t.Helper()
	s := f.s
	for {
		if d, ok := s.(interface{ DB() *sql.DB }); ok {
			return d.DB()
		}
		w, ok := s.(interface{ Unwrap() store.Store })
		if !ok {
			f.t.Fatalf("%T has no DB() *sql.DB method; the suite needs it to reach the database", f.s)
		}
		s = w.Unwrap()
	}
}

func (f *fixture) ok(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// is fails unless errors.Is(err, want).
func (f *fixture) is(err, want error) {
	f.t.Helper()
	if !errors.Is(err, want) {
		f.t.Fatalf("got error %v, want %v", err, want)
	}
}

// equal compares with reflect.DeepEqual after putting JSON fields into one
// form: PostgreSQL's jsonb does not keep the spacing it was given.
func (f *fixture) equal(got, want any) {
	f.t.Helper()
	got, want = normalize(f.t, got), normalize(f.t, want)
	if !reflect.DeepEqual(got, want) {
		f.t.Fatalf("\n got: %+v\nwant: %+v", got, want)
	}
}

func normalize(t *testing.T, v any) any {
	switch v := v.(type) {
	case store.License:
		v.Metadata = compactJSON(t, v.Metadata)
		return v
	case store.AuditEvent:
		v.Data = compactJSON(t, v.Data)
		return v
	case []store.AuditEvent:
		out := make([]store.AuditEvent, len(v))
		for i, e := range v {
			out[i] = normalize(t, e).(store.AuditEvent)
		}
		return out
	case []store.License:
		out := make([]store.License, len(v))
		for i, l := range v {
			out[i] = normalize(t, l).(store.License)
		}
		return out
	}
	return v
}

func compactJSON(t *testing.T, raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("JSON %q: %v", raw, err)
	}
	b, _ := json.Marshal(v)
	return b
}

func ids[T any](list []T, id func(T) string) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = id(v)
	}
	return out
}
