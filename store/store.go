package store

import (
	"context"
	"encoding/json"
	"time"
)

// Store is the source of truth. Methods of Queries on a Store read outside any
// transaction (on SQLite, from the reader pool); everything that writes goes
// through InTx.
type Store interface {
	Queries

	// InTx runs fn in one read-write transaction and commits it when fn
	// returns nil; any error rolls everything back. fn may be retried by
	// nothing: it runs once. On SQLite the transaction holds the single
	// write lock from its start; on PostgreSQL it runs at READ COMMITTED and
	// relies on LockLicense for serialisation. fn must not call InTx: on
	// SQLite the one writer connection is already taken.
	InTx(ctx context.Context, fn func(tx Tx) error) error

	// Migrate applies pending schema migrations and reports how many ran.
	Migrate(ctx context.Context) (int, error)
	// Ping answers nil while the database answers.
	Ping(ctx context.Context) error
	Close() error
}

// Queries are the reads, available on a Store and inside a transaction.
// Ids are UUIDs in canonical form: PostgreSQL stores them as uuid and
// refuses to compare anything else with them.
//
// Tenancy is part of every read of a brand's licenses, activations and
// audit events: they take the brand id and the SQL filters by it, so that
// another brand's id is ErrNotFound from the store itself, whatever the
// layers above check. Where the product API starts from a license key, the
// key row (LicenseKeyByHash) gives the brand.
type Queries interface {
	BrandByID(ctx context.Context, id string) (Brand, error)
	BrandBySlug(ctx context.Context, slug string) (Brand, error)
	// Brands lists every brand in id order (creation order), one page at a
	// time: an operator's read, across brands by design.
	Brands(ctx context.Context, f BrandFilter) ([]Brand, error)
	ProductBySlug(ctx context.Context, brandID, slug string) (Product, error)
	// ProductByID is a product of the brand; another brand's is ErrNotFound.
	ProductByID(ctx context.Context, brandID, id string) (Product, error)
	// Products lists the products of one brand in id order (creation
	// order), one page at a time.
	Products(ctx context.Context, f ProductFilter) ([]Product, error)
	// ProductsWithActivationTTL lists the products of every brand whose
	// activations expire (Policy.ActivationTTL > 0): what the activation
	// sweeper works through. It is a system read, across brands by design.
	ProductsWithActivationTTL(ctx context.Context) ([]Product, error)
	// MaxTokenTTL is the longest token_ttl of any product (0 when there is
	// none): the longest a retired signing key must stay published.
	MaxTokenTTL(ctx context.Context) (time.Duration, error)

	APIKeyByID(ctx context.Context, id string) (APIKey, error)
	APIKeyByPrefix(ctx context.Context, prefix string) (APIKey, error)
	// APIKeys lists API keys in id order, one page at a time: of one brand,
	// of the platform, or of everyone only when the filter says so.
	APIKeys(ctx context.Context, f APIKeyFilter) ([]APIKey, error)

	CustomerByEmail(ctx context.Context, email string) (Customer, error)
	// LicenseKeyByHash finds a key by its lookup hash; its BrandID is the
	// brand every later read of the product API is scoped to.
	LicenseKeyByHash(ctx context.Context, hash []byte) (LicenseKey, error)
	// ReadKey is what validating a license key reads, in one call (one
	// round trip on PostgreSQL): the key with this lookup hash, its
	// licenses of the key's brand oldest first, and the live activations of
	// instance on them (none when instance is ""). ErrNotFound when no key
	// has the hash. The parts are read by separate statements, each seeing
	// what was committed when it began, as separate calls would.
	ReadKey(ctx context.Context, hash []byte, instance string) (KeyRead, error)
	// LatestLicenseKey is the most recently created key of a customer at a
	// brand: the one provisioning reuses.
	LatestLicenseKey(ctx context.Context, brandID, customerID string) (LicenseKey, error)

	// LicenseByID is a license of the brand; another brand's is ErrNotFound.
	LicenseByID(ctx context.Context, brandID, id string) (License, error)
	// LicensesByKey lists every license of the brand under one license key,
	// oldest first.
	LicensesByKey(ctx context.Context, brandID, licenseKeyID string) ([]License, error)
	// LicenseByKeyAndProduct is the license of one product under a key.
	LicenseByKeyAndProduct(ctx context.Context, brandID, licenseKeyID, productID string) (License, error)
	// SearchLicenses lists the licenses of a customer email, ordered by id:
	// of one brand, or of every brand when the filter says so explicitly.
	SearchLicenses(ctx context.Context, f LicenseFilter) ([]License, error)
	// ListLicenses lists one brand's licenses newest first (id order,
	// descending: ids are UUIDv7), narrowed by product, effective status
	// and expiry, one page at a time.
	ListLicenses(ctx context.Context, f LicenseListFilter) ([]License, error)
	// StaleActivationLicenses lists, in id order after afterID, up to
	// limit licenses of a product that have a live activation last seen
	// before seenBefore: the licenses whose seats the activation sweeper
	// releases.
	StaleActivationLicenses(ctx context.Context, productID string, seenBefore time.Time, afterID string, limit int) ([]LicenseRef, error)

	// ActivationByID is an activation of a license of the brand.
	ActivationByID(ctx context.Context, brandID, id string) (Activation, error)
	// LiveActivation is the activation holding a seat for instance, if any.
	LiveActivation(ctx context.Context, brandID, licenseID, instance string) (Activation, error)
	// LiveActivations lists the seats in use, oldest first.
	LiveActivations(ctx context.Context, brandID, licenseID string) ([]Activation, error)
	// LiveActivationsPage lists up to limit seats in use in id order
	// (creation order: ids are UUIDv7), after afterID when it is given.
	LiveActivationsPage(ctx context.Context, brandID, licenseID, afterID string, limit int) ([]Activation, error)
	// CountLiveActivations counts every live activation, free ones
	// included (License.SeatsUsed counts the others).
	CountLiveActivations(ctx context.Context, brandID, licenseID string) (int, error)

	// AuditEvents lists a brand's events newest first. brandID is
	// required: an empty one is an error, never "every brand".
	AuditEvents(ctx context.Context, brandID string, f AuditFilter) ([]AuditEvent, error)

	Idempotency(ctx context.Context, brandID, key string) (Idempotency, error)

	// SigningKeys lists every signing key, oldest first.
	SigningKeys(ctx context.Context) ([]SigningKey, error)

	// SealedValues pages through one sealed column (see SealedKind), for
	// the start-up check of the master key and for its rotation.
	SealedValues(ctx context.Context, f SealedFilter) ([]SealedValue, error)

	// WebhookEndpoints lists a brand's endpoints in id order.
	WebhookEndpoints(ctx context.Context, brandID string) ([]WebhookEndpoint, error)
	// WebhookEndpointByID is an endpoint of the brand; another brand's is
	// ErrNotFound.
	WebhookEndpointByID(ctx context.Context, brandID, id string) (WebhookEndpoint, error)
	// WebhookDeliveries lists an endpoint's deliveries newest first.
	WebhookDeliveries(ctx context.Context, f WebhookDeliveryFilter) ([]WebhookDelivery, error)
	// WebhookDeliveryByID is a delivery to an endpoint of the brand.
	WebhookDeliveryByID(ctx context.Context, brandID, id string) (WebhookDelivery, error)
	// WebhookQueue counts the pending deliveries of every brand: a system
	// read for the dispatcher's metrics.
	WebhookQueue(ctx context.Context) (WebhookQueue, error)
	// NextWebhookDue is when the soonest pending delivery of any brand is
	// due (nil when none is pending): a read that lets an idle dispatcher
	// skip its claiming transaction.
	NextWebhookDue(ctx context.Context) (*time.Time, error)
}

