package verifier

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxInstanceLen is the longest normalized instance, in bytes.
const MaxInstanceLen = 255

// NormalizeInstance implements docs/TOKENS.md "Instance normalization"; the
// server uses it too, so a product and the server agree on what "the same
// instance" means. The rules, in order (doc.go has the rationale and
// testdata/instances.json the shared table of cases):
//
//  1. Unicode white space around s is trimmed. The rest must be 1 or more
//     bytes of valid UTF-8, every rune printable (unicode.IsPrint; so the
//     only space allowed inside is U+0020).
//  2. s starting with http:// or https:// (any case) is a URL site. s
//     starting with http: or https: otherwise (no "//", so no host) is
//     invalid.
//  3. Otherwise s shaped like host[:port][/path] with a domain host (see
//     below) is a bare site, the same as https://s except that its port is
//     kept even when it is 443 (no scheme says which port is the default).
//  4. Anything else is an opaque machine id: s as is, at most 255 bytes.
//
// A site normalizes to host[:port][path]: userinfo, query and fragment are
// dropped; the host is lower-cased (Unicode, never punycode-converted), one
// trailing "." and one leading "www." are dropped; the default port (80 for
// http, 443 for https) is dropped, other ports are kept in decimal; IPv6
// hosts keep their brackets; the path keeps its case and percent-encoding;
// every trailing "/" is dropped. The result is at most 255 bytes.
//
// A host is either an IPv6 literal in brackets (no zone) or dot-separated
// non-empty labels of a-z, 0-9, "-", "_" and non-ASCII letters, marks and
// digits; "%"-escapes in hosts are refused. A bare site's host must in
// addition have at least two labels, the last containing a letter, and s
// must contain none of space, "@", "?", "#", "[". So "example.org" and
// "Example.org:8080/blog/" are sites, while "localhost", "1.2.3.4",
// "my-machine" and "C:\data" are machine ids.
//
// Errors (wrapping ErrInvalidInstance): empty, not printable, a URL with no
// or a bad host, a bad port (not 1-65535), a space in a URL, a host left
// starting with "www." after dropping one (so that normalizing is
// idempotent), a site that would read as a scheme ("http:8080"), and any
// result over 255 bytes. A backslash anywhere in a URL is refused too,
// since URL parsers disagree on what it means.
func NormalizeInstance(s string) (string, error) {
	s = strings.TrimSpace(s)
	if err := printable(s); err != nil {
		return "", err
	}
	if rest, defaultPort, ok := cutHTTPScheme(s); ok {
		return urlSite(rest, defaultPort)
	}
	if hasPrefixFold(s, "http:") || hasPrefixFold(s, "https:") {
		return "", invalidInstance("scheme without host")
	}
	if out, ok, err := bareSite(s); ok {
		return out, err
	}
	if len(s) > MaxInstanceLen {
		return "", invalidInstance("longer than 255 bytes")
	}
	return s, nil
}

func invalidInstance(detail string) error { return newError(detail, ErrInvalidInstance) }

func printable(s string) error {
	if s == "" {
		return invalidInstance("empty")
	}
	if !utf8.ValidString(s) {
		return invalidInstance("not UTF-8")
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return invalidInstance("not printable: " + strconv.QuoteRune(r))
		}
	}
	return nil
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// cutHTTPScheme returns what follows "http://" or "https://" and that
// scheme's default port.
func cutHTTPScheme(s string) (rest, defaultPort string, ok bool) {
	switch {
	case hasPrefixFold(s, "http://"):
		return s[len("http://"):], "80", true
	case hasPrefixFold(s, "https://"):
		return s[len("https://"):], "443", true
	}
	return "", "", false
}

