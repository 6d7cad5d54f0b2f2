package themes

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"go.yaml.in/yaml/v3"
)

//go:embed files/*.yaml
var files embed.FS

// ErrUnknownTheme is wrapped by Load when no embedded theme has the asked-for name.
var ErrUnknownTheme = errors.New("unknown theme")

// Theme is one parsed theme file. A NoColor theme has an empty Palette; any other has
// every colour set, so NewStyles never has to guess a fallback.
type Theme struct {
	Name    string  `yaml:"-"`
	NoColor bool    `yaml:"no-color"`
	Palette Palette `yaml:"palette"`
}

// Palette holds colours as lipgloss takes them: "#rrggbb" or an ANSI number "0".."255".
type Palette struct {
	Foreground    lipgloss.Color `yaml:"foreground"`
	Muted         lipgloss.Color `yaml:"muted"`
	Accent        lipgloss.Color `yaml:"accent"`
	Border        lipgloss.Color `yaml:"border"`
	BorderFocused lipgloss.Color `yaml:"border-focused"`
	SelectedBg    lipgloss.Color `yaml:"selected-bg"`
	SelectedFg    lipgloss.Color `yaml:"selected-fg"`
	Severity      SeverityColors `yaml:"severity"`
	Status        StatusColors   `yaml:"status"`
	OK            lipgloss.Color `yaml:"ok"`
	Warn          lipgloss.Color `yaml:"warn"`
	Error         lipgloss.Color `yaml:"error"`
	DrillFg       lipgloss.Color `yaml:"drill-fg"`
	DrillBg       lipgloss.Color `yaml:"drill-bg"`
	Overdue       lipgloss.Color `yaml:"overdue"`
}

// SeverityColors colours the incident severities P1 (worst) to P4.
type SeverityColors struct {
	P1 lipgloss.Color `yaml:"P1"`
	P2 lipgloss.Color `yaml:"P2"`
	P3 lipgloss.Color `yaml:"P3"`
	P4 lipgloss.Color `yaml:"P4"`
}

// StatusColors colours the incident statuses, in the order an incident moves through them.
type StatusColors struct {
	Declared  lipgloss.Color `yaml:"declared"`
	Triaged   lipgloss.Color `yaml:"triaged"`
	Contained lipgloss.Color `yaml:"contained"`
	Recovered lipgloss.Color `yaml:"recovered"`
	Resolved  lipgloss.Color `yaml:"resolved"`
}

type namedColor struct {
	key string // as written in the theme file, for error messages
	c   lipgloss.Color
}

// colors lists every palette entry once, so validation and tests cannot miss a new field
// as long as it is added here.
func (p Palette) colors() []namedColor {
	return []namedColor{
		{"foreground", p.Foreground},
		{"muted", p.Muted},
		{"accent", p.Accent},
		{"border", p.Border},
		{"border-focused", p.BorderFocused},
		{"selected-bg", p.SelectedBg},
		{"selected-fg", p.SelectedFg},
		{"severity.P1", p.Severity.P1},
		{"severity.P2", p.Severity.P2},
		{"severity.P3", p.Severity.P3},
		{"severity.P4", p.Severity.P4},
		{"status.declared", p.Status.Declared},
		{"status.triaged", p.Status.Triaged},
		{"status.contained", p.Status.Contained},
		{"status.recovered", p.Status.Recovered},
		{"status.resolved", p.Status.Resolved},
		{"ok", p.OK},
		{"warn", p.Warn},
		{"error", p.Error},
		{"drill-fg", p.DrillFg},
		{"drill-bg", p.DrillBg},
		{"overdue", p.Overdue},
	}
}

// Names lists the embedded themes, sorted.
func Names() []string {
	entries, err := fs.ReadDir(files, "files")
	if err != nil {
		return nil // cannot happen: the directory is embedded at build time
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, name)
		}
	}
	return names
}

// Load parses the embedded theme called name.
func Load(name string) (Theme, error) {
	names := Names()
	if !slices.Contains(names, name) {
		return Theme{}, fmt.Errorf("%w %q (valid: %s)", ErrUnknownTheme, name, strings.Join(names, ", "))
	}
	data, err := files.ReadFile("files/" + name + ".yaml")
	if err != nil {
		return Theme{}, fmt.Errorf("theme %s: %w", name, err)
	}
	return parse(name, data)
}

// Resolve picks the theme name to load. NO_COLOR wins over everything, the flag included,
// because a user who set it may be on a terminal where colour codes print as garbage.
func Resolve(flag string, getenv func(string) string) string {
	switch {
	case getenv("NO_COLOR") != "":
		return "mono"
	case flag != "":
		return flag
	case getenv("TMINUS_THEME") != "":
		return getenv("TMINUS_THEME")
	default:
		return "dark"
	}
}

var hexColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

func parse(name string, data []byte) (Theme, error) {
	var t Theme
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelt key would otherwise leave a colour silently unset
	if err := dec.Decode(&t); err != nil {
		if errors.Is(err, io.EOF) {
			return Theme{}, fmt.Errorf("theme %s: file is empty (set a palette, or no-color: true)", name)
		}
		return Theme{}, fmt.Errorf("theme %s: %w", name, err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Theme{}, fmt.Errorf("theme %s: more than one YAML document; a theme file holds one", name)
	}
	t.Name = name

	var missing, set []string
	for _, nc := range t.Palette.colors() {
		if nc.c == "" {
			missing = append(missing, nc.key)
			continue
		}
		set = append(set, nc.key)
		if !validColor(string(nc.c)) {
			return Theme{}, fmt.Errorf("theme %s: palette.%s: %q is not a colour (want \"#rrggbb\" or an ANSI number 0-255)", name, nc.key, string(nc.c))
		}
	}
	switch {
	case t.NoColor && len(set) > 0:
		return Theme{}, fmt.Errorf("theme %s: no-color is true but the palette sets %s (drop one or the other)", name, strings.Join(set, ", "))
	case !t.NoColor && len(missing) > 0:
		return Theme{}, fmt.Errorf("theme %s: palette misses %s (set every colour, or no-color: true)", name, strings.Join(missing, ", "))
	}
	return t, nil
}

func validColor(s string) bool {
	if hexColor.MatchString(s) {
		return true
	}
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0 && n <= 255 && strconv.Itoa(n) == s
}
