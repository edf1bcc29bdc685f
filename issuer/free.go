package issuer

import (
	"net/netip"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/licensedhq/licensed/verifier"
)

// Free instances: host patterns whose activations take no seat (staging,
// local and test sites). A pattern is a host, optionally with one label
// wildcard at one end:
//
//	localhost, 127.0.0.1, [::1]   the host itself (an IP compares as an address)
//	*.local                       one or more labels, then .local: "a.local", "a.b.local", never "local"
//	staging.*                     staging., then one or more labels: "staging.example.com", never "staging"
//
// It is matched against the host of the instance (verifier.InstanceHost):
// never its port, path or scheme, and never a machine id. Hosts and
// patterns are compared in one canonical form: lower-cased, without a
// trailing dot, and with internationalized labels in their ASCII (IDNA)
// form, so that "bücher.test", "BÜCHER.test" and "xn--bcher-kva.test" are
// one host; IP literals compare as addresses, so "[::ffff:127.0.0.1]"
// matches "127.0.0.1" and "[0:0:0:0:0:0:0:1]" matches "[::1]".

// DefaultFreeInstances is a product's free_instances unless set.
func DefaultFreeInstances() []string {
	return []string{"localhost", "127.0.0.1", "*.local", "*.localhost", "*.test", "*.example", "*.invalid", "staging.*", "dev.*"}
}

// Limits of free instance patterns.
const (
	maxFreeInstances  = 100
	maxPatternLen     = 253
	DefaultMaxFree    = 3
	maxFreeActivation = 1000
)

// hostProfile maps a host's labels to their ASCII form the way a resolver
// would (UTS #46 lookup mapping: case folding, NFC, punycode), but allows
// the "_" that instance hosts may hold. It holds no state.
var hostProfile = idna.New(idna.MapForLookup(), idna.Transitional(false), idna.StrictDomainName(false))

// canonicalHost is h compared: an IP literal as its address, a name in its
// ASCII form (or lower-cased as is when IDNA refuses it).
func canonicalHost(h string) string {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if ip, ok := hostIP(h); ok {
		return ip.Unmap().String()
	}
	if a, err := hostProfile.ToASCII(h); err == nil && a != "" {
		return a
	}
	return h
}

// hostIP reads an IPv4 literal or a bracketed IPv6 literal.
func hostIP(h string) (netip.Addr, bool) {
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		ip, err := netip.ParseAddr(h[1 : len(h)-1])
		return ip, err == nil && ip.Is6() && ip.Zone() == ""
	}
	ip, err := netip.ParseAddr(h)
	return ip, err == nil && ip.Is4()
}

// pattern is a parsed free instance pattern.
type pattern struct {
	host      string // canonical
	prefix    bool   // "*.host": one or more labels before host
	suffix    bool   // "host.*": one or more labels after host
	asWritten string
}

// parsePattern reads one pattern; its normalized text is asWritten.
func parsePattern(s string) (pattern, bool) {
	p := pattern{}
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > maxPatternLen || !utf8.ValidString(s) {
		return p, false
	}
	host := s
	switch {
	case strings.HasPrefix(s, "*."):
		p.prefix, host = true, s[2:]
	case strings.HasSuffix(s, ".*"):
		p.suffix, host = true, s[:len(s)-2]
	}
	if !p.suffix {
		host = strings.TrimSuffix(host, ".")
	}
	if ip, ok := hostIP(host); ok {
		if p.prefix || p.suffix {
			return p, false // a wildcard beside an address means nothing
		}
		if ip.Is6() {
			host = "[" + ip.String() + "]"
		}
		p.host, p.asWritten = canonicalHost(host), host
		return p, true
	}
	if bare, err := netip.ParseAddr(host); err == nil && bare.Is6() && !p.prefix && !p.suffix {
		host = "[" + bare.String() + "]" // ::1 written without brackets
		p.host, p.asWritten = canonicalHost(host), host
		return p, true
	}
	for label := range strings.SplitSeq(host, ".") {
		if label == "" || strings.IndexFunc(label, notHostRune) >= 0 {
			return p, false
		}
	}
	p.host = canonicalHost(host)
	switch {
	case p.prefix:
		p.asWritten = "*." + host
	case p.suffix:
		p.asWritten = host + ".*"
	default:
		p.asWritten = host
	}
	return p, true
}

// notHostRune: what a host label may not hold (verifier's rules: a-z, 0-9,
// "-", "_", and non-ASCII letters, marks and digits).
func notHostRune(r rune) bool {
	if r < utf8.RuneSelf {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '_')
	}
	return !(unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r))
}

func (p pattern) matches(host string) bool {
	switch {
	case p.prefix:
		return strings.HasSuffix(host, "."+p.host)
	case p.suffix:
		return strings.HasPrefix(host, p.host+".") && len(host) > len(p.host)+1
	}
	return host == p.host
}

// checkFreeInstances validates a list of patterns and returns them
// normalized (lower-cased, trailing dot dropped, IPv6 in brackets in its
// canonical form), without duplicates; [] when the list is empty.
func checkFreeInstances(f *fieldErrors, field string, list []string) []string {
	out := []string{}
	if len(list) > maxFreeInstances {
		f.add(field, "must hold at most %d patterns", maxFreeInstances)
		return out
	}
	for i, s := range list {
		p, ok := parsePattern(s)
		if !ok {
			f.add(field, "entry %d (%q) must be a host, optionally with one leading \"*.\" or trailing \".*\" wildcard label, such as *.test or staging.*", i, s)
			return out
		}
		if !slices.Contains(out, p.asWritten) {
			out = append(out, p.asWritten)
		}
	}
	return out
}

// freeInstance reports whether an activation of instance (as the request
// gave it) matches one of the product's patterns. Machine ids never do.
func freeInstance(patterns []string, instance string) bool {
	if len(patterns) == 0 {
		return false
	}
	host, ok := verifier.InstanceHost(instance)
	if !ok {
		return false
	}
	host = canonicalHost(host)
	for _, s := range patterns {
		if p, ok := parsePattern(s); ok && p.matches(host) {
			return true
		}
	}
	return false
}
