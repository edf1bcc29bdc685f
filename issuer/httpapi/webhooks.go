package httpapi

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/licensedhq/licensed/issuer"
)

// brandParam is ?brand=, the brand a platform admin key acts on.
func brandParam(r *http.Request) *string {
	if v, ok := r.URL.Query()["brand"]; ok && len(v) > 0 {
		return &v[0]
	}
	return nil
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, _ httprouter.Params, p issuer.Principal) error {
	var in issuer.WebhookInput
	if err := s.decode(w, r, &in, false); err != nil {
		return err
	}
	e, err := s.svc.CreateWebhook(r.Context(), p, origin(r), in)
	return created(w, e, err)
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, _ httprouter.Params, p issuer.Principal) error {
	list, err := s.svc.Webhooks(r.Context(), p, brandParam(r))
	return render(w, map[string]any{"data": list, "next_cursor": nil}, err)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, ps httprouter.Params, p issuer.Principal) error {
	if err := s.svc.DeleteWebhook(r.Context(), p, origin(r), brandParam(r), ps.ByName("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) webhookDeliveries(w http.ResponseWriter, r *http.Request, ps httprouter.Params, p issuer.Principal) error {
	in, err := pageInput(r)
	if err != nil {
		return err
	}
	page, err := s.svc.WebhookDeliveries(r.Context(), p, brandParam(r), ps.ByName("id"), in)
	return render(w, page, err)
}

func (s *Server) redeliver(w http.ResponseWriter, r *http.Request, ps httprouter.Params, p issuer.Principal) error {
	if err := s.decode(w, r, &struct{}{}, true); err != nil {
		return err
	}
	d, err := s.svc.Redeliver(r.Context(), p, brandParam(r), ps.ByName("id"), ps.ByName("delivery_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, d)
	return nil
}
