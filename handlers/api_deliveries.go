package handlers

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/delivery"
	"github.com/floorfeed/floorfeed/store"
)

// The delivery log in the authenticated API:
//
//	GET /api/v1/deliveries[?team=T][&kind=brief|alert][&limit=N][&cursor=C]
//	    every brief and alert sent (or being sent), newest first:
//	    {"deliveries": [...], "next_cursor": "..."}

const routeDeliveries = "/api/v1/deliveries"

// maxDeliveryCursor bounds the cursor (a delivery key).
const maxDeliveryCursor = 300

// DeliveryLog lists the delivery log (implemented by *delivery.Log).
type DeliveryLog interface {
	// List returns a page of deliveries, newest first; the store's errors.
	List(ctx context.Context, q delivery.ListQuery) (delivery.Page, error)
}

// handleDeliveryList serves GET /api/v1/deliveries: 200 with a page, 400
// naming a bad parameter, 404 when this server keeps no delivery log, 503
// when the store cannot be reached.
func (s *Server) handleDeliveryList(c echo.Context) error {
	if s.deliveries == nil {
		return errNotFound()
	}
	q := delivery.ListQuery{Team: c.QueryParam("team"), Kind: c.QueryParam("kind"), Cursor: c.QueryParam("cursor")}
	fields := map[string]string{}
	if q.Team != "" {
		if _, ok := s.plant.Team(q.Team); !ok {
			fields["team"] = "unknown team"
		}
	}
	if q.Kind != "" && q.Kind != delivery.KindBrief && q.Kind != delivery.KindAlert {
		fields["kind"] = "kind must be brief or alert"
	}
	if len(q.Cursor) > maxDeliveryCursor {
		fields["cursor"] = "cursor is not one this server gave"
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxLimit {
			fields["limit"] = "limit must be a whole number from 1 to " + strconv.Itoa(store.MaxLimit)
		}
		q.Limit = n
	}
	if len(fields) > 0 {
		return errValidation(fields)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeReadTimeout)
	defer cancel()
	page, err := s.deliveries.List(ctx, q)
	if err != nil {
		return storeReadError(err)
	}
	return c.JSON(http.StatusOK, page)
}
