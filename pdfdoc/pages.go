package pdfdoc

// ForEachPage calls fn once for every page drawn so far, in order, with
// that page current (page is 1-based, pages the total): for footers that
// need the page count ("page 3 of 12"), drawn when the document is
// complete. Afterwards the last page is current again. fn may draw but
// must not add pages.
func (d *Doc) ForEachPage(fn func(page, pages int)) {
	n := d.pdf.PageCount()
	for p := 1; p <= n; p++ {
		d.pdf.SetPage(p)
		d.hasFont = false // the font last set may have been set on another page
		fn(p, n)
	}
	d.pdf.SetPage(n)
	d.hasFont = false
}
