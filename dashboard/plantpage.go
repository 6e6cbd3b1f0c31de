package dashboard

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/floorfeed/floorfeed/plant"
)

type plantView struct {
	base
	YAML     string
	Version  int64
	SavedAt  time.Time
	SavedBy  string
	Editable bool
	ReadOnly bool // no editor wired
	QRSheet  string
}

// maxPlantYAML bounds an edited plant file.
const maxPlantYAML = 256 << 10

func (d *Dashboard) handlePlant(c echo.Context, b base) error {
	b.Title, b.Nav = tr(b.Lang, "nav.plant"), "plant"
	if c.QueryParam("saved") != "" {
		b.Flash = tr(b.Lang, "plant.saved")
	}
	return d.renderPlant(c, b, http.StatusOK, "")
}

func (d *Dashboard) renderPlant(c echo.Context, b base, status int, edited string) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeTimeout)
	defer cancel()
	p, version, err := d.d.Plant.Current(ctx)
	if err != nil {
		return d.storeError(c, b, "plant", err)
	}
	y, err := p.YAML()
	if err != nil {
		return d.storeError(c, b, "plant yaml", err)
	}
	v := plantView{base: b, YAML: string(y), Version: version, Editable: b.IsAdmin && d.d.PlantEditor != nil,
		ReadOnly: d.d.PlantEditor == nil, QRSheet: "/api/v1/qr-sheet.pdf"}
	if edited != "" {
		v.YAML = edited
	}
	if d.d.PlantEditor != nil {
		if _, at, by, err := d.d.PlantEditor.Info(ctx); err == nil {
			v.SavedAt, v.SavedBy = at, by
		}
	}
	return d.render(c, status, "plant.html", v)
}

func (d *Dashboard) handlePlantSave(c echo.Context, b base) error {
	b.Title, b.Nav = tr(b.Lang, "nav.plant"), "plant"
	p := principal(c)
	if !p.IsAdmin() {
		return d.errorPage(c, b, http.StatusForbidden, "err.forbidden")
	}
	if d.d.PlantEditor == nil {
		return d.errorPage(c, b, http.StatusNotFound, "plant.readonly")
	}
	text := c.FormValue("yaml")
	if len(text) > maxPlantYAML {
		b.Error = tr(b.Lang, "plant.too_large")
		return d.renderPlant(c, b, http.StatusRequestEntityTooLarge, "")
	}
	version, err := strconv.ParseInt(c.FormValue("version"), 10, 64)
	if err != nil {
		return d.errorPage(c, b, http.StatusBadRequest, "err.fields")
	}
	np, err := plant.Parse([]byte(text))
	if err != nil {
		b.Error = tr(b.Lang, "plant.invalid") + " " + err.Error()
		return d.renderPlant(c, b, http.StatusBadRequest, text)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeTimeout)
	defer cancel()
	v, err := d.d.PlantEditor.Save(ctx, np, version, p.Name)
	switch {
	case errors.Is(err, plant.ErrVersionConflict):
		b.Error = tr(b.Lang, "plant.conflict")
		return d.renderPlant(c, b, http.StatusConflict, text)
	case err != nil:
		b.Error = tr(b.Lang, "plant.invalid") + " " + err.Error()
		return d.renderPlant(c, b, http.StatusBadRequest, text)
	}
	d.audit(ctx, p.Name, "plant.save", "plant", "version "+formatInt(int(v)))
	return c.Redirect(http.StatusSeeOther, PathPlant+"?saved=1")
}

// handlePlantYAML downloads the stored plant in the plant file's format.
func (d *Dashboard) handlePlantYAML(c echo.Context, b base) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), storeTimeout)
	defer cancel()
	p, _, err := d.d.Plant.Current(ctx)
	if err != nil {
		return d.storeError(c, b, "plant", err)
	}
	y, err := p.YAML()
	if err != nil {
		return d.storeError(c, b, "plant yaml", err)
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="floorfeed.yaml"`)
	return c.Blob(http.StatusOK, "application/yaml; charset=utf-8", y)
}
