package runbooks

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// cliExample is the runbook file CLI.md shows, byte for byte.
const cliExample = "---\n" +
	"id: host-quarantine\n" +
	"title: Quarantine a host\n" +
	"when: Off-chain infrastructure breach on a known host\n" +
	"severity: [P1, P2]\n" +
	"risk: high            # high: needs the quorum before exec; low: no approvals needed\n" +
	"quorum: 2             # distinct approvers, the proposer counting once\n" +
	"approvers: [containment, triage]\n" +
	"params:\n" +
	"  host:\n" +
	"    description: DNS name of the host\n" +
	"    pattern: '^[a-z0-9.-]+$'\n" +
	"---\n" +
	"# Quarantine a host\n" +
	"\n" +
	"1. Capture the process list first (evidence)\n" +
	"   ```sh\n" +
	"   ssh {{host}} ps auxww\n" +
	"   ```\n" +
	"2. Cut the host off the network\n" +
	"   ```sh\n" +
	"   ssh {{host}} sudo nft add rule inet filter output drop\n" +
	"   ```\n"

func TestParseCLIExample(t *testing.T) {
	rb, err := Parse("host-quarantine.md", []byte(cliExample))
	if err != nil {
		t.Fatal(err)
	}
	if rb.ID != "host-quarantine" || rb.Risk != RiskHigh || rb.Quorum != 2 {
		t.Errorf("got id %q risk %q quorum %d", rb.ID, rb.Risk, rb.Quorum)
	}
	if !slices.Equal(rb.Severity, []string{"P1", "P2"}) || !slices.Equal(rb.Approvers, []string{"containment", "triage"}) {
		t.Errorf("got severity %v approvers %v", rb.Severity, rb.Approvers)
	}
	if len(rb.Params) != 1 || rb.Params[0].Name != "host" || rb.Params[0].Description != "DNS name of the host" {
		t.Errorf("got params %+v", rb.Params)
	}
	if len(rb.Steps) != 2 || rb.Steps[1].Title != "Cut the host off the network" || rb.Steps[1].Line != 20 {
		t.Errorf("got steps %+v", rb.Steps)
	}
	if got := rb.Steps[0].Params(); !slices.Equal(got, []string{"host"}) {
		t.Errorf("step 1 params = %v", got)
	}
	if len(rb.ContentHash) != 64 || rb.Source != "host-quarantine.md" {
		t.Errorf("hash %q source %q", rb.ContentHash, rb.Source)
	}
	again, _ := Parse("x.md", []byte(cliExample+"\n"))
	if again.ContentHash == rb.ContentHash {
		t.Error("content hash ignores a trailing newline; it must cover the exact bytes")
	}
}

// runbook builds a test file from front matter fields and a body.
func runbook(front, body string) string {
	return "---\n" + front + "---\n" + body
}

const (
	okFront = "id: t\ntitle: T\nrisk: high\nquorum: 2\napprovers: [containment]\n" +
		"params:\n  v:\n    description: d\n    pattern: '^[a-z]+$'\n" // lines 2-10, closing --- on 11
	okBody = "1. Do\n   ```sh\n   echo {{v}}\n   ```\n" // step on line 12, command on 14
)

func withCommand(cmd string) string {
	return runbook(okFront, "1. Do\n   ```sh\n   "+cmd+"\n   ```\n")
}

