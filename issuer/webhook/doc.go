// Package webhook sends a brand's events to its endpoints: the dispatcher
// that drains the outbox AppendAuditEvent fills (store.WebhookDelivery),
// the Standard Webhooks signature it sends them under, and the address
// policy that keeps it from being pointed at the service's own network.
//
// It exists apart from issuer so that delivery, with its own worker pool,
// HTTP client and clock, stays separate from request handling: a slow or
// dead receiver holds a dispatcher worker, never a request.
package webhook
