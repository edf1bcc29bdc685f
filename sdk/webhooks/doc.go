// Package webhooks verifies the webhooks a licensed server sends a brand:
// the Standard Webhooks scheme (headers webhook-id, webhook-timestamp and
// webhook-signature "v1,<base64 HMAC-SHA256>"), with the endpoint's
// whsec_ secret.
//
// It exists for the brand's receiving side and imports nothing of the
// server: a brand's backend compiles in this package alone.
package webhooks
