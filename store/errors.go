package store

import "errors"

// Errors every backend returns, wrapped with context; test with errors.Is.
var (
	// ErrNotFound: no row matches, or a new row names a parent row (brand,
	// license, ...) that does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists: a uniqueness rule was violated (duplicate slug, a
	// second live activation of one instance, a second active signing key).
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrConflict: a compare-and-swap lost, e.g. a license version or a
	// signing key state changed underneath the caller.
	ErrConflict = errors.New("store: conflict")
	// ErrUnavailable: the database cannot be reached or is too busy to
	// answer; callers answer 503 and retry later.
	ErrUnavailable = errors.New("store: unavailable")
)
