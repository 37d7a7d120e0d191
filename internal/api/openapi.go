package api

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/wardiomt/ward/internal/auth"
)

var pathParamRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// OpenAPI returns the OpenAPI 3.0 document of the route table.
func (a *API) OpenAPI() map[string]any {
	paths := map[string]any{}
	a.docMu.Lock()
	all := append(append([]Route(nil), a.routes...), a.extra...)
	a.docMu.Unlock()
	for _, rt := range all {
		item, _ := paths[rt.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.Path] = item
		}
		var params []any
		for _, m := range pathParamRE.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, p := range rt.Params {
			params = append(params, map[string]any{"name": p.Name, "in": "query", "required": false,
				"description": p.Description, "schema": map[string]any{"type": p.Type}})
		}
		produces := rt.Produces
		if produces == "" {
			produces = "application/json"
		}
		ok := "200"
		if rt.Method == "POST" && rt.Path == "/api/v1/sites" {
			ok = "201"
		}
		errResp := map[string]any{"$ref": "#/components/responses/Error"}
		responses := map[string]any{
			ok:    map[string]any{"description": "success", "content": map[string]any{produces: map[string]any{}}},
			"400": errResp,
		}
		if rt.Path == "/login" || rt.Path == "/logout" {
			responses["303"] = map[string]any{"description": "redirect after a form post"}
		}
		op := map[string]any{
			"operationId": operationID(rt),
			"summary":     rt.Summary,
			"tags":        []string{rt.Tag},
			"responses":   responses,
		}
		if rt.Roles != nil {
			responses["401"], responses["403"] = errResp, errResp
			roles := make([]string, 0, len(rt.Roles))
			for _, r := range rt.Roles {
				roles = append(roles, string(r))
			}
			op["description"] = "Roles: " + strings.Join(roles, ", ") + "."
			op["security"] = []any{map[string]any{"bearer": []string{}}, map[string]any{"session": []string{}}}
		} else {
			op["security"] = []any{}
		}
		if strings.Contains(rt.Path, "{") {
			responses["404"] = errResp
		}
		if rt.Method == "POST" {
			responses["413"] = errResp
			op["requestBody"] = map[string]any{"description": rt.Body, "required": true,
				"content": map[string]any{"application/json": map[string]any{}}}
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		item[strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "Ward API", "version": "1", "description": "Passive IoMT inventory, vulnerabilities and risk."},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie},
			},
			"responses": map[string]any{
				"Error": map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{
					"schema": map[string]any{"type": "object", "required": []string{"error"},
						"properties": map[string]any{"error": map[string]any{"type": "string"}}}}}},
			},
		},
	}
}

func operationID(rt Route) string {
	p := strings.NewReplacer("/api/v1/", "", "/api/", "", "/", "_", "{", "", "}", "", ".", "_").Replace(rt.Path)
	return strings.ToLower(rt.Method) + "_" + strings.Trim(p, "_")
}

func (a *API) handleOpenAPI(w http.ResponseWriter, _ *http.Request, _ auth.Principal) error {
	writeJSON(w, http.StatusOK, a.OpenAPI())
	return nil
}
