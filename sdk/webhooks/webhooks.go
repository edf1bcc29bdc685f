package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far a webhook's timestamp may be from the
// receiver's clock: a captured request replayed later than that is
// refused.
const DefaultTolerance = 5 * time.Minute

// The errors of Verify; each is a class of its own (errors.Is).
var (
	// ErrMissingHeaders: webhook-id, webhook-timestamp or
	// webhook-signature is absent or empty.
	ErrMissingHeaders = errors.New("webhooks: missing webhook-id, webhook-timestamp or webhook-signature header")
	// ErrTimestamp: the timestamp is not a number of seconds, or is
	// further from now than the tolerance.
	ErrTimestamp = errors.New("webhooks: timestamp outside the tolerance")
	// ErrSignature: no v1 signature in the header matches.
	ErrSignature = errors.New("webhooks: no matching signature")
	// ErrSecret: the secret is not whsec_ followed by base64.
	ErrSecret = errors.New("webhooks: the secret is not whsec_ followed by base64")
)

// Verify checks a webhook request: that one of the v1 signatures of its
// webhook-signature header (several, space-separated, during a secret
// change) is the HMAC-SHA256 of webhook-id "." webhook-timestamp "." body
// under the secret, compared in constant time, and that the timestamp is
// within tolerance of now (DefaultTolerance when tolerance <= 0). Pass the
// raw body, exactly as received: parse it only after Verify.
func Verify(secret string, headers http.Header, body []byte, tolerance time.Duration) error {
	return VerifyAt(secret, headers, body, tolerance, time.Now())
}

// VerifyAt is Verify with the receiver's clock given.
func VerifyAt(secret string, headers http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	key, err := secretKey(secret)
	if err != nil {
		return err
	}
	id, ts, sigs := headers.Get("webhook-id"), headers.Get("webhook-timestamp"), headers.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return ErrMissingHeaders
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrTimestamp
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		version, sig, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue // another scheme's signature: not ours to check
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrSignature
}

func secretKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) == 0 {
		return nil, ErrSecret
	}
	return key, nil
}

// Event is the body of a webhook.
type Event struct {
	// ID is the event's id, also the webhook-id header: a receiver that
	// records it handles a redelivered event once (delivery is at least
	// once).
	ID string `json:"id"`
	// Type is the audit action, e.g. license.provisioned.
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	// Data is the audit event: id, at, actor, action, license_id,
	// request_id, ip and data (what changed).
	Data json.RawMessage `json:"data"`
}

// Parse verifies a webhook request (see Verify) and decodes its body.
func Parse(secret string, headers http.Header, body []byte, tolerance time.Duration) (Event, error) {
	if err := Verify(secret, headers, body, tolerance); err != nil {
		return Event{}, err
	}
	var e Event
	err := json.Unmarshal(body, &e)
	return e, err
}
