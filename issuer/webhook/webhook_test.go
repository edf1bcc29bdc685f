package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The server signs every accepted case of the vectors the Go and PHP
// receivers check (sdk/webhooks/testdata/vectors.json) exactly as they
// expect: one of the header's signatures is Sign's.
func TestSignMatchesSharedVectors(t *testing.T) {
	b, err := os.ReadFile("../../sdk/webhooks/testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []struct {
			Name, Secret, Body, Expect string
			Headers                    map[string]string
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range doc.Cases {
		if c.Expect != "ok" {
			continue
		}
		ts, err := strconv.ParseInt(c.Headers["webhook-timestamp"], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := Sign(c.Secret, c.Headers["webhook-id"], ts, []byte(c.Body))
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if !strings.Contains(" "+c.Headers["webhook-signature"]+" ", " "+sig+" ") {
			t.Errorf("%s: Sign gives %s, the vector has %s", c.Name, sig, c.Headers["webhook-signature"])
		}
		n++
	}
	if n < 5 {
		t.Fatalf("only %d accepted vectors", n)
	}
	if _, err := Sign("whsec_***", "id", 1, nil); err == nil {
		t.Fatal("a secret that is not base64 signed")
	}
	if s := NewSecret(); !strings.HasPrefix(s, SecretPrefix) || len(s) != len(SecretPrefix)+44 {
		t.Fatalf("NewSecret: %q", s)
	}
}

func TestPolicyAllowed(t *testing.T) {
	strict, open := Policy{}, Policy{AllowInsecure: true}
	for addr, want := range map[string]bool{
		"93.184.215.14": true, "2606:4700::1111": true, "203.0.113.10": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "fe80::1": false, "fc00::1": false, "0.0.0.0": false, "::": false,
		"100.64.0.1": false, "224.0.0.1": false, "::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false,
	} {
		ip := netip.MustParseAddr(addr)
		if got := strict.Allowed(ip); got != want {
			t.Errorf("Allowed(%s) = %v, want %v", addr, got, want)
		}
		if !open.Allowed(ip) {
			t.Errorf("AllowInsecure refuses %s", addr)
		}
	}
}

func TestPolicyCheckURL(t *testing.T) {
	ctx := context.Background()
	// A resolver that answers every name with loopback: what a rebinding
	// attacker's DNS would do.
	loopDNS := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return nil, errors.New("no DNS in this test")
	}}
	strict := Policy{Resolver: loopDNS}
	for raw, ok := range map[string]bool{
		"https://93.184.215.14/hook":        true,
		"https://[2606:4700::1111]:8443/h":  true,
		"http://93.184.215.14/hook":         false, // not https
		"https://127.0.0.1/hook":            false,
		"https://[::1]/hook":                false,
		"https://169.254.169.254/latest":    false,
		"https://10.0.0.8/hook":             false,
		"https://user:pw@93.184.215.14/x":   false,
		"ftp://93.184.215.14/x":             false,
		"/relative":                         false,
		"https://unresolvable.invalid/hook": false,
	} {
		err := strict.CheckURL(ctx, raw)
		if (err == nil) != ok {
			t.Errorf("CheckURL(%s) = %v, want ok %v", raw, err, ok)
		}
	}
	open := Policy{AllowInsecure: true}
	for _, raw := range []string{"http://127.0.0.1:8080/hook", "https://localhost/x"} {
		if err := open.CheckURL(ctx, raw); err != nil {
			t.Errorf("AllowInsecure: CheckURL(%s) = %v", raw, err)
		}
	}
	if err := open.CheckURL(ctx, "ftp://x/"); err == nil {
		t.Error("AllowInsecure allows ftp://")
	}
}

// Control sees the address actually dialled, after resolution: the dial
// to loopback fails whatever name led there.
func TestPolicyControlRefusesAtDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d := net.Dialer{Control: Policy{}.Control}
	_, err = d.Dial("tcp", "localhost:"+strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("dial to loopback through a name: %v, want ErrForbiddenAddress", err)
	}
	d.Control = Policy{AllowInsecure: true}.Control
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("AllowInsecure: %v", err)
	}
	c.Close()
}
