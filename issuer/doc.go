// Package issuer is the licensing service itself: brands provision and
// manage licenses, products activate, validate and deactivate seats, and
// every answer that grants use carries an Ed25519-signed token that the
// product verifies offline with the verifier package.
//
// The service owns the rules of docs/API.md — validation, lifecycle
// transitions, seat limits, idempotency, tenant isolation — and reports
// every refusal as an *Error with a stable code. The tokens it signs are
// described in docs/TOKENS.md. It knows nothing of HTTP; issuer/httpapi
// maps codes to statuses, and the admin CLI calls the same methods.
package issuer
