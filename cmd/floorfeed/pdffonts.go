package main

import (
	"fmt"

	"github.com/floorfeed/floorfeed/pdfdoc"
)

// pdfFonts loads the faces of the PDFs (QR sheet, briefs): the embedded
// ones, or with --pdf-font / FLOORFEED_PDF_FONT as the fallback face. It
// runs at start, so that a font gofpdf cannot embed (a .ttc, a CFF .otf) is
// refused then, naming the setting, and not when the first PDF is made.
func (c *Config) pdfFonts() (*pdfdoc.FontSet, error) {
	fs, err := pdfdoc.LoadFonts(pdfdoc.FontOverride{Path: c.PDFFont, BoldPath: c.PDFFontBold})
	if err != nil {
		return nil, fmt.Errorf("invalid --pdf-font / FLOORFEED_PDF_FONT (or --pdf-font-bold): %w", err)
	}
	return fs, nil
}