func withPattern(p string) string {
	return runbook(strings.Replace(okFront, "'^[a-z]+$'", p, 1), okBody)
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"no front matter", "# Title\n1. x\n", "t.md:1: missing front matter"},
		{"front matter not closed", "---\nid: t\n", "t.md:1: front matter is not closed"},
		{"bad yaml", runbook("id: t\n  title: : x\n", okBody), "t.md:3: front matter: mapping values are not allowed"},
		{"tab indent", runbook("id: t\nparams:\n\tv: x\n", okBody), "t.md:4: front matter: a tab"},
		{"not a mapping", runbook("- a\n", okBody), "t.md:2: front matter must be a YAML mapping"},
		{"missing id", runbook(strings.Replace(okFront, "id: t\n", "", 1), okBody), "t.md:1: id is missing"},
		{"bad id", runbook(strings.Replace(okFront, "id: t", "id: Host_Q", 1), okBody), "t.md:2: id \"Host_Q\" may only hold"},
		{"missing title", runbook(strings.Replace(okFront, "title: T\n", "", 1), okBody), "t.md:1: title is missing"},
		{"duplicate key", runbook(okFront+"id: u\n", okBody), "t.md:11: id is set twice (first at line 2)"},
		{"unknown key", runbook(okFront+"qourum: 3\n", okBody), `t.md:11: unknown field "qourum"`},
		{"missing risk", runbook(strings.Replace(okFront, "risk: high\n", "", 1), okBody), "t.md:1: risk must be low or high"},
		{"bad risk", runbook(strings.Replace(okFront, "risk: high", "risk: medium", 1), okBody), "t.md:4: risk must be low or high"},
		{"quorum not a number", runbook(strings.Replace(okFront, "quorum: 2", "quorum: two", 1), okBody), "t.md:5: quorum must be a positive integer"},
		{"quorum quoted", runbook(strings.Replace(okFront, "quorum: 2", `quorum: "2"`, 1), okBody), "t.md:5: quorum must be a positive integer"},
		{"quorum zero when high", runbook(strings.Replace(okFront, "quorum: 2", "quorum: 0", 1), okBody), "t.md:5: quorum must be a positive integer"},
		{"quorum missing when high", runbook(strings.Replace(okFront, "quorum: 2\n", "", 1), okBody), "t.md:1: quorum must be a positive integer"},
		{"no approvers when high", runbook(strings.Replace(okFront, "approvers: [containment]\n", "", 1), okBody), "t.md:1: approvers must name at least one role"},
		{"unknown role", runbook(strings.Replace(okFront, "[containment]", "[containment, admin]", 1), okBody), `t.md:6: approver role "admin"`},
		{"bad severity", runbook(okFront+"severity: [P1, P5]\n", okBody), `t.md:11: severity "P5"`},
		{"param without pattern", withPattern("''"), "t.md:8: param v has no pattern"},
		{"pattern does not compile", withPattern("'^[a-z+$'"), "t.md:10: param v: pattern does not compile"},
		{"unanchored pattern", withPattern("'[a-z]+'"), "t.md:10: param v: pattern [a-z]+ must start with ^ and end with $"},
		{"start anchor only", withPattern("'^[a-z]+'"), "t.md:10: param v: pattern ^[a-z]+ must start"},
		{"anchors on one branch each", withPattern("'^a|b$'"), "t.md:10: param v: pattern ^a|b$ must start"},
		{"multiline anchors", withPattern("'(?m)^[a-z]+$'"), "t.md:10: param v: pattern (?m)^[a-z]+$ must start"},
		{"escaped dollar", withPattern(`'^[a-z]+\$'`), "t.md:10: param v: pattern"},
		{"bad param name", runbook(strings.Replace(okFront, "  v:", "  V-1:", 1), okBody), `t.md:8: param name "V-1"`},
		{"no steps", runbook(okFront, "# Just a title\n"), "t.md:12: no steps"},
		{"undeclared placeholder", withCommand("echo {{v}} {{host}}"), "t.md:14: step 1 uses {{host}} but params declares no host (declared: v)"},
		{"malformed placeholder", withCommand("echo {{v}} {{Host}}"), "t.md:14: step 1: malformed placeholder"},
		{"step without command", runbook(okFront, "1. Do\n   nothing here\n2. Next\n   ```sh\n   echo {{v}}\n   ```\n"), "t.md:12: step 1 has no command"},
		{"last step without command", runbook(okFront, okBody+"2. Next\n"), "t.md:16: step 2 has no command"},
		{"two commands in a step", runbook(okFront, okBody+"   ```sh\n   echo again\n   ```\n"), "t.md:16: step 1 has a second command block"},
		{"two lines in a block", runbook(okFront, "1. Do\n   ```sh\n   echo {{v}}\n   rm -rf /tmp/x\n   ```\n"), "t.md:14: step 1: the command block has 2 lines"},
		{"empty block", runbook(okFront, "1. Do\n   ```sh\n   ```\n"), "t.md:13: step 1: the command block is empty"},
		{"steps out of order", runbook(okFront, okBody+"3. Skip\n   ```sh\n   true\n   ```\n"), "t.md:16: step numbered 3, expected 2"},
		{"bash fence", runbook(okFront, "1. Do\n   ```bash\n   echo\n   ```\n"), `t.md:13: code block marked "bash"`},
		{"bare fence", runbook(okFront, "1. Do\n   ```\n   echo\n   ```\n"), `t.md:13: code block marked ""`},
		{"command before steps", runbook(okFront, "```sh\necho\n```\n"+okBody), "t.md:12: command block outside a numbered step"},
		{"unclosed block", runbook(okFront, "1. Do\n   ```sh\n   echo {{v}}\n"), "t.md:13: code block is not closed"},
		{"in single quotes", withCommand("echo '{{v}}'"), "t.md:14: step 1: {{v}} is inside single quotes"},
		{"in double quotes", withCommand(`echo "x {{v}}"`), "t.md:14: step 1: {{v}} is inside double quotes"},
		{"in backticks", withCommand("echo `echo {{v}}`"), "{{v}} is inside backticks"},
		{"in a comment", withCommand("echo hi # {{v}}"), "{{v}} is inside a comment"},
		{"in parameter expansion", withCommand("echo ${X:-{{v}}}"), "{{v}} is inside ${...}"},
		{"after a backslash", withCommand(`echo \{{v}}`), `{{v}} follows '\\'`},
		{"after a dollar", withCommand("echo ${{v}}"), `{{v}} follows '$'`},
		{"escaped inside double quotes", withCommand(`echo "\{{v}}"`), "part of an escape"},
		{"in quotes inside $( )", withCommand(`echo $(echo '{{v}}')`), "{{v}} is inside single quotes"},
		{"in arithmetic", withCommand("echo $(( {{v}} + 1 ))"), "{{v}} is inside an arithmetic expansion"},
		{"in arithmetic in double quotes", withCommand(`echo "$(( {{v}} ))"`), "inside an arithmetic expansion"},
		{"old bash arithmetic", withCommand("echo $[1] {{v}}"), "$[ is read differently by bash and dash"},
		{"quotes in arithmetic", withCommand("echo $(( '1' )) {{v}}"), "quotes or escapes inside $((...))"},
		{"in bash arithmetic command", withCommand("(( {{v}} ))"), "{{v}} is inside an arithmetic expansion"},
		{"bash test", withCommand("[[ {{v}} -eq 1 ]]"), "[[ is bash-only"},
		{"unbalanced arithmetic", withCommand("echo $(()x {{v}} ))"), "unbalanced ) inside $((...))"},
		{"unclosed quote", withCommand("echo {{v}} 'x"), "step 1: a ' quote is not closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkParseError(t, tt.text, tt.want)
		})
	}
}

