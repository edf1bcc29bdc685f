// Command licensed-load measures a running licensed server the way the
// performance goals are stated: closed-loop load (a fixed number of
// connections, each sending its next request when the last one answered)
// on validate, activate, provision and search, beside a bare net/http
// handler returning about 200 bytes of JSON, driven by the same client in
// the same process and run, as the ceiling. The machine's speed and load
// change from run to run; the ratio to the ceiling measured in between is
// the result.
//
// Each operation is measured in slices (half a second by default)
// alternating with slices of the ceiling, so that both see the same load
// from whatever else the machine runs; the ratio of their rates is taken
// per repetition, and the report gives medians over repetitions.
//
// It seeds what it needs through the API, with a platform admin key
// (`licensed api-keys create --platform --scopes admin`): a brand, a
// product, brand API keys, licenses and activations. docs/load/run.sh starts `licensed serve`
// on each store and runs this against it.
package main
