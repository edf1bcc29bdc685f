// Package docs holds no code: it exists so that `go test ./...` checks the
// repository's Markdown (README.md, docs/*.md and every other tracked .md
// file) and Go comments stay readable from a clone alone: every relative
// link and anchor resolves inside the repository, and nothing points at
// documents outside it or at issue numbers.
package docs
