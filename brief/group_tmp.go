package brief

import "github.com/floorfeed/floorfeed/store"

// Glossary is a placeholder until package themes lands.
type Glossary = any

func defaultGlossary() Glossary { return struct{}{} }

func (m *Maker) themes(reps []store.Report) []Theme { return nil }