// cutAny splits s before the first byte in chars.
func cutAny(s, chars string) (before, after string) {
	if i := strings.IndexAny(s, chars); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// urlSite normalizes what follows the scheme of an http(s) URL: the
// authority runs to the first "/", "?" or "#", the path from that "/" to
// the first "?" or "#" (RFC 3986 §3).
func urlSite(rest, defaultPort string) (string, error) {
	// A space is no URL character; a backslash is one that URL parsers
	// disagree on (WHATWG reads it as "/", RFC 3986 does not), so that
	// "https://a.example\@b.example" would be a.example to a browser and
	// b.example to us.
	if strings.ContainsAny(rest, ` \`) {
		return "", invalidInstance("space or backslash in URL")
	}
	auth, tail := cutAny(rest, "/?#")
	path := ""
	if strings.HasPrefix(tail, "/") {
		path, _ = cutAny(tail, "?#")
	}
	if i := strings.LastIndexByte(auth, '@'); i >= 0 {
		auth = auth[i+1:] // userinfo
	}
	host, port, err := hostPort(auth)
	if err != nil {
		return "", err
	}
	if port == defaultPort {
		port = ""
	}
	return site(host, port, path)
}

// hostPort splits and normalizes host[:port] of a URL.
func hostPort(auth string) (host, port string, err error) {
	after := ""
	if strings.HasPrefix(auth, "[") {
		end := strings.IndexByte(auth, ']')
		if end < 0 {
			return "", "", invalidInstance("unclosed [")
		}
		host, after = strings.ToLower(auth[:end+1]), auth[end+1:]
		if ip, err := netip.ParseAddr(host[1:end]); err != nil || !ip.Is6() || ip.Zone() != "" {
			return "", "", invalidInstance("bad IPv6 host")
		}
	} else {
		host, after = cutAny(auth, ":")
		if host, err = regName(host); err != nil {
			return "", "", err
		}
		if host, err = dropWWW(host); err != nil {
			return "", "", err
		}
	}
	if after == "" {
		return host, "", nil
	}
	if after[0] != ':' {
		return "", "", invalidInstance("junk after host")
	}
	port, err = canonicalPort(after[1:])
	return host, port, err
}

// regName lower-cases a host name, drops one trailing dot and checks its
// labels.
func regName(h string) (string, error) {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if h == "" {
		return "", invalidInstance("no host")
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" {
			return "", invalidInstance("empty label in host")
		}
		for _, r := range label {
			if !hostRune(r) {
				return "", invalidInstance("host has " + strconv.QuoteRune(r))
			}
		}
	}
	return h, nil
}

func hostRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '_'
	}
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r)
}

// dropWWW drops one leading "www." label. A host still starting with
// "www." is refused: dropping only one would make normalizing twice differ
// from normalizing once, and dropping all would merge hosts docs/TOKENS.md keeps
// apart.
func dropWWW(h string) (string, error) {
	h, ok := strings.CutPrefix(h, "www.")
	if ok && strings.HasPrefix(h, "www.") {
		return "", invalidInstance("host starts with www.www.")
	}
	return h, nil
}

// canonicalPort returns p in decimal without leading zeros; "" stays "".
func canonicalPort(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	if len(p) > 5 || strings.Trim(p, "0123456789") != "" {
		return "", invalidInstance("bad port")
	}
	n, _ := strconv.Atoi(p)
	if n < 1 || n > 65535 {
		return "", invalidInstance("port out of range")
	}
	return strconv.Itoa(n), nil
}

// site assembles a normalized site.
func site(host, port, path string) (string, error) {
	out := host
	if port != "" {
		out += ":" + port
	}
	out += strings.TrimRight(path, "/")
	switch {
	case len(out) > MaxInstanceLen:
		return "", invalidInstance("longer than 255 bytes")
	case strings.HasPrefix(out, "http:") || strings.HasPrefix(out, "https:"):
		// host "http" with a port: its output would read as a scheme
		// without host when normalized again.
		return "", invalidInstance("site reads as a scheme")
	}
	return out, nil
}

// bareSite normalizes s when it is shaped like a bare site
// (host[:port][/path] with a domain host); ok is false when it is not, and
// s is then a machine id.
func bareSite(s string) (out string, ok bool, err error) {
	if strings.ContainsAny(s, " @?#[") {
		return "", false, nil
	}
	auth, path := cutAny(s, "/")
	host, port, hasPort := strings.Cut(auth, ":")
	if hasPort && (port == "" || len(port) > 5 || strings.Trim(port, "0123456789") != "") {
		return "", false, nil
	}
	host, err = regName(host)
	if err != nil || !isDomain(host) {
		return "", false, nil
	}
	if host, err = dropWWW(host); err != nil {
		return "", true, err
	}
	if port, err = canonicalPort(port); err != nil {
		return "", true, err
	}
	out, err = site(host, port, path)
	return out, true, err
}

// isDomain: at least two labels, the last (the TLD) with a letter, so that
// IPv4 addresses and version-like ids ("1.2.3") stay machine ids.
func isDomain(h string) bool {
	i := strings.LastIndexByte(h, '.')
	return i >= 0 && strings.IndexFunc(h[i+1:], unicode.IsLetter) >= 0
}