func checkParseError(t *testing.T, text, want string) {
	t.Helper()
	rb, err := Parse("t.md", []byte(text))
	if err == nil {
		t.Fatalf("parsed, want error %q; got %+v", want, rb)
	}
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Errorf("error %v is not a *ParseError", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error\n  %v\nwant it to contain\n  %s", err, want)
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name, text string
		steps      int
	}{
		{"adjacent to words", withCommand("curl https://x/{{v}}/y --data '{\"a\":\"'{{v}}'\"}'"), 1},
		{"inside $( ) inside double quotes", withCommand(`echo "$(printf %s {{v}})"`), 1},
		{"nested $( )", withCommand(`echo $(echo $( (echo {{v}}) ))`), 1},
		{"after arithmetic", withCommand("echo $((1+(2*3))) {{v}} $(( (4) )) {{v}}"), 1},
		{"hash inside a word", withCommand("echo a#{{v}}"), 1},
		{"low risk without quorum", runbook("id: t\ntitle: T\nrisk: low\n", "1. Do\n   ```sh\n   date -u\n   ```\n"), 1},
		{"alternation of anchored branches", withPattern(`'^a$|^b$'`), 1},
		{"anchored group", withPattern(`'^(a|b)$'`), 1},
		{"text block and notes", runbook(okFront, "Intro.\n\n```text\nnot a command\n```\n"+okBody+"   Expect:\n   ```text\n   v\n   ```\n"), 1},
		{"crlf and bom", "\ufeff" + strings.ReplaceAll(runbook(okFront, okBody), "\n", "\r\n"), 1},
		{"longer fence", runbook(okFront, "1. Do\n   ````sh\n   echo {{v}}\n   ````\n"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rb, err := Parse("t.md", []byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			if len(rb.Steps) != tt.steps {
				t.Errorf("got %d steps, want %d", len(rb.Steps), tt.steps)
			}
			if strings.Contains(rb.Steps[0].Notes, "not a command") {
				t.Errorf("step 1 notes took in text from before the step: %q", rb.Steps[0].Notes)
			}
		})
	}
}
