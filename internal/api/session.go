package api

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/wardiomt/ward/internal/auth"
)

func wantsJSON(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "application/json" || strings.Contains(r.Header.Get("Accept"), "application/json")
}

func (a *API) handleLogin(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var token string
	switch ct {
	case "application/json":
		var in struct {
			Token string `json:"token"`
		}
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		token = in.Token
	case "application/x-www-form-urlencoded", "multipart/form-data":
		if err := r.ParseForm(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return err
			}
			return errorf(http.StatusBadRequest, "malformed form: %v", err)
		}
		token = r.PostForm.Get("token")
	default:
		return errorf(http.StatusUnsupportedMediaType, "send the token as a form field or JSON {\"token\"}")
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return errorf(http.StatusBadRequest, "token is required")
	}
	session, csrf, p, err := a.cfg.Auth.Login(r.Context(), token)
	if errors.Is(err, auth.ErrUnauthenticated) {
		if ct == "application/json" {
			return errorf(http.StatusUnauthorized, "unknown or revoked token")
		}
		http.Redirect(w, r, "/login?error="+url.QueryEscape("unknown or revoked token"), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: session, Path: "/", HttpOnly: true,
		Secure: r.TLS != nil || a.cfg.SecureCookies, SameSite: http.SameSiteStrictMode, MaxAge: int(auth.SessionTTL.Seconds())})
	if ct == "application/json" {
		writeJSON(w, http.StatusOK, map[string]any{"organization": p.Org, "role": p.Role, "csrf_token": csrf})
		return nil
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

func (a *API) handleLogout(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	if c, err := r.Cookie(SessionCookie); err == nil {
		if err := a.cfg.Auth.Logout(r.Context(), c.Value); err != nil && !errors.Is(err, auth.ErrUnauthenticated) {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, MaxAge: -1,
		Secure: r.TLS != nil || a.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
	if wantsJSON(r) || r.Header.Get(CSRFHeader) != "" {
		writeJSON(w, http.StatusOK, map[string]bool{"logged_out": true})
		return nil
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
