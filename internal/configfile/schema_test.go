package configfile

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rolehop/rolehop/internal/settings/spec"
)

// TestSchemaFollowsSettingsTable shows that what a rolehop.hcl may hold at the top level is the
// settings table: every setting a file may set is an attribute with the shape its kind asks
// for, the others are refused, and a misspelt one is suggested.
func TestSchemaFollowsSettingsTable(t *testing.T) {
	// A list fits none of the settings, so each says what it wanted instead.
	wantShape := map[spec.Kind]string{
		spec.String:   " must be a string, not a list",
		spec.Duration: ` must be a number of seconds or a string like "1h", not a list`,
		spec.Bool:     " must be true or false, not a list",
		spec.RoleARNs: " must be a string, not a list",
	}
	for _, s := range spec.Settings() {
		t.Run(s.Key, func(t *testing.T) {
			src := s.Key + ` = ["x"]` + "\n"
			if !s.InFile {
				_, err := loadErr(t, src)
				want := `rolehop.hcl:1:1: unsupported argument "` + s.Key + `"`
				if err == nil || !strings.HasPrefix(err.Error(), want) {
					t.Fatalf("Load = %v, want %q", err, want)
				}
				return
			}
			c, err := loadErr(t, src)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if s.Kind == spec.RoleARNs {
				_, _, err = c.Roles()
			} else {
				_, _, _, err = c.String(s.Key)
			}
			// The error points at the value, after "KEY = ".
			want := fmt.Sprintf("rolehop.hcl:1:%d: %s%s", len(s.Key)+4, s.Key, wantShape[s.Kind])
			if err == nil || err.Error() != want {
				t.Fatalf("value error = %v, want %q", err, want)
			}

			_, err = loadErr(t, s.Key+"x = 1\n")
			if err == nil || !strings.HasSuffix(err.Error(), `; did you mean "`+s.Key+`"?`) {
				t.Errorf("misspelt %s: Load = %v, want a suggestion of %q", s.Key, err, s.Key)
			}
		})
	}
}

// TestSchemaHasNothingElse shows that the schema holds no attribute the settings table does not
// list as one a file may set, but root.
func TestSchemaHasNothingElse(t *testing.T) {
	var inFile []string
	for _, s := range spec.Settings() {
		if s.InFile {
			inFile = append(inFile, s.Key)
		}
	}
	for _, name := range newSchema().names {
		if name != attrRoot && !slices.Contains(inFile, name) {
			t.Errorf("schema has %q, which the settings table does not let a file set", name)
		}
	}
	if got, want := len(newSchema().names), len(inFile)+1; got != want {
		t.Errorf("schema has %d names, want %d: the settings a file may set, and root", got, want)
	}
}

// loadErr writes src as the only rolehop.hcl and loads it.
func loadErr(t *testing.T, src string) (*Config, error) {
	t.Helper()
	tree(t, map[string]string{FileName: src})
	return Load(FileName, here(t, nil))
}
