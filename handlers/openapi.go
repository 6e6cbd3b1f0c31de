package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/store"
)

// routeOpenAPI serves the OpenAPI 3.1 description of /api/v1, public.
const routeOpenAPI = "/api/v1/openapi.json"

func (s *Server) registerOpenAPIRoute(g routeGroup) {
	// Built at the first request, when every route is registered: an
	// optional operation is described only if the router serves it.
	var once sync.Once
	var doc []byte
	g.GET(routeOpenAPI, func(c echo.Context) error {
		once.Do(func() {
			served := map[string]bool{}
			for _, rt := range s.e.Routes() {
				served[rt.Method+" "+rt.Path] = true
			}
			var err error
			doc, err = json.MarshalIndent(openAPIDoc(func(op apiOp) bool {
				return !op.optional || served[op.method+" "+echoPath(op.path)]
			}), "", " ")
			if err != nil {
				panic(fmt.Sprintf("openapi: %v", err)) // a static document: a bug if it does not encode
			}
		})
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSONCharsetUTF8, doc)
	})
}

// apiOp is one operation of the description.
type apiOp struct {
	method, path, summary string
	// optional: served only when its dependency is configured (the
	// dashboard's exports); described only when the router has it.
	optional bool
	// auth: "" public, "read" session or token, "admin" the administrator.
	auth   string
	query  []apiParam
	body   string // a schema name, "" for none
	ok     int    // the success status
	result string // the success body's schema name, "" for none
	errors []int
}

type apiParam struct {
	name, desc string
	schema     map[string]any
}

func str(desc string) apiParam { return apiParam{desc: desc, schema: map[string]any{"type": "string"}} }

func named(p apiParam, name string) apiParam { p.name = name; return p }