// Tx is one read-write transaction.
type Tx interface {
	Queries

	CreateBrand(ctx context.Context, b Brand) error
	// UpdateBrand writes the name of brand b.ID; ErrNotFound when there is
	// none.
	UpdateBrand(ctx context.Context, b Brand) error
	CreateProduct(ctx context.Context, p Product) error
	// UpdateProduct writes name, default seats, token TTL and policy of a
	// product of p.BrandID; ErrNotFound when there is none.
	UpdateProduct(ctx context.Context, p Product) error

	CreateAPIKey(ctx context.Context, k APIKey) error
	// TouchAPIKey records a use of the key.
	TouchAPIKey(ctx context.Context, id string, at time.Time) error
	// RevokeAPIKey marks an unrevoked key revoked; ErrNotFound otherwise.
	RevokeAPIKey(ctx context.Context, id string, at time.Time) error

	// EnsureCustomer returns the customer with this email, creating it with
	// c.ID when there is none, and holds its row lock until the transaction
	// ends, so that concurrent provisionings for one customer take turns
	// (and agree on one license key per brand).
	// The customer it returns has c.ID exactly when this call created it.
	EnsureCustomer(ctx context.Context, c Customer) (Customer, error)
	// ProductAndCustomer is ProductBySlug and EnsureCustomer together, in
	// one round trip where the database batches: provisioning's first
	// reads. ErrNotFound (wrapped in "product by slug") when the brand has
	// no such product.
	ProductAndCustomer(ctx context.Context, brandID, productSlug string, c Customer) (Product, Customer, error)
	CreateLicenseKey(ctx context.Context, k LicenseKey) error
	// CreateLicenseWithEvent is CreateLicenseKey(*key) when key is not nil,
	// CreateLicense(l) and AppendAuditEvent(e), in one round trip where the
	// database batches (and one more when an endpoint of the brand wants
	// the event): provisioning's writes, with the same errors as those.
	CreateLicenseWithEvent(ctx context.Context, key *LicenseKey, l License, e AuditEvent) error

	// CreateLicense inserts l with version l.Version (1 when zero); the
	// joined read-only fields are ignored. ErrAlreadyExists when the key
	// already has a license of that product.
	CreateLicense(ctx context.Context, l License) error
	// LockLicense reads a license and holds its row lock until the
	// transaction ends: every writer of one license goes through it. It
	// reads after taking the lock, so SeatsUsed counts every seat committed
	// by the writers it waited for.
	LockLicense(ctx context.Context, brandID, id string) (License, error)
	// UpdateLicense writes status, seats, expires_at, entitlements, metadata
	// and updated_at, and bumps the version, if the stored license (of
	// l.BrandID) still is at l.Version; else ErrConflict. It returns the new
	// version.
	UpdateLicense(ctx context.Context, l License) (int64, error)

	// CreateActivation: ErrAlreadyExists when the instance holds a live seat.
	CreateActivation(ctx context.Context, a Activation) error
	// TouchActivation sets instance_name and last_seen_at of a live activation.
	TouchActivation(ctx context.Context, id, instanceName string, at time.Time) error
	// Deactivate ends a live activation; ErrNotFound when it is not live.
	Deactivate(ctx context.Context, id string, at time.Time) error
	// ExpireActivations ends, at at, every live activation of a license of
	// the brand that was last seen before seenBefore, and returns what it
	// ended (DeactivatedAt set). It changes each row only if it still is
	// live and unseen when written, so that of two transactions racing on
	// one activation exactly one ends it and reports it.
	ExpireActivations(ctx context.Context, brandID, licenseID string, seenBefore, at time.Time) ([]Activation, error)

	// AppendAuditEvent adds an event; events are never changed or deleted.
	// In the same transaction it queues one pending delivery of the event
	// to each endpoint of its brand (BrandID, or AboutBrandID) that wants
	// its action: the transactional outbox of webhooks, so that an event
	// is sent if and only if its change commits.
	AppendAuditEvent(ctx context.Context, e AuditEvent) error

	// CreateWebhookEndpoint adds an endpoint.
	CreateWebhookEndpoint(ctx context.Context, e WebhookEndpoint) error
	// DeleteWebhookEndpoint removes an endpoint of the brand and its
	// deliveries, pending ones included; ErrNotFound when there is none.
	DeleteWebhookEndpoint(ctx context.Context, brandID, id string) error
	// RedeliverWebhook queues a new pending delivery, with id newID and
	// due at at, of the event of the brand's delivery id to the same
	// endpoint, and returns it; ErrNotFound when there is no such delivery.
	RedeliverWebhook(ctx context.Context, brandID, id, newID string, at time.Time) (WebhookDelivery, error)
	// ClaimWebhookDeliveries takes up to limit pending deliveries due at
	// now, oldest due first: it counts their attempt and makes them due
	// again at leaseUntil, so that another dispatcher takes one over only
	// if this one never reports back. Rows another transaction is
	// claiming are skipped, not waited for (FOR UPDATE SKIP LOCKED on
	// PostgreSQL; SQLite has one writer).
	ClaimWebhookDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]WebhookJob, error)
	// CompleteWebhookDelivery records the outcome of a claimed attempt;
	// ErrConflict when the delivery is no longer at r.Attempt or no longer
	// pending (its lease ran out and another dispatcher took it over, or
	// its endpoint is gone: ErrNotFound then).
	CompleteWebhookDelivery(ctx context.Context, r WebhookResult) error

	// ClaimIdempotency inserts a pending record and reports true, or reports
	// false when the key is already taken. On PostgreSQL a concurrent claim
	// of the same key waits until the first transaction ends.
	ClaimIdempotency(ctx context.Context, r Idempotency) (bool, error)
	// CompleteIdempotency stores the response of a claimed key.
	CompleteIdempotency(ctx context.Context, brandID, key string, status int, body []byte) error
	// DeleteIdempotencyBefore drops records created before t.
	DeleteIdempotencyBefore(ctx context.Context, t time.Time) (int64, error)

	// CreateSigningKey: ErrAlreadyExists when one key is already in the
	// state of k and that state admits only one key (next, active).
	CreateSigningKey(ctx context.Context, k SigningKey) error
	// SetSigningKeyState moves kid from state from to state to, stamping
	// activated_at, retired_at or revoked_at with at; ErrConflict when kid
	// is not in state from (someone else moved it first).
	SetSigningKeyState(ctx context.Context, kid string, from, to KeyState, at time.Time) error

	// ReSeal replaces a sealed value with ciphertext (and, for a license
	// key, its lookup hash with hash) if it still is v.Ciphertext; else
	// ErrConflict, or ErrNotFound when the row is gone.
	ReSeal(ctx context.Context, v SealedValue, ciphertext, hash []byte) error
}

