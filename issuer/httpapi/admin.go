package httpapi

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/licensedhq/licensed/issuer"
)

// Handlers of the admin API's brands, API keys and signing keys.

func (s *Server) listBrands(w http.ResponseWriter, r *http.Request, _ httprouter.Params, p issuer.Principal) error {
	in, err := pageInput(r)
	if err != nil {
		return err
	}
	page, err := s.svc.Brands(r.Context(), p, in)
	return render(w, page, err)
}

func (s *Server) getBrand(w http.ResponseWriter, r *http.Request, ps httprouter.Params, p issuer.Principal) error {
	b, err := s.svc.GetBrand(r.Context(), p, ps.ByName("slug"))
	return render(w, b, err)
}

func (s *Server) updateBrand(w http.ResponseWriter, r *http.Request, ps httprouter.Params, p issuer.Principal) error {
	var in issuer.BrandPatchInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	b, err := s.svc.UpdateBrand(r.Context(), p, origin(r), ps.ByName("slug"), in)
	return render(w, b, err)
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request, _ httprouter.Params, p issuer.Principal) error {
	page, err := pageInput(r)
	if err != nil {
		return err
	}
	list, err := s.svc.APIKeys(r.Context(), p, issuer.APIKeysInput{Brand: r.URL.Query().Get("brand"), PageInput: page})
	return render(w, list, err)
}

func (s *Server) getAPIKey(w http.ResponseWriter, r *http.Request, ps httprouter.Params, p issuer.Principal) error {
	k, err := s.svc.GetAPIKey(r.Context(), p, ps.ByName("id"))
	return render(w, k, err)
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request, ps httprouter.Params, p issuer.Principal) error {
	if _, err := s.svc.RevokeAPIKey(r.Context(), p, origin(r), ps.ByName("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) signingKeys(w http.ResponseWriter, r *http.Request, _ httprouter.Params, p issuer.Principal) error {
	list, err := s.svc.SigningKeys(r.Context(), p)
	return render(w, map[string]any{"data": list, "next_cursor": nil}, err)
}

func (s *Server) rotateOrNotFound(w http.ResponseWriter, r *http.Request, ps httprouter.Params, p issuer.Principal) error {
	if ps.ByName("kid") != "rotate" {
		return issuer.Errorf(issuer.CodeNotFound, "no route %s", r.URL.Path)
	}
	if err := s.decode(w, r, &struct{}{}, true); err != nil {
		return err
	}
	k, err := s.svc.RotateSigningKey(r.Context(), p)
	return created(w, k, err)
}

func (s *Server) revokeSigningKey(w http.ResponseWriter, r *http.Request, ps httprouter.Params, p issuer.Principal) error {
	if ps.ByName("action") != "revoke" {
		return issuer.Errorf(issuer.CodeNotFound, "no route %s", r.URL.Path)
	}
	if err := s.decode(w, r, &struct{}{}, true); err != nil {
		return err
	}
	out, err := s.svc.RevokeSigningKey(r.Context(), p, origin(r), ps.ByName("kid"))
	return render(w, out, err)
}
