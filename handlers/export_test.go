package handlers

import "github.com/labstack/echo/v4"

// Test hooks for the external test package: compiled only into tests.

// RouteInfo is one registered route: method and Echo path pattern.
type RouteInfo struct{ Method, Path string }

// RoutesOf returns every route registered on s's router, including the
// catch-all "route not found" entries of Echo groups, whose Method is
// RouteNotFoundMethod.
func RoutesOf(s *Server) []RouteInfo {
	var out []RouteInfo
	for _, r := range s.e.Routes() {
		out = append(out, RouteInfo{Method: r.Method, Path: r.Path})
	}
	return out
}

// RouteNotFoundMethod is the Method of Echo's "route not found" entries.
const RouteNotFoundMethod = echo.RouteNotFound

// SubmittingKeys is how many idempotency keys s's submissions hold or wait for.
func SubmittingKeys(s *Server) int {
	if s.submitting == nil {
		return 0
	}
	return s.submitting.size()
}