// Brand is a vendor with its products, e.g. Rank Math.
type Brand struct {
	ID        string
	Slug      string
	Name      string
	CreatedAt time.Time
}

// Product is something a brand licenses.
type Product struct {
	ID           string
	BrandID      string
	Slug         string
	Name         string
	DefaultSeats int
	TokenTTL     time.Duration // stored in whole seconds
	Policy       Policy
	CreatedAt    time.Time
}

// Policy is what a product decides for every license of it beyond seats
// and token lifetime.
type Policy struct {
	// FreeInstances are host patterns whose activations take no seat;
	// never nil when read.
	FreeInstances []string
	// MaxFreeActivations caps a license's live free activations.
	MaxFreeActivations int
	// GraceDays after a license's expiry it stays usable.
	GraceDays int
	// ActivationTTL releases an activation not seen for that long; 0:
	// never. Stored in whole seconds.
	ActivationTTL time.Duration
}

// BrandFilter selects one page of brands.
type BrandFilter struct {
	AfterID string // cursor: ids greater than this
	Limit   int    // 0: no limit
}

// APIKeyFilter selects one page of API keys: of BrandID, or of the
// platform (Platform), or of everyone (All). A filter saying none of these
// is refused, so that a forgotten brand id never lists every key.
type APIKeyFilter struct {
	BrandID  string
	Platform bool
	All      bool
	AfterID  string // cursor: ids greater than this
	Limit    int    // 0: no limit
}

