package verifier

import (
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func TestParseJWKS(t *testing.T) {
	ks := mustKeys(t)
	want := []string{kidA, kidB}
	slices.Sort(want)
	if ks.Len() != 2 || !slices.Equal(ks.KIDs(), want) || !ks.Has(kidA) || ks.Has(kidC) {
		t.Fatalf("Len %d KIDs %v", ks.Len(), ks.KIDs())
	}
	var nilSet *KeySet
	if nilSet.Len() != 0 || nilSet.KIDs() != nil || nilSet.Has(kidA) {
		t.Fatal("nil KeySet")
	}
	// Unknown members, of the set and of keys, are ignored.
	doc := `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + enc.EncodeToString(pubOf(keyA)) + `","kid":"a","key_ops":["verify"],"x5c":["x"]}],"next":null}`
	if _, err := ParseJWKS([]byte(doc)); err != nil {
		t.Fatal(err)
	}
}

// TestThumbprint: the kids of the tests are RFC 7638 thumbprints, as
// go-jose (which the server uses) computes them.
func TestThumbprint(t *testing.T) {
	tp, err := (&jose.JSONWebKey{Key: pubOf(keyA)}).Thumbprint(crypto.SHA256)
	if err != nil || enc.EncodeToString(tp) != kidA {
		t.Fatalf("go-jose thumbprint %x, %v; ours %s", tp, err, kidA)
	}
}

func TestNewKeySet(t *testing.T) {
	pub := slices.Clone(pubOf(keyA))
	ks, err := NewKeySet(map[string]ed25519.PublicKey{"a": pub})
	if err != nil {
		t.Fatal(err)
	}
	pub[0] ^= 1 // the set holds its own copy
	if !ks.keys["a"].Equal(pubOf(keyA)) {
		t.Fatal("key set shares the caller's slice")
	}
	for name, keys := range map[string]map[string]ed25519.PublicKey{
		"empty":    {},
		"no kid":   {"": pubOf(keyA)},
		"short":    {"a": pubOf(keyA)[:31]},
		"identity": {"a": append([]byte{1}, make([]byte, 31)...)},
	} {
		if _, err := NewKeySet(keys); !errors.Is(err, ErrInvalidKeySet) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestIdentityKeyForgery shows why weak keys are refused: under the
// identity key, plain ed25519.Verify accepts R = identity, S = 0 on any
// message. ParseJWKS and NewKeySet refuse that key; and were the check
// bypassed, Verify would accept the forgery, so the check is what stops it.
func TestIdentityKeyForgery(t *testing.T) {
	identity := append([]byte{1}, make([]byte, 31)...)
	if enc.EncodeToString(identity) != "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" {
		t.Fatal("identity encoding")
	}
	forged := withSignature(rawHeader(headerFor("weak")), append([]byte{1}, make([]byte, 63)...))
	h, p, _ := parts(forged)
	if !ed25519.Verify(identity, []byte(h+"."+p), signatureOf(forged)) {
		t.Fatal("ed25519.Verify refuses the forgery: the test proves nothing")
	}
	doc := `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","kid":"weak"}]}`
	if _, err := ParseJWKS([]byte(doc)); !errors.Is(err, ErrInvalidKeySet) {
		t.Fatalf("ParseJWKS: %v", err)
	}
	bypassed := &KeySet{keys: map[string]ed25519.PublicKey{"weak": identity}, kids: []string{"weak"}}
	v := New(bypassed, WithIssuer(testIssuer), WithProduct(testProduct), WithInstance(testInstance), WithClock(fixedClock(testNow)))
	if _, err := v.Verify(forged); err != nil {
		t.Fatalf("negative control: with the key check bypassed Verify should accept the forgery, got %v", err)
	}
}

// Edwards25519 in math/big, for the tests only: -x² + y² = 1 + d·x²·y².
var (
	fieldP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	curveD = mulMod(big.NewInt(-121665), new(big.Int).ModInverse(big.NewInt(121666), fieldP))
)

type point struct{ x, y *big.Int }

func mulMod(a ...*big.Int) *big.Int {
	r := big.NewInt(1)
	for _, v := range a {
		r.Mul(r, v).Mod(r, fieldP)
	}
	return r
}

func addMod(a, b *big.Int) *big.Int { return new(big.Int).Mod(new(big.Int).Add(a, b), fieldP) }
func subMod(a, b *big.Int) *big.Int { return new(big.Int).Mod(new(big.Int).Sub(a, b), fieldP) }
func inv(a *big.Int) *big.Int       { return new(big.Int).ModInverse(a, fieldP) }

func (p point) add(q point) point {
	t := mulMod(curveD, p.x, q.x, p.y, q.y)
	x := mulMod(addMod(mulMod(p.x, q.y), mulMod(p.y, q.x)), inv(addMod(big.NewInt(1), t)))
	y := mulMod(addMod(mulMod(p.y, q.y), mulMod(p.x, q.x)), inv(subMod(big.NewInt(1), t)))
	return point{x, y}
}

func (p point) isIdentity() bool { return p.x.Sign() == 0 && p.y.Cmp(big.NewInt(1)) == 0 }

func (p point) onCurve() bool {
	lhs := subMod(mulMod(p.y, p.y), mulMod(p.x, p.x))
	return lhs.Cmp(addMod(big.NewInt(1), mulMod(curveD, p.x, p.x, p.y, p.y))) == 0
}

// encodings returns every 32-byte string a lax decoder reads as p: y and,
// when it fits in 255 bits, y + p; with the sign bit of x, and with both
// sign bits when x = 0 ("negative zero").
func (p point) encodings() [][]byte {
	var out [][]byte
	for _, y := range []*big.Int{p.y, new(big.Int).Add(p.y, fieldP)} {
		if y.BitLen() > 255 {
			continue
		}
		for sign := range 2 {
			if p.x.Sign() != 0 && uint(sign) != p.x.Bit(0) {
				continue
			}
			e := reverse(y.FillBytes(make([]byte, 32)))
			e[31] |= byte(sign) << 7
			out = append(out, e)
		}
	}
	return out
}

func (p point) canonical() []byte {
	e := reverse(p.y.FillBytes(make([]byte, 32)))
	e[31] |= byte(p.x.Bit(0)) << 7
	return e
}

// torsion derives the eight points of order dividing 8 without any list:
// a point T of order 8 doubles to one of order 4, (±√-1, 0); by the
// doubling formula y(2T) = (x²+y²)/(2-y²+x²) = 0 means x² = -y², which on
// the curve gives d·y⁴ + 2y² - 1 = 0. T generates them all.
func torsion(t *testing.T) []point {
	sq := func(a *big.Int) *big.Int { return new(big.Int).ModSqrt(new(big.Int).Mod(a, fieldP), fieldP) }
	s := sq(addMod(big.NewInt(1), curveD))
	if s == nil {
		t.Fatal("1+d is not a square")
	}
	var T point
	for _, y2 := range []*big.Int{
		mulMod(subMod(s, big.NewInt(1)), inv(curveD)),
		mulMod(subMod(new(big.Int).Neg(s), big.NewInt(1)), inv(curveD)),
	} {
		y, x := sq(y2), sq(new(big.Int).Neg(y2))
		if y != nil && x != nil {
			T = point{x, y}
			break
		}
	}
	if T.x == nil || !T.onCurve() {
		t.Fatal("no order-8 point found")
	}
	pts := []point{{big.NewInt(0), big.NewInt(1)}}
	for range 7 {
		pts = append(pts, pts[len(pts)-1].add(T))
	}
	if !pts[7].add(T).isIdentity() || pts[4].isIdentity() {
		t.Fatal("T is not of order 8")
	}
	return pts
}

// TestSmallOrderBlocklistComplete checks the blocklist against the eight
// small-order points derived above: every encoding of each is weak, and
// every blocklist entry is one of them.
func TestSmallOrderBlocklistComplete(t *testing.T) {
	pts := torsion(t)
	ys := map[string]bool{}
	n := 0
	for _, p := range pts {
		if !p.onCurve() {
			t.Fatalf("%v not on the curve", p)
		}
		ys[p.y.String()] = true
		for _, e := range p.encodings() {
			n++
			if !weakKey(e) {
				t.Errorf("small-order encoding %x not refused", e)
			}
		}
	}
	t.Logf("%d encodings of %d points, %d y values", n, len(pts), len(ys))
	for _, bad := range smallOrderY {
		y := new(big.Int).Mod(new(big.Int).SetBytes(reverse(bad[:])), fieldP)
		if !ys[y.String()] {
			t.Errorf("blocklist entry %x is not a small-order y", bad)
		}
	}
	// Honest keys are never weak.
	for i := range 1000 {
		if pub := pubOf(testKey(fmt.Sprint(i))); weakKey(pub) {
			t.Fatalf("generated key %x refused", pub)
		}
	}
}

// TestSmallOrderKeysForgeable shows that each of the eight small-order keys
// lets anyone forge: with S = 0, ed25519.Verify computes R' = -[k]A, which
// is one of eight points, so some R among them matches for most messages.
func TestSmallOrderKeysForgeable(t *testing.T) {
	pts := torsion(t)
	for _, a := range pts {
		A := a.canonical()
		found := false
		for m := 0; m < 64 && !found; m++ {
			for _, r := range pts {
				sig := append(r.canonical(), make([]byte, 32)...)
				if ed25519.Verify(A, []byte(fmt.Sprint("message ", m)), sig) {
					found = true
					break
				}
			}
		}
		if !found {
			t.Errorf("no forgery found under %x", A)
		}
		if !weakKey(A) {
			t.Errorf("%x not refused", A)
		}
	}
}
