package keys

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"github.com/licensedhq/licensed/seal"
	"github.com/licensedhq/licensed/store"
)

// Defaults of a Manager.
const (
	// DefaultPublishDelay is how long a rotated-in key is published before
	// it signs: longer than the JWKS max-age (300 s), so that products that
	// cache JWKS know the key before they meet a token signed with it.
	DefaultPublishDelay = 10 * time.Minute
	// DefaultRetireGrace is how long past the last possible token expiry a
	// retired key stays published: the verifiers' clock leeway and more.
	DefaultRetireGrace = 5 * time.Minute
)

// ErrNoActiveKey means the store holds no active signing key yet; Sync
// creates one.
var ErrNoActiveKey = errors.New("keys: no active signing key")

// Manager holds the signing keys: it creates the first one, rotates them as
// compare-and-swap transitions in the store (so replicas doing the same at
// once agree on one outcome), and serves the active private key and the
// JWKS of every key a live token may carry.
type Manager struct {
	store        store.Store
	secrets      *seal.Keyring
	now          func() time.Time
	publishDelay time.Duration
	retireGrace  time.Duration

	mu     sync.RWMutex
	active *activeKey
	jwks   []byte
	etag   string
}

type activeKey struct {
	kid   string
	priv  ed25519.PrivateKey
	since time.Time
}

// Option configures a Manager.
type Option func(*Manager)

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(m *Manager) { m.now = now } }

// WithPublishDelay sets how long a new key is published before it signs.
func WithPublishDelay(d time.Duration) Option { return func(m *Manager) { m.publishDelay = d } }

// WithRetireGrace sets how long a retired key outlives its last token.
func WithRetireGrace(d time.Duration) Option { return func(m *Manager) { m.retireGrace = d } }

// NewManager returns a Manager; call Sync before using it.
func NewManager(st store.Store, sec *seal.Keyring, opts ...Option) *Manager {
	m := &Manager{
		store:        st,
		secrets:      sec,
		now:          time.Now,
		publishDelay: DefaultPublishDelay,
		retireGrace:  DefaultRetireGrace,
	}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Sync brings the keys up to date and reloads them: it creates the first
// active key when there is none, promotes a next key whose publish delay has
// passed (retiring the key it replaces), and rebuilds the JWKS. Replicas
// call it at start and then periodically.
func (m *Manager) Sync(ctx context.Context) error {
	keys, err := m.store.SigningKeys(ctx)
	if err != nil {
		return err
	}
	changed, err := m.advance(ctx, keys)
	if err != nil {
		return err
	}
	if changed {
		if keys, err = m.store.SigningKeys(ctx); err != nil {
			return err
		}
	}
	return m.load(ctx, keys)
}

// advance makes at most one transition; losing a race to another replica is
// fine, the reload shows what won.
func (m *Manager) advance(ctx context.Context, keys []store.SigningKey) (bool, error) {
	active, next := find(keys, store.KeyActive), find(keys, store.KeyNext)
	switch {
	case active == nil && next == nil:
		_, err := m.create(ctx, store.KeyActive)
		return true, ignoreLost(err)
	case next != nil && (active == nil || !m.now().Before(next.CreatedAt.Add(m.publishDelay))):
		return true, ignoreLost(m.promote(ctx, active, next))
	}
	return false, nil
}

func ignoreLost(err error) error {
	if errors.Is(err, store.ErrAlreadyExists) || errors.Is(err, store.ErrConflict) {
		return nil
	}
	return err
}

func (m *Manager) promote(ctx context.Context, active, next *store.SigningKey) error {
	now := m.now()
	return m.store.InTx(ctx, func(tx store.Tx) error {
		data := map[string]any{"kid": next.KID}
		if active != nil {
			if err := tx.SetSigningKeyState(ctx, active.KID, store.KeyActive, store.KeyRetired, now); err != nil {
				return err
			}
			data["retired_kid"] = active.KID
		}
		if err := tx.SetSigningKeyState(ctx, next.KID, store.KeyNext, store.KeyActive, now); err != nil {
			return err
		}
		return audit(ctx, tx, now, ActionKeyActivated, data)
	})
}

// Rotate publishes a new key that starts signing once the publish delay has
// passed (at the next Sync after that). When a rotation is already pending
// it returns the pending key instead of making a second one.
func (m *Manager) Rotate(ctx context.Context) (KeyInfo, error) {
	k, err := m.create(ctx, store.KeyNext)
	if errors.Is(err, store.ErrAlreadyExists) {
		keys, err := m.store.SigningKeys(ctx)
		if err != nil {
			return KeyInfo{}, err
		}
		if next := find(keys, store.KeyNext); next != nil {
			return m.info(*next, 0), nil
		}
		return KeyInfo{}, fmt.Errorf("keys: rotation raced with a promotion, try again: %w", store.ErrConflict)
	}
	if err != nil {
		return KeyInfo{}, err
	}
	return m.info(k, 0), nil
}

func (m *Manager) create(ctx context.Context, state store.KeyState) (store.SigningKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return store.SigningKey{}, err
	}
	kid, err := Thumbprint(pub)
	if err != nil {
		return store.SigningKey{}, err
	}
	now := m.now()
	k := store.SigningKey{
		KID:                  kid,
		PublicKey:            pub,
		PrivateKeyCiphertext: m.secrets.Seal(priv.Seed(), seal.SigningKeyAAD(kid)),
		State:                state,
		CreatedAt:            now,
	}
	if state == store.KeyActive {
		k.ActivatedAt = &now
	}
	return k, m.store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateSigningKey(ctx, k); err != nil {
			return err
		}
		return audit(ctx, tx, now, ActionKeyCreated, map[string]any{"kid": kid, "state": state})
	})
}

