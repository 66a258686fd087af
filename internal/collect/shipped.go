package collect

import (
	"fmt"
	"io/fs"

	"github.com/cpcj/cpcj/internal/stats"
)

// The files of the data folder (data.FS) that hold the questionnaire
// tables and validation rules cpcj ships.
const (
	TablesFile = "collection/tables.json"
	RulesFile  = "collection/rules.csv"
)

// Shipped reads the tables and rules cpcj ships from the data folder,
// checked against the code lists and dataflows of st.
func Shipped(fsys fs.FS, st *stats.Structure) ([]Table, []Rule, error) {
	f, err := fsys.Open(TablesFile)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	tables, err := ReadTables(f, st)
	if err != nil {
		return nil, nil, fmt.Errorf("data/%s %w", TablesFile, err)
	}
	g, err := fsys.Open(RulesFile)
	if err != nil {
		return nil, nil, err
	}
	defer g.Close()
	rules, err := ReadRules(g, tables, st)
	if err != nil {
		return nil, nil, fmt.Errorf("data/%s %w", RulesFile, err)
	}
	return tables, rules, nil
}