// ProductFilter selects one page of a brand's products.
type ProductFilter struct {
	BrandID string // required
	AfterID string // cursor: ids greater than this
	Limit   int    // 0: no limit
}

// APIKey authenticates a brand server (BrandID set) or the platform (nil).
type APIKey struct {
	ID         string
	BrandID    *string
	Name       string
	Prefix     string
	SecretHash []byte
	Scopes     []string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Customer is an end user, known by email (trimmed, lower-cased).
type Customer struct {
	ID    string
	Email string
}

// LicenseKey is the secret a customer types into a product. Only its HMAC
// (lookup) and ciphertext (read-back for the owning brand) are stored.
type LicenseKey struct {
	ID         string
	BrandID    string
	CustomerID string
	Hash       []byte
	Ciphertext []byte
	Hint       string
	CreatedAt  time.Time
}

// Status is a stored license status. "expired" is never stored: it is an
// active license past its expiry, computed when read.
type Status string

const (
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended"
	StatusCancelled Status = "cancelled"
	StatusExpired   Status = "expired"
)

// License grants a customer seats of one product.
type License struct {
	ID           string
	LicenseKeyID string
	BrandID      string
	ProductID    string
	Status       Status
	Seats        int
	ExpiresAt    *time.Time // nil: perpetual
	Entitlements []string
	Metadata     json.RawMessage
	Version      int64
	CreatedAt    time.Time
	UpdatedAt    time.Time

	// Joined on read; ignored on write.
	BrandSlug     string
	ProductSlug   string
	TokenTTL      time.Duration
	Policy        Policy // the product's
	CustomerEmail string
	KeyCiphertext []byte
	KeyHint       string
	// SeatsUsed counts the live activations that hold a seat; FreeUsed the
	// live free ones, which hold none.
	SeatsUsed int
	FreeUsed  int
}

// LicenseRef names a license and what scopes and caches it.
type LicenseRef struct {
	ID           string
	BrandID      string
	LicenseKeyID string
}

// LicenseListFilter selects one page of a brand's licenses, newest first.
type LicenseListFilter struct {
	BrandID   string // required
	ProductID string // "" for every product
	// Status is an effective status ("" for any): StatusActive and
	// StatusExpired tell active licenses apart by their expiry at Now.
	Status Status
	Now    time.Time
	// ExpiresBefore, when set, keeps licenses that expire before it
	// (never a perpetual one).
	ExpiresBefore *time.Time
	BeforeID      string // cursor: ids less than this
	Limit         int    // 0: no limit
}

// LicenseFilter selects licenses of one customer email, of one brand or,
// only when AllBrands says so, of every brand: a filter with neither is
// refused.
type LicenseFilter struct {
	Email     string
	BrandID   string
	AllBrands bool
	AfterID   string // cursor: ids greater than this
	Limit     int    // 0: no limit
}

// Activation is one seat held by one instance (site or machine).
type Activation struct {
	ID            string
	LicenseID     string
	Instance      string
	InstanceName  string
	CreatedAt     time.Time
	LastSeenAt    time.Time
	DeactivatedAt *time.Time
	// Free activations (a staging or local site) hold no seat.
	Free bool
}

// Actor types of audit events.
const (
	ActorAPIKey     = "api_key"
	ActorLicenseKey = "license_key"
	ActorAdmin      = "admin"
	ActorSystem     = "system"
)

// AuditEvent records one change; append-only.
type AuditEvent struct {
	ID        string
	At        time.Time
	ActorType string
	ActorID   string
	BrandID   string
	LicenseID string // "" when the event concerns no license
	Action    string
	RequestID string
	IP        string
	Data      json.RawMessage
	// AboutBrandID, for an event that belongs to no brand (an operator's
	// change to a brand's product or API key), is the brand it concerns:
	// that brand's webhooks hear of it. It is not stored.
	AboutBrandID string
}

// AuditFilter narrows a brand's events.
type AuditFilter struct {
	LicenseID string // "" for all
	BeforeID  string // cursor: ids less than this
	Limit     int    // 0: no limit
}

// Idempotency remembers the response to a provisioning request.
type Idempotency struct {
	BrandID     string
	Key         string
	RequestHash []byte
	Status      int // 0 while the first request is still running
	Body        []byte
	CreatedAt   time.Time
}

// KeyState is where a signing key is in its rotation.
type KeyState string

const (
	// KeyNext is published in JWKS but signs nothing yet.
	KeyNext KeyState = "next"
	// KeyActive signs every new token; there is exactly one.
	KeyActive KeyState = "active"
	// KeyRetired signs nothing; it stays published until the tokens it
	// signed have expired.
	KeyRetired KeyState = "retired"
	// KeyRevoked signs nothing and is never published again: an operator
	// withdrew it (it leaked), and tokens it signed stop verifying.
	KeyRevoked KeyState = "revoked"
)

// SigningKey is an Ed25519 key pair; the private half is encrypted.
type SigningKey struct {
	KID                  string
	PublicKey            []byte
	PrivateKeyCiphertext []byte
	State                KeyState
	CreatedAt            time.Time
	ActivatedAt          *time.Time
	RetiredAt            *time.Time
	RevokedAt            *time.Time
}

// SealedKind names a column whose values are sealed under the master key.
type SealedKind string

const (
	// SealedSigningKey: signing_keys.private_key_ciphertext, by kid.
	SealedSigningKey SealedKind = "signing_key"
	// SealedLicenseKey: license_keys.key_ciphertext, by id; its key_hash
	// is peppered by the same master key and changes with it.
	SealedLicenseKey SealedKind = "license_key"
	// SealedIdempotency: idempotency_keys.body of completed records, by
	// brand id and key (it holds the license key).
	SealedIdempotency SealedKind = "idempotency"
	// SealedWebhookSecret: webhook_endpoints.secret_ciphertext, by id.
	SealedWebhookSecret SealedKind = "webhook_secret"
)

// SealedKinds lists every sealed column.
func SealedKinds() []SealedKind {
	return []SealedKind{SealedSigningKey, SealedLicenseKey, SealedIdempotency, SealedWebhookSecret}
}

// SealedValue is one sealed value and the row it belongs to.
type SealedValue struct {
	Kind SealedKind
	// BrandID is set for idempotency records only.
	BrandID string
	// ID is the kid, the license key id, or the idempotency key.
	ID         string
	Ciphertext []byte
}

// SealedFilter selects one page of one sealed column, in (BrandID, ID)
// order.
type SealedFilter struct {
	Kind SealedKind
	// AfterBrandID and AfterID: the cursor, the last value of the page
	// before.
	AfterBrandID, AfterID string
	// NotPrefix, when set, skips values whose ciphertext starts with it:
	// those already sealed under the key a rotation moves to.
	NotPrefix []byte
	// Newest pages from the end instead (cursor ignored).
	Newest bool
	Limit  int
}

// KeyRead is the answer of Queries.ReadKey.
type KeyRead struct {
	Key      LicenseKey
	Licenses []License
	// Activations holds at most one live activation per license: the
	// instance's seat, if it holds one.
	Activations []Activation
}
