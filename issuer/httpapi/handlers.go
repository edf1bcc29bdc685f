package httpapi

import (
	"net/http"
	"strconv"

	"github.com/julienschmidt/httprouter"

	"github.com/licensedhq/licensed/issuer"
)

func (s *Server) activate(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	var in issuer.ActivateInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	if err := s.limitLicense(w, r, in.LicenseKey); err != nil {
		return err
	}
	out, created, err := s.svc.Activate(r.Context(), origin(r), in)
	if err != nil {
		return err
	}
	status, result := http.StatusOK, "existing"
	if created {
		status, result = http.StatusCreated, "created"
	}
	s.metrics.activations.WithLabelValues(result).Inc()
	s.metrics.token(out.Token)
	s.renderJSON(w, status, out)
	return nil
}

func (s *Server) validate(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	var in issuer.ValidateInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	if err := s.limitLicense(w, r, in.LicenseKey); err != nil {
		return err
	}
	out, err := s.svc.Validate(r.Context(), in)
	if err != nil {
		return err
	}
	s.metrics.validation(out.Code)
	s.metrics.token(out.Token)
	s.renderJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) deactivate(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	var in issuer.DeactivateInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	if err := s.limitLicense(w, r, in.LicenseKey); err != nil {
		return err
	}
	out, err := s.svc.Deactivate(r.Context(), origin(r), in)
	if err != nil {
		return err
	}
	s.metrics.deactivated.Inc()
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) productActivations(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	var in issuer.ActivationsInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	if err := s.limitLicense(w, r, in.LicenseKey); err != nil {
		return err
	}
	out, err := s.svc.ProductActivations(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) provision(w http.ResponseWriter, r *http.Request, _ httprouter.Params, p issuer.Principal) error {
	var in issuer.ProvisionInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	key, sent := r.Header["Idempotency-Key"]
	idem := ""
	if sent {
		if idem = key[0]; idem == "" {
			return issuer.CheckIdempotencyKey(idem)
		}
	}
	body, replayed, err := s.svc.Provision(r.Context(), p, origin(r), in, idem)
	if err != nil {
		return err
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	} else {
		s.metrics.provisioned.Inc()
	}
	// The answer holds the license key: no cache may keep it.
	w.Header().Set("Cache-Control", "no-store")
	writeBody(w, "application/json", http.StatusCreated, body)
	return nil
}

func (s *Server) searchOrNotAllowed(w http.ResponseWriter, r *http.Request, ps httprouter.Params, p issuer.Principal) error {
	if ps.ByName("id") != "search" {
		w.Header().Set("Allow", "GET, HEAD, PATCH")
		return issuer.Errorf(issuer.CodeMethodNotAllowed, "POST is not allowed on a license; see Allow")
	}
	var in issuer.SearchInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	page, err := s.svc.Search(r.Context(), p, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) getLicense(w http.ResponseWriter, r *http.Request, ps httprouter.Params, p issuer.Principal) error {
	if ps.ByName("id") == "search" {
		w.Header().Set("Allow", "POST")
		return issuer.Errorf(issuer.CodeMethodNotAllowed, "search is POST /v1/licenses/search")
	}
	l, err := s.svc.GetLicense(r.Context(), p, ps.ByName("id"))
	return render(w, l, err)
}

func (s *Server) patch(w http.ResponseWriter, r *http.Request, ps httprouter.Params, p issuer.Principal) error {
	var in issuer.PatchInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	l, err := s.svc.Patch(r.Context(), p, origin(r), ps.ByName("id"), in)
	return render(w, l, err)
}

func (s *Server) lifecycle(w http.ResponseWriter, r *http.Request, ps httprouter.Params, p issuer.Principal) error {
	id := ps.ByName("id")
	var l issuer.License
	var err error
	action := ps.ByName("action")
	switch action {
	case "renew", "suspend", "cancel", "resume":
		// Name the route by its action in logs and metrics: a fixed set.
		info(r).route = "/v1/licenses/:id/" + action
	}
	switch action {
	case "renew":
		var in issuer.RenewInput
		if err := s.decode(w, r, &in, false); err != nil {
			return err
		}
		l, err = s.svc.Renew(r.Context(), p, origin(r), id, in)
	case "suspend", "cancel":
		var in issuer.ReasonInput
		if err := s.decode(w, r, &in, true); err != nil {
			return err
		}
		if action == "suspend" {
			l, err = s.svc.Suspend(r.Context(), p, origin(r), id, in)
		} else {
			l, err = s.svc.Cancel(r.Context(), p, origin(r), id, in)
		}
	case "resume":
		if err := s.decode(w, r, &struct{}{}, true); err != nil {
			return err
		}
		l, err = s.svc.Resume(r.Context(), p, origin(r), id)
	case "activations":
		info(r).route = "/v1/licenses/:id/activations"
		return s.activateOffline(w, r, id, p)
	default:
		return issuer.Errorf(issuer.CodeNotFound, "no route %s", r.URL.Path)
	}
	return render(w, l, err)
}

func render(w http.ResponseWriter, v any, err error) error {
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// pageInput reads ?cursor= and ?limit=.
func pageInput(r *http.Request) (issuer.PageInput, error) {
	q := r.URL.Query()
	in := issuer.PageInput{Cursor: q.Get("cursor")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return in, &issuer.Error{Code: issuer.CodeValidationFailed, Detail: "the request has invalid fields",
				Fields: []issuer.FieldError{{Field: "limit", Message: "must be an integer"}}}
		}
		in.Limit = &n
	}
	return in, nil
}

func (s *Server) activations(w http.ResponseWriter, r *http.Request, ps httprouter.Params, p issuer.Principal) error {
	in, err := pageInput(r)
	if err != nil {
		return err
	}
	page, err := s.svc.Activations(r.Context(), p, ps.ByName("id"), in)
	return render(w, page, err)
}

func (s *Server) releaseActivation(w http.ResponseWriter, r *http.Request, ps httprouter.Params, p issuer.Principal) error {
	if err := s.svc.ReleaseActivation(r.Context(), p, origin(r), ps.ByName("id"), ps.ByName("activation_id")); err != nil {
		return err
	}
	s.metrics.deactivated.Inc()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) auditEvents(w http.ResponseWriter, r *http.Request, _ httprouter.Params, p issuer.Principal) error {
	in, err := pageInput(r)
	if err != nil {
		return err
	}
	page, err := s.svc.AuditEvents(r.Context(), p, r.URL.Query().Get("license_id"), in)
	return render(w, page, err)
}

func (s *Server) createBrand(w http.ResponseWriter, r *http.Request, _ httprouter.Params, p issuer.Principal) error {
	var in issuer.BrandInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	b, err := s.svc.CreateBrand(r.Context(), p, origin(r), in)
	return created(w, b, err)
}

func (s *Server) createProduct(w http.ResponseWriter, r *http.Request, ps httprouter.Params, p issuer.Principal) error {
	var in issuer.ProductInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	pr, err := s.svc.CreateProduct(r.Context(), p, origin(r), ps.ByName("slug"), in)
	return created(w, pr, err)
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request, _ httprouter.Params, p issuer.Principal) error {
	var in issuer.APIKeyInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	k, err := s.svc.CreateAPIKey(r.Context(), p, origin(r), in)
	return created(w, k, err)
}

func created(w http.ResponseWriter, v any, err error) error {
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, v)
	return nil
}
