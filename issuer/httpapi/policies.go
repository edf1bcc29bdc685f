package httpapi

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/licensedhq/licensed/issuer"
)

// Handlers of product settings (admin), license listing and offline
// activation (brand API).

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request, ps httprouter.Params, p issuer.Principal) error {
	in, err := pageInput(r)
	if err != nil {
		return err
	}
	page, err := s.svc.Products(r.Context(), p, ps.ByName("slug"), in)
	return render(w, page, err)
}

func (s *Server) getProduct(w http.ResponseWriter, r *http.Request, ps httprouter.Params, p issuer.Principal) error {
	pr, err := s.svc.GetProduct(r.Context(), p, ps.ByName("slug"), ps.ByName("product"))
	return render(w, pr, err)
}

func (s *Server) updateProduct(w http.ResponseWriter, r *http.Request, ps httprouter.Params, p issuer.Principal) error {
	var in issuer.ProductPatchInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	pr, err := s.svc.UpdateProduct(r.Context(), p, origin(r), ps.ByName("slug"), ps.ByName("product"), in)
	return render(w, pr, err)
}

func (s *Server) listLicenses(w http.ResponseWriter, r *http.Request, _ httprouter.Params, p issuer.Principal) error {
	page, err := pageInput(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	in := issuer.ListLicensesInput{
		Product: q.Get("product"), Status: q.Get("status"), ExpiresBefore: q.Get("expires_before"), PageInput: page,
	}
	list, err := s.svc.ListLicenses(r.Context(), p, in)
	return render(w, list, err)
}

func (s *Server) activateOffline(w http.ResponseWriter, r *http.Request, id string, p issuer.Principal) error {
	var in issuer.OfflineActivationInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	out, created, err := s.svc.ActivateOffline(r.Context(), p, origin(r), id, in)
	if err != nil {
		return err
	}
	status, result := http.StatusOK, "existing"
	if created {
		status, result = http.StatusCreated, "created"
	}
	s.metrics.activations.WithLabelValues(result).Inc()
	s.metrics.token(out.Token)
	writeJSON(w, status, out)
	return nil
}
