package sqldb

import (
	"context"
	"fmt"
	"time"

	"github.com/licensedhq/licensed/store"
)

const signingKeyCols = "kid, public_key, private_key_ciphertext, state, created_at, activated_at, retired_at, revoked_at"

func signingKeyFields(k *store.SigningKey) []any {
	return []any{&k.KID, &k.PublicKey, &k.PrivateKeyCiphertext, &k.State,
		timeCol{&k.CreatedAt}, nullTimeCol{&k.ActivatedAt}, nullTimeCol{&k.RetiredAt}, nullTimeCol{&k.RevokedAt}}
}

func (r queries) SigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	return list(ctx, r, "signing keys", signingKeyFields, "SELECT "+signingKeyCols+" FROM signing_keys ORDER BY created_at, kid")
}

func (t *tx) CreateSigningKey(ctx context.Context, k store.SigningKey) error {
	return t.insert(ctx, "create signing key", "INSERT INTO signing_keys ("+signingKeyCols+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		k.KID, k.PublicKey, k.PrivateKeyCiphertext, string(k.State), ts(k.CreatedAt), tsOrNull(k.ActivatedAt), tsOrNull(k.RetiredAt),
		tsOrNull(k.RevokedAt))
}

// stampOf is the column a move into a state stamps. A key is only ever
// created as next, never moved back to it.
var stampOf = map[store.KeyState]string{
	store.KeyActive:  "activated_at",
	store.KeyRetired: "retired_at",
	store.KeyRevoked: "revoked_at",
}

func (t *tx) SetSigningKeyState(ctx context.Context, kid string, from, to store.KeyState, at time.Time) error {
	stamp, ok := stampOf[to]
	if !ok {
		return fmt.Errorf("set signing key state: a key cannot move to %q", to)
	}
	return t.change(ctx, "set signing key state", store.ErrConflict,
		"UPDATE signing_keys SET state = $1, "+stamp+" = $2 WHERE kid = $3 AND state = $4",
		string(to), ts(at), kid, string(from))
}
