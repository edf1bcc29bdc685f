package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"
)

// sessionAAD binds a sealed session to its purpose: no other value sealed
// under the master key (a license key, a signing key) opens as a session,
// and a session opens as nothing else.
var sessionAAD = []byte("console_session:v1")

// session is what the cookie holds, sealed. A session without a key is
// the anonymous one of the sign-in form: it only carries the CSRF token
// that form needs.
type session struct {
	Key    string `json:"k,omitempty"`
	CSRF   string `json:"c"`
	Issued int64  `json:"i"` // unix seconds
	Seen   int64  `json:"s"` // unix seconds of the last request that refreshed it
}

// refreshEvery is how stale Seen may get before a request re-seals the
// cookie: idle expiry counts in minutes, and re-sealing on every request
// would spend an AES-GCM nonce per page view for nothing.
const refreshEvery = time.Minute

func newSession(key string, now time.Time) session {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return session{Key: key, CSRF: base64.RawURLEncoding.EncodeToString(b), Issued: now.Unix(), Seen: now.Unix()}
}

// cookieName is __Host- prefixed when the cookie is Secure: the browser
// then only accepts it from this host over HTTPS with Path=/ and no
// Domain, so a sibling subdomain cannot plant a session of its own. A
// plain-HTTP loopback console (development) cannot use the prefix.
func (c *Console) cookieName() string {
	if c.secure {
		return "__Host-licensed_console"
	}
	return "licensed_console"
}

// readSession opens the request's session; ok is false for none, one that
// does not open (tampered with, or sealed under a master key no longer
// loaded) and one past its lifetime or idle time.
func (c *Console) readSession(r *http.Request) (session, bool) {
	ck, err := r.Cookie(c.cookieName())
	if err != nil {
		return session{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return session{}, false
	}
	plain, err := c.secrets.Open(raw, sessionAAD)
	if err != nil {
		return session{}, false
	}
	var s session
	if err := json.Unmarshal(plain, &s); err != nil || s.CSRF == "" {
		return session{}, false
	}
	now := c.now()
	issued, seen := time.Unix(s.Issued, 0), time.Unix(s.Seen, 0)
	if now.Sub(issued) >= c.maxAge || now.Sub(seen) >= c.idle || issued.After(now.Add(time.Minute)) {
		return session{}, false
	}
	return s, true
}

// writeSession seals s into the cookie. The cookie lives until the idle
// time runs out, never past the session's lifetime; the server checks both
// again on every request, whatever the browser keeps.
func (c *Console) writeSession(w http.ResponseWriter, s session) {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // a struct of strings and ints always marshals
	}
	now := c.now()
	left := min(c.idle, time.Unix(s.Issued, 0).Add(c.maxAge).Sub(now))
	http.SetCookie(w, &http.Cookie{
		Name: c.cookieName(), Value: base64.RawURLEncoding.EncodeToString(c.secrets.Seal(b, sessionAAD)),
		Path: "/", MaxAge: max(1, int(left.Seconds())), HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteStrictMode,
	})
}

// clearSession makes the browser drop the cookie.
func (c *Console) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: c.cookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteStrictMode,
	})
}

// touch re-seals a session whose Seen is older than refreshEvery, which
// moves its idle expiry forward.
func (c *Console) touch(w http.ResponseWriter, s *session) {
	now := c.now()
	if now.Sub(time.Unix(s.Seen, 0)) < refreshEvery {
		return
	}
	s.Seen = now.Unix()
	c.writeSession(w, *s)
}

// csrfOK is the synchronizer-token check of a POST: the form's token must
// be the session's. The token lives sealed in the session cookie, which no
// other site can read, and in the page the console rendered; a request
// from elsewhere carries the cookie (at most: SameSite=Strict keeps it off
// cross-site requests in current browsers) but not the token.
func csrfOK(r *http.Request, s session) bool {
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) == 1
}

// crossSite reports a request the browser says another site started
// (Sec-Fetch-Site): refused before any form is read. Browsers that do not
// send the header are left to the token.
func crossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return false
	}
	return true
}
