// Package httpapi is the HTTP face of the licensing service: the v1 routes
// of docs/API.md on httprouter, API-key authentication, strict JSON decoding,
// problem+json errors, rate limits and their headers, request ids and one
// log line per request. Handlers decode, let the issuer decide, and render;
// the rules live in package issuer.
package httpapi
