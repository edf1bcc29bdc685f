package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"syscall"
)

// Policy decides where webhooks may go. Without AllowInsecure, only
// https:// URLs whose addresses are public: never loopback, private
// (RFC 1918, fc00::/7), link-local (cloud metadata lives there), shared
// (100.64.0.0/10), unspecified or multicast, so that a brand cannot make
// the service call into its own network.
type Policy struct {
	// AllowInsecure (LICENSED_WEBHOOK_ALLOW_INSECURE=1) allows http:// and
	// any address: tests and local setups.
	AllowInsecure bool
	// Resolver looks host names up; nil is net.DefaultResolver.
	Resolver *net.Resolver
}

// ErrForbiddenAddress: a webhook URL names or resolves to an address the
// policy refuses.
var ErrForbiddenAddress = errors.New("loopback, private, link-local and other non-public addresses are not allowed")

var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

// Allowed reports whether the policy lets a webhook connect to ip.
func (p Policy) Allowed(ip netip.Addr) bool {
	if p.AllowInsecure {
		return true
	}
	ip = ip.Unmap()
	return ip.IsValid() && !ip.IsLoopback() && !ip.IsPrivate() && !ip.IsLinkLocalUnicast() &&
		!ip.IsLinkLocalMulticast() && !ip.IsInterfaceLocalMulticast() && !ip.IsMulticast() &&
		!ip.IsUnspecified() && !sharedSpace.Contains(ip)
}

// CheckURL checks a webhook URL when an endpoint is created: its scheme,
// and every address its host resolves to now. The dialer checks again at
// each connection (Control), since DNS may answer differently later.
func (p Policy) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return errors.New("must be an absolute URL")
	}
	if u.User != nil {
		return errors.New("must not carry credentials")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && p.AllowInsecure:
	default:
		return errors.New("must be an https:// URL")
	}
	if p.AllowInsecure {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if !p.Allowed(ip) {
			return ErrForbiddenAddress
		}
		return nil
	}
	r := p.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return fmt.Errorf("host %q does not resolve", host)
	}
	for _, ip := range ips {
		if !p.Allowed(ip) {
			return fmt.Errorf("host %q resolves to %s: %w", host, ip.Unmap(), ErrForbiddenAddress)
		}
	}
	return nil
}

// Control is a net.Dialer Control function refusing connections to
// addresses the policy forbids: it runs on the address actually dialled,
// after name resolution, which defeats DNS rebinding.
func (p Policy) Control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook dial %s: %w", address, err)
	}
	if !p.Allowed(ap.Addr()) {
		return fmt.Errorf("webhook dial %s: %w", ap.Addr(), ErrForbiddenAddress)
	}
	return nil
}