// apiOps are the operations of /api/v1, one per route the router serves
// (a test checks the two agree); each GET also answers HEAD.
func apiOps() []apiOp {
	var filters []apiParam
	for _, fd := range store.FilterFields {
		p := str("only reports whose " + fd.Name + " is this (line and category: any of several, repeated or comma-separated)")
		if fd.Enum != nil {
			p.schema = map[string]any{"type": "string", "enum": fd.Enum}
		}
		filters = append(filters, named(p, fd.Name))
	}
	list := append([]apiParam{
		named(str("created at or after: RFC 3339 or YYYY-MM-DD (the server's time zone)"), "from"),
		named(str("created before: RFC 3339, or YYYY-MM-DD including that day"), "to"),
		named(apiParam{desc: "that severity or more urgent", schema: map[string]any{"type": "string", "enum": []string{"low", "medium", "high", "critical"}}}, "min_severity"),
		named(apiParam{desc: "page size", schema: map[string]any{"type": "integer", "minimum": 1, "maximum": store.MaxLimit}}, "limit"),
		named(str("next_cursor of the previous page"), "cursor"),
		named(str("the short code a reporter reads out, e.g. Z54B-HE60: that one report"), "code"),
		named(str("text search (answers 400 until full-text search is built)"), "q"),
	}, filters...)
	return []apiOp{
		{method: "POST", path: "/api/v1/reports", summary: "Submit a report (JSON, form-encoded or multipart with photo files); header Idempotency-Key", body: "Submission", ok: 201, result: "SubmitAnswer", errors: []int{400, 403, 413, 415, 422, 429, 503}},
		{method: "GET", path: "/api/v1/reports", summary: "List reports, newest first, with filters and cursor paging", auth: "read", query: list, ok: 200, result: "ReportList", errors: []int{400, 401, 503}},
		{method: "GET", path: "/api/v1/reports/{id}", summary: "One report", auth: "read", ok: 200, result: "Report", errors: []int{401, 404, 503}},
		{method: "PATCH", path: "/api/v1/reports/{id}", summary: "Triage: status, team, reply (public), note (internal)", auth: "triage", body: "Change", ok: 200, result: "Report", errors: []int{400, 401, 403, 404, 415, 503}},
		{method: "GET", path: "/api/v1/receipts/{receipt}", summary: "The reporter's view of a report", ok: 200, result: "Receipt", errors: []int{404, 503}},
		{method: "GET", path: "/api/v1/openapi.json", summary: "This description", ok: 200},
		{method: "GET", path: "/api/v1/lines/{line}/open", summary: "The line's open reports (\"already reported here\"), newest first, at most 20; ?t= the line's QR token; header X-Device-Id says which the device voted for", ok: 200, result: "Object", errors: []int{403, 404, 503}},
		{method: "POST", path: "/api/v1/reports/{id}/votes", summary: "\"Me too\": one vote per device (JSON or form: token, device_id); idempotent", body: "Object", ok: 200, result: "Object", errors: []int{400, 403, 404, 429, 503}},
		{method: "GET", path: "/api/v1/reports/{id}/photos/{pid}", summary: "A report's photo, re-encoded (JPEG, no metadata)", auth: "read", ok: 200, errors: []int{401, 404}},
		{method: "GET", path: "/api/v1/reports/{id}/photos/{pid}/thumb", summary: "A report photo's 320 px thumbnail (JPEG)", auth: "read", ok: 200, errors: []int{401, 404}},
		{method: "GET", path: "/api/v1/reports.csv", optional: true, summary: "Every report matching the list's filters, as CSV (UTF-8 with BOM; formula cells neutralised), streamed", auth: "read", query: list, ok: 200, errors: []int{400, 401, 503}},
		{method: "GET", path: "/api/v1/reports.ndjson", optional: true, summary: "Every report matching the list's filters, one JSON object per line, streamed", auth: "read", query: list, ok: 200, errors: []int{400, 401, 503}},
		{method: "GET", path: "/api/v1/reports.json", optional: true, summary: "Every report matching the list's filters, as one JSON array, streamed", auth: "read", query: list, ok: 200, errors: []int{400, 401, 503}},
		{method: "GET", path: "/api/v1/deliveries", summary: "Brief and alert deliveries (team, slot, recipients, result, message id), newest first", auth: "read", ok: 200, result: "ObjectList", errors: []int{401, 404, 503}},
		{method: "GET", path: "/api/v1/qr-sheet.pdf", summary: "Printable A4 sheet of QR stickers, one per line and station (PDF); ?lang=zh|en", auth: "read", ok: 200, errors: []int{401, 503}},
		{method: "GET", path: "/api/v1/lines/{line}/qr.svg", summary: "A line's QR code as SVG", auth: "read", ok: 200, errors: []int{401, 404}},
		{method: "GET", path: "/api/v1/lines/{line}/qr.png", summary: "A line's QR code as PNG", auth: "read", ok: 200, errors: []int{401, 404}},
		{method: "GET", path: "/api/v1/admin/settings", summary: "The running server's settings", auth: "admin", ok: 200, result: "Object", errors: []int{401, 403}},
		{method: "GET", path: "/api/v1/admin/lines", summary: "Every line with its QR form URL", auth: "admin", ok: 200, result: "ObjectList", errors: []int{401, 403}},
		{method: "GET", path: "/api/v1/admin/tokens", summary: "API tokens (never their secrets)", auth: "admin", ok: 200, result: "TokenList", errors: []int{401, 403}},
		{method: "POST", path: "/api/v1/admin/tokens", summary: "Create an API token, shown this once", auth: "admin", body: "NewToken", ok: 201, result: "Token", errors: []int{400, 401, 403}},
		{method: "DELETE", path: "/api/v1/admin/tokens/{id}", summary: "Revoke an API token", auth: "admin", ok: 204, errors: []int{401, 403, 404}},
		{method: "POST", path: "/api/v1/admin/demo", summary: "Load generated sample reports", auth: "admin", body: "Object", ok: 200, result: "Object", errors: []int{400, 401, 403, 404}},
		{method: "POST", path: "/api/v1/admin/reindex", summary: "Put every report into the indexes of its fields and codes", auth: "admin", ok: 200, result: "Object", errors: []int{401, 403, 404}},
		{method: "GET", path: "/api/v1/admin/jobs/dead", summary: "Dead-lettered jobs, newest first", auth: "admin", query: []apiParam{named(apiParam{desc: "how many", schema: map[string]any{"type": "integer", "minimum": 1, "maximum": store.MaxLimit}}, "limit")}, ok: 200, result: "ObjectList", errors: []int{400, 401, 403, 404}},
		{method: "POST", path: "/api/v1/admin/jobs/dead/retry", summary: "Retry every dead job", auth: "admin", ok: 200, result: "Object", errors: []int{401, 403, 404}},
		{method: "POST", path: "/api/v1/admin/jobs/dead/{id}/retry", summary: "Retry one dead job", auth: "admin", ok: 200, result: "Object", errors: []int{401, 403, 404}},
		{method: "GET", path: "/api/v1/admin/users", summary: "Dashboard users", auth: "admin", ok: 200, result: "UserList", errors: []int{401, 403}},
		{method: "POST", path: "/api/v1/admin/users", summary: "Add a dashboard user", auth: "admin", body: "NewUser", ok: 201, result: "User", errors: []int{400, 401, 403, 409}},
		{method: "PATCH", path: "/api/v1/admin/users/{name}", summary: "Change a user's role or disable / enable them (disabling ends their sessions)", auth: "admin", body: "UserChange", ok: 200, result: "User", errors: []int{400, 401, 403, 404}},
	}
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

// openAPIDoc builds the description.
func openAPIDoc(keep func(apiOp) bool) map[string]any {
	paths := map[string]map[string]any{}
	for _, op := range apiOps() {
		if !keep(op) {
			continue
		}
		item := paths[op.path]
		if item == nil {
			item = map[string]any{}
			paths[op.path] = item
		}
		var params []any
		for _, seg := range strings.Split(op.path, "/") {
			if strings.HasPrefix(seg, "{") {
				params = append(params, map[string]any{"name": strings.Trim(seg, "{}"), "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
			}
		}
		for _, q := range op.query {
			params = append(params, map[string]any{"name": q.name, "in": "query", "required": false, "description": q.desc, "schema": q.schema})
		}
		responses := map[string]any{}
		okResp := map[string]any{"description": http.StatusText(op.ok)}
		if op.result != "" {
			okResp["content"] = map[string]any{"application/json": map[string]any{"schema": ref(op.result)}}
		}
		responses[fmt.Sprint(op.ok)] = okResp
		for _, st := range op.errors {
			responses[fmt.Sprint(st)] = map[string]any{"description": http.StatusText(st),
				"content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}}
		}
		o := map[string]any{"summary": op.summary, "operationId": operationID(op.method, op.path), "responses": responses}
		if len(params) > 0 {
			o["parameters"] = params
		}
		if op.body != "" {
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref(op.body)}}}
		}
		switch op.auth {
		case "":
			o["security"] = []any{}
		case "read", "triage", "admin":
			o["security"] = []any{map[string]any{"bearer": []any{}}, map[string]any{"session": []any{}}}
		}
		switch op.auth {
		case "triage":
			o["description"] = "Needs a principal who may triage (admin or rnd users, API tokens); a viewer gets 403. With the session cookie, send the session's CSRF token in the X-CSRF-Token header."
		case "admin":
			o["description"] = "Admins only: the local administrator (admin socket) or an admin's dashboard session (with X-CSRF-Token on changes); API tokens get 403."
		}
		item[strings.ToLower(op.method)] = o
		if op.method == http.MethodGet {
			h := map[string]any{"summary": op.summary + " (headers only)", "operationId": operationID("HEAD", op.path),
				"responses": map[string]any{fmt.Sprint(op.ok): map[string]any{"description": http.StatusText(op.ok)}}}
			for _, k := range []string{"parameters", "security"} {
				if v, ok := o[k]; ok {
					h[k] = v
				}
			}
			item["head"] = h
		}
	}
	obj := map[string]any{"type": "object"}
	strs := func(names ...string) map[string]any {
		props := map[string]any{}
		for _, n := range names {
			props[n] = map[string]any{"type": "string"}
		}
		return map[string]any{"type": "object", "properties": props}
	}
	report := strs("id", "code", "line", "category", "severity", "title", "body", "station", "role", "reporter", "contact", "lang", "status", "team", "reply", "created_at", "updated_at")
	rp := report["properties"].(map[string]any)
	rp["votes"] = map[string]any{"type": "integer"}
	rp["processed_at"] = map[string]any{"type": []string{"string", "null"}}
	rp["photos"] = map[string]any{"type": "array", "items": strs("id", "url", "thumb_url")}
	rp["history"] = map[string]any{"type": "array", "items": strs("at", "by", "action", "from", "to", "text")}
	list := map[string]any{"type": "object", "properties": map[string]any{
		"reports": map[string]any{"type": "array", "items": ref("Report")}, "next_cursor": map[string]any{"type": "string"}}}
	errSchema := map[string]any{"type": "object", "required": []string{"error"}, "properties": map[string]any{
		"error": map[string]any{"type": "object", "required": []string{"code", "message"}, "properties": map[string]any{
			"code": map[string]any{"type": "string"}, "message": map[string]any{"type": "string"},
			"fields": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}}}}}}
	user := strs("id", "name", "role", "created_at", "updated_at", "last_login_at")
	user["properties"].(map[string]any)["disabled"] = map[string]any{"type": "boolean"}
	change := strs("status", "team", "reply", "note")
	change["additionalProperties"] = false
	userChange := strs("role")
	userChange["properties"].(map[string]any)["disabled"] = map[string]any{"type": "boolean"}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Floorfeed API", "version": "1",
			"description": "Production-floor reports: the public submission API used by the QR form, the reporter's receipt, the authenticated reports API for R&D tools and the dashboard, and the administrator's API. Errors are {\"error\": {\"code\", \"message\", \"fields\"}}."},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "An API token (floorfeed token create, or the dashboard's API tokens page)."},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie, "description": "A dashboard session (sign in at /login); changes also need the X-CSRF-Token header."},
			},
			"schemas": map[string]any{
				"Report": report, "ReportList": list, "Error": errSchema, "Change": change,
				"Submission":   strs("line", "token", "category", "severity", "title", "body", "station", "role", "reporter", "contact", "lang"),
				"SubmitAnswer": strs("id", "code", "receipt", "status_url", "status"),
				"Receipt":      strs("code", "line", "title", "status", "created_at", "updated_at", "reply"),
				"Token":        strs("id", "name", "created_at", "last_used_at", "token"),
				"TokenList":    map[string]any{"type": "array", "items": ref("Token")},
				"NewToken":     strs("name"),
				"User":         user,
				"UserList":     map[string]any{"type": "array", "items": ref("User")},
				"NewUser":      strs("name", "role", "password"),
				"UserChange":   userChange,
				"Object":       obj,
				"ObjectList":   map[string]any{"type": "array", "items": obj},
			},
		},
	}
}

// operationID is a stable name for an operation, e.g. get_api_v1_reports_id.
func operationID(method, path string) string {
	r := strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_")
	return strings.ToLower(method) + r.Replace(path)
}

// echoPath turns an OpenAPI path (/reports/{id}) into the router's (/reports/:id).
func echoPath(p string) string {
	return openAPIParam.ReplaceAllString(p, ":$1")
}

var openAPIParam = regexp.MustCompile(`\{([^}]+)\}`)
