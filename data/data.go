// Package data holds the reference data that cpcj ships and loads on first
// start. Each folder has a README naming its source and licence.
package data

import "embed"

// FS holds the shipped data files.
//
//go:embed states/participants.csv states/README.md states/LICENSE-ODbL resolution/A-RES-68-193.txt resolution/README.md treaties/*.csv treaties/README.md maps/countries-50m.json maps/README.md crime-stats/*.csv crime-stats/README.md collection/tables.json collection/rules.csv collection/README.md
var FS embed.FS
