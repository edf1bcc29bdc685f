// Package console is the web console of brand support staff, served by the
// licensed binary at /console: sign in with an API key, look a customer up
// by email, open a license (status, expiry, seats, activations, audit
// trail), free a seat, renew, suspend, resume and cancel; and, for platform
// keys with the admin scope, the products of a brand and their settings.
//
// It exists so that a person on a support call has a screen, without a
// second service to run: it is server-rendered with html/template from
// templates and one stylesheet embedded in the binary, runs no script, and
// calls the same issuer.Service methods as the HTTP API, so the same
// checks, errors and audit events apply (the actor is the signed-in key).
//
// Sessions are stateless: the API key is sealed (AES-GCM under the master
// key, issuer's seal.Keyring) into an HttpOnly, SameSite=Strict cookie, and
// is authenticated again on every request, so revoking the key ends every
// session of it at once. Every form carries a CSRF token bound to the
// session; every page carries a Content-Security-Policy that allows
// nothing but the console's own stylesheet.
package console
