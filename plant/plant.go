// Package plant describes the plant Floorfeed serves: its sites, production
// lines, stations, report categories and R&D teams, read from floorfeed.yaml
// or taken from the built-in sample (a rare-earth materials plant).
package plant

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed sample.yaml
var sampleYAML []byte

// SampleYAML returns the built-in sample plant file, for `floorfeed demo` and
// as a starting point for a real one.
func SampleYAML() []byte { return append([]byte(nil), sampleYAML...) }

// Name is a display name in both of the plant's languages.
type Name struct {
	ZH string `yaml:"zh" json:"zh"`
	EN string `yaml:"en" json:"en"`
}

// In returns the name in lang ("zh" or "en"), falling back to the other.
func (n Name) In(lang string) string {
	if lang == "zh" && n.ZH != "" || n.EN == "" {
		return n.ZH
	}
	return n.EN
}

// Site is one location of the plant.
type Site struct {
	ID   string `yaml:"id" json:"id"`
	Name Name   `yaml:"name" json:"name"`
}

// Line is a production line; each has a QR code.
type Line struct {
	ID       string   `yaml:"id" json:"id"`
	Site     string   `yaml:"site" json:"site"`
	Name     Name     `yaml:"name" json:"name"`
	Stations []string `yaml:"stations" json:"stations"`
	Team     string   `yaml:"team" json:"team"` // owning R&D team
}

// Category is a kind of report.
type Category struct {
	ID   string `yaml:"id" json:"id"`
	Name Name   `yaml:"name" json:"name"`
}

// Team is an R&D team that receives briefs.
type Team struct {
	ID     string   `yaml:"id" json:"id"`
	Name   Name     `yaml:"name" json:"name"`
	Emails []string `yaml:"emails" json:"emails"`
	// Brief delivery and alerts; see teams.go, which validates them.
	Filter   TeamFilter `yaml:"filter" json:"filter"`
	Schedule string     `yaml:"schedule" json:"schedule,omitempty"` // cron, 5 fields; empty: no scheduled brief
	Timezone string     `yaml:"timezone" json:"timezone,omitempty"` // IANA zone of Schedule (default DefaultTeamTimezone)
	Lang     string     `yaml:"lang" json:"lang,omitempty"`         // zh or en (default zh)
	Webhook  *Webhook   `yaml:"webhook" json:"-"`                   // optional alert webhook (holds a secret: never in JSON)

	sched teamSchedule // set by validation
}

// Plant is the whole plant description.
type Plant struct {
	Name       Name       `yaml:"name" json:"name"`
	Sites      []Site     `yaml:"sites" json:"sites"`
	Lines      []Line     `yaml:"lines" json:"lines"`
	Categories []Category `yaml:"categories" json:"categories"`
	Teams      []Team     `yaml:"teams" json:"teams"`
	// Glossary adds the plant's own terms to the built-in bilingual
	// glossary that groups similar reports (themes.PlantGlossary).
	Glossary []GlossaryEntry `yaml:"glossary,omitempty" json:"glossary,omitempty"`
}

// GlossaryEntry is one concept of the plant's glossary: its id and the
// terms that name it in Chinese and English (at least one in all). An id
// the built-in glossary knows gains the terms as synonyms.
type GlossaryEntry struct {
	Concept string   `yaml:"concept" json:"concept"`
	ZH      []string `yaml:"zh" json:"zh"`
	EN      []string `yaml:"en" json:"en"`
}

// DefaultCategories are used when the plant file lists none.
var DefaultCategories = []Category{
	{ID: "quality", Name: Name{ZH: "质量", EN: "Quality"}},
	{ID: "equipment", Name: Name{ZH: "设备", EN: "Equipment"}},
	{ID: "process", Name: Name{ZH: "工艺/收率", EN: "Process / yield"}},
	{ID: "materials", Name: Name{ZH: "原辅材料", EN: "Materials"}},
	{ID: "safety", Name: Name{ZH: "安全/环保", EN: "Safety / environment"}},
	{ID: "idea", Name: Name{ZH: "改进建议", EN: "Improvement idea"}},
	{ID: "other", Name: Name{ZH: "其他", EN: "Other"}},
}

// Line returns the line with id.
func (p *Plant) Line(id string) (Line, bool) {
	for _, l := range p.Lines {
		if l.ID == id {
			return l, true
		}
	}
	return Line{}, false
}

// Category returns the category with id.
func (p *Plant) Category(id string) (Category, bool) {
	for _, c := range p.Categories {
		if c.ID == id {
			return c, true
		}
	}
	return Category{}, false
}