// Audit actions of signing keys. They belong to no brand and are made by
// the system (a replica's key sync, or a rotation an operator asked for).
const (
	ActionKeyCreated   = "signing_key.created"
	ActionKeyActivated = "signing_key.activated"
)

// audit records a key change in the transaction that makes it.
func audit(ctx context.Context, tx store.Tx, at time.Time, action string, data map[string]any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	return tx.AppendAuditEvent(ctx, store.AuditEvent{
		ID: uuid.Must(uuid.NewV7()).String(), At: at.UTC(), ActorType: store.ActorSystem, ActorID: "keys",
		Action: action, RequestID: "", IP: "", Data: b,
	})
}

func (m *Manager) load(ctx context.Context, keys []store.SigningKey) error {
	maxTTL, err := m.store.MaxTokenTTL(ctx)
	if err != nil {
		return err
	}
	var act *activeKey
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, k := range keys {
		if !m.published(k, maxTTL) {
			continue
		}
		set.Keys = append(set.Keys, jose.JSONWebKey{
			Key: ed25519.PublicKey(k.PublicKey), KeyID: k.KID, Algorithm: string(jose.EdDSA), Use: "sig",
		})
		if k.State == store.KeyActive {
			if act, err = m.open(k); err != nil {
				return err
			}
		}
	}
	body, err := json.Marshal(set)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.active, m.jwks = act, body
	m.etag = `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
	return nil
}

func (m *Manager) open(k store.SigningKey) (*activeKey, error) {
	seed, err := m.secrets.Open(k.PrivateKeyCiphertext, seal.SigningKeyAAD(k.KID))
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", k.KID, err)
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("signing key %s: bad seed length", k.KID)
	}
	since := k.CreatedAt
	if k.ActivatedAt != nil {
		since = *k.ActivatedAt
	}
	return &activeKey{kid: k.KID, priv: ed25519.NewKeyFromSeed(seed), since: since}, nil
}

// published: next and active keys always; a retired key until every token it
// can have signed has expired; a revoked key never.
func (m *Manager) published(k store.SigningKey, maxTTL time.Duration) bool {
	switch k.State {
	case store.KeyRevoked:
		return false
	case store.KeyNext, store.KeyActive:
		return true
	}
	return k.RetiredAt != nil && m.now().Before(k.RetiredAt.Add(maxTTL+m.retireGrace))
}

// Signer returns the key that signs new tokens.
func (m *Manager) Signer() (kid string, key ed25519.PrivateKey, err error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.active == nil {
		return "", nil, ErrNoActiveKey
	}
	return m.active.kid, m.active.priv, nil
}

// ActiveSince is when the signing key started signing; zero before Sync.
func (m *Manager) ActiveSince() time.Time {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.active == nil {
		return time.Time{}
	}
	return m.active.since
}

// JWKS returns the published key set document and its ETag.
func (m *Manager) JWKS() (body []byte, etag string) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.jwks, m.etag
}

// KeyInfo describes a signing key without its private half.
type KeyInfo struct {
	KID         string         `json:"kid"`
	State       store.KeyState `json:"state"`
	Published   bool           `json:"published"`
	CreatedAt   time.Time      `json:"created_at"`
	ActivatedAt *time.Time     `json:"activated_at"`
	RetiredAt   *time.Time     `json:"retired_at"`
	RevokedAt   *time.Time     `json:"revoked_at"`
}

// List describes every signing key, oldest first.
func (m *Manager) List(ctx context.Context) ([]KeyInfo, error) {
	keys, err := m.store.SigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	maxTTL, err := m.store.MaxTokenTTL(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]KeyInfo, 0, len(keys))
	for _, k := range keys {
		out = append(out, m.info(k, maxTTL))
	}
	return out, nil
}

// info describes k with times as the API writes them: UTC, whole seconds.
func (m *Manager) info(k store.SigningKey, maxTTL time.Duration) KeyInfo {
	return KeyInfo{
		KID: k.KID, State: k.State, Published: m.published(k, maxTTL),
		CreatedAt: seconds(k.CreatedAt), ActivatedAt: secondsPtr(k.ActivatedAt), RetiredAt: secondsPtr(k.RetiredAt),
		RevokedAt: secondsPtr(k.RevokedAt),
	}
}

func seconds(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

func secondsPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := seconds(*t)
	return &u
}

func find(keys []store.SigningKey, s store.KeyState) *store.SigningKey {
	for i := range keys {
		if keys[i].State == s {
			return &keys[i]
		}
	}
	return nil
}

// Thumbprint is the RFC 7638 SHA-256 thumbprint of an Ed25519 public key,
// base64url: the kid of tokens and JWKS entries.
func Thumbprint(pub ed25519.PublicKey) (string, error) {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}
