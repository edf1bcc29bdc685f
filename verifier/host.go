package verifier

import "strings"

// InstanceHost returns the host of the site that instance names, as
// NormalizeInstance reads it: lower-cased, without port, userinfo, path,
// one leading "www." or a trailing "."; an IPv6 literal keeps its
// brackets. ok is false for a machine id (anything NormalizeInstance does
// not read as a site, such as "localhost", "10.0.0.7" or a hardware id
// given bare) and for an invalid instance.
//
// Whether an instance is a site depends on how it is written, which its
// normalized form does not always tell: "http://localhost" is the site
// "localhost" and the bare "localhost" the machine id "localhost", and both
// normalize to "localhost". So this takes the instance as given.
func InstanceHost(instance string) (host string, ok bool) {
	n, err := NormalizeInstance(instance)
	if err != nil || !isSite(strings.TrimSpace(instance)) {
		return "", false
	}
	// A normalized site is host[:port][path]: a host has no ":" or "/"
	// outside the brackets of an IPv6 literal.
	if strings.HasPrefix(n, "[") {
		return n[:strings.IndexByte(n, ']')+1], true
	}
	host, _ = cutAny(n, ":/")
	return host, true
}

// isSite reports whether s (trimmed, and valid for NormalizeInstance) is
// read as a site: an http(s) URL, or shaped like a bare site.
func isSite(s string) bool {
	if _, _, ok := cutHTTPScheme(s); ok {
		return true
	}
	_, ok, err := bareSite(s)
	return ok && err == nil
}