// Team returns the team with id.
func (p *Plant) Team(id string) (Team, bool) {
	for _, t := range p.Teams {
		if t.ID == id {
			return t, true
		}
	}
	return Team{}, false
}

// Load reads and validates a plant file. An empty path gives the sample.
func Load(path string) (*Plant, error) {
	if path == "" {
		return Parse(sampleYAML)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plant file: %w", err)
	}
	p, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("plant file %s: %w", path, err)
	}
	return p, nil
}

// Sample returns the built-in sample plant.
func Sample() *Plant {
	p, err := Parse(sampleYAML)
	if err != nil {
		panic(fmt.Sprintf("built-in sample plant is invalid: %v", err)) // caught by tests
	}
	return p
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// Parse decodes and validates a plant file. Decoding is strict: a key the
// plant file does not know (a misspelt "station:" for "stations:") is an
// error naming its line, not a setting silently ignored.
func Parse(b []byte) (*Plant, error) {
	var p Plant
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		// io.EOF: an empty file, which validate reports as having no lines.
		return nil, fmt.Errorf("parse yaml: %w", err)
	}
	if len(p.Categories) == 0 {
		p.Categories = append([]Category(nil), DefaultCategories...)
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

func (p *Plant) validate() error {
	if len(p.Lines) == 0 {
		return fmt.Errorf("no lines: a plant needs at least one production line")
	}
	sites, err := uniqueIDs("sites", p.Sites, func(s Site) string { return s.ID })
	if err != nil {
		return err
	}
	teams, err := uniqueIDs("teams", p.Teams, func(t Team) string { return t.ID })
	if err != nil {
		return err
	}
	if _, err := uniqueIDs("categories", p.Categories, func(c Category) string { return c.ID }); err != nil {
		return err
	}
	if _, err := uniqueIDs("lines", p.Lines, func(l Line) string { return l.ID }); err != nil {
		return err
	}
	if err := validateGlossary(p.Glossary); err != nil {
		return err
	}
	if err := p.validateTeams(); err != nil {
		return err
	}
	for i, l := range p.Lines {
		switch {
		case l.Name.ZH == "" && l.Name.EN == "":
			return fmt.Errorf("lines[%d] (%s): needs a name (zh and/or en)", i, l.ID)
		case l.Site != "" && len(sites) > 0 && !sites[l.Site]:
			return fmt.Errorf("lines[%d] (%s): unknown site %q", i, l.ID, l.Site)
		case l.Team != "" && !teams[l.Team]:
			return fmt.Errorf("lines[%d] (%s): unknown team %q", i, l.ID, l.Team)
		}
	}
	return nil
}

// uniqueIDs checks that every item of a list has a well-formed id of its own
// and returns the set of ids; kind names the list in errors.
func uniqueIDs[T any](kind string, items []T, id func(T) string) (map[string]bool, error) {
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		v := id(it)
		if !idPattern.MatchString(v) {
			return nil, fmt.Errorf("%s[%d]: id %q must be lower-case letters, digits, - or _ (at most 40)", kind, i, v)
		}
		if seen[v] {
			return nil, fmt.Errorf("%s[%d]: duplicate id %q", kind, i, v)
		}
		seen[v] = true
	}
	return seen, nil
}

var conceptPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// validateGlossary checks the plant's glossary entries on their own (that
// a term does not already name another built-in concept is checked when
// the glossary is built, by themes.PlantGlossary).
func validateGlossary(es []GlossaryEntry) error {
	seen := map[string]bool{}
	for i, e := range es {
		if !conceptPattern.MatchString(e.Concept) {
			return fmt.Errorf("glossary[%d]: concept %q must be lower-case letters, digits or - (at most 40)", i, e.Concept)
		}
		if seen[e.Concept] {
			return fmt.Errorf("glossary[%d]: duplicate concept %q", i, e.Concept)
		}
		seen[e.Concept] = true
		if len(e.ZH)+len(e.EN) == 0 {
			return fmt.Errorf("glossary[%d] (%s): needs at least one zh or en term", i, e.Concept)
		}
		for _, t := range append(append([]string(nil), e.ZH...), e.EN...) {
			if strings.TrimSpace(t) == "" || len([]rune(t)) > 60 {
				return fmt.Errorf("glossary[%d] (%s): term %q must be 1 to 60 characters", i, e.Concept, t)
			}
		}
	}
	return nil
}
