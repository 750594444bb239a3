package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestFlagValue(t *testing.T) {
	args := []string{"--bundle", "/b", "--pid-file=/p", "-p", "/proc.json", "id"}
	if got := flagValue(args, "--bundle", "-b"); got != "/b" {
		t.Fatalf("--bundle: %q", got)
	}
	if got := flagValue(args, "--pid-file"); got != "/p" {
		t.Fatalf("--pid-file=: %q", got)
	}
	if got := flagValue(args, "--process", "-p"); got != "/proc.json" {
		t.Fatalf("-p: %q", got)
	}
	if got := flagValue([]string{"--bundle"}, "--bundle"); got != "" {
		t.Fatalf("a flag without its value: %q", got)
	}
}

func TestFilterCapsKeepsOnlyHeldOnes(t *testing.T) {
	held := map[string]bool{"CAP_CHOWN": true, "CAP_SYS_ADMIN": true}
	process := map[string]any{"capabilities": map[string]any{
		"bounding":  []any{"CAP_CHOWN", "CAP_SYS_RESOURCE", "CAP_SYS_ADMIN"},
		"effective": []any{"CAP_SYS_RESOURCE"},
	}}
	filterCaps(process, held)
	caps := process["capabilities"].(map[string]any)
	if !reflect.DeepEqual(caps["bounding"], []any{"CAP_CHOWN", "CAP_SYS_ADMIN"}) || !reflect.DeepEqual(caps["effective"], []any{}) {
		t.Fatalf("caps after filtering: %v", caps)
	}
}

func readCaps(t *testing.T, path string, isSpec bool) []any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if isSpec {
		doc = doc["process"].(map[string]any)
	}
	return doc["capabilities"].(map[string]any)["bounding"].([]any)
}

// adjust edits the bundle's config.json on create and the --process file on exec, and leaves
// other subcommands' files alone. CAP_SYS_RESOURCE stands for a capability this process lacks:
// the test drops it from the held set by reading the real bounding set and removing it.
func TestAdjustEditsTheFileRuncWillApply(t *testing.T) {
	held, err := boundingSet()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	unknown := "CAP_NOT_A_CAPABILITY"
	spec := `{"ociVersion":"1.0.2","process":{"args":["sh"],"capabilities":{"bounding":["CAP_CHOWN","` + unknown + `"]}},"root":{"path":"rootfs"}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := adjust([]string{"--root", "/run/runc", "create", "--bundle", dir, "c1"}); err != nil {
		t.Fatal(err)
	}
	want := []any{}
	if held["CAP_CHOWN"] {
		want = append(want, "CAP_CHOWN")
	}
	if got := readCaps(t, filepath.Join(dir, "config.json"), true); !reflect.DeepEqual(got, want) {
		t.Fatalf("spec caps: %v, want %v", got, want)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	var doc map[string]any
	_ = json.Unmarshal(raw, &doc)
	if doc["root"].(map[string]any)["path"] != "rootfs" {
		t.Fatalf("other fields changed: %s", raw)
	}

	proc := filepath.Join(dir, "process.json")
	if err := os.WriteFile(proc, []byte(`{"args":["ls"],"capabilities":{"bounding":["`+unknown+`"]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := adjust([]string{"exec", "--process", proc, "c1"}); err != nil {
		t.Fatal(err)
	}
	if got := readCaps(t, proc, false); len(got) != 0 {
		t.Fatalf("process caps: %v", got)
	}

	untouched := filepath.Join(dir, "other.json")
	_ = os.WriteFile(untouched, []byte(`{"capabilities":{"bounding":["`+unknown+`"]}}`), 0o600)
	if err := adjust([]string{"delete", "c1"}); err != nil {
		t.Fatal(err)
	}
	if got := readCaps(t, untouched, false); len(got) != 1 {
		t.Fatalf("delete must change nothing: %v", got)
	}
}
