// Command licensed-load measures a running licensed server the way the
// performance goals are stated: closed-loop load (a fixed number of
// connections, each sending its next request when the last one answered)
// on validate, activate, provision and search, beside a bare net/http
// handler returning about 200 bytes of JSON, driven by the same client in
// the same process and run, as the ceiling. The machine's speed and load
// change from run to run; the ratio to the ceiling measured in between is
// the result.
//
// It seeds what it needs through the API, with a platform admin key
// (`licensed api-keys create --platform --scopes admin`): a brand, a
// product, brand API keys, licenses and activations. Repetitions are
// interleaved (each repetition runs the ceiling and every operation once)
// and the report gives medians. docs/load/run.sh starts `licensed serve`
// on each store and runs this against it.
package main
