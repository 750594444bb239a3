// runc-wrapper: the test Docker engine's default runtime on machines whose capability bounding
// set lacks capabilities that `docker run --privileged` asks for (CAP_SYS_RESOURCE on the CI
// machines: runc fails with "unable to apply caps: operation not permitted").
//
// It removes every capability this process cannot hold from the OCI spec that runc is about to
// apply — the bundle's config.json on `create`/`run`, the `--process` file on `exec` — and then
// executes the real runc with the same arguments. Nothing else is changed. Test-only: the
// product never installs it; see docs/real-kind.md.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// capNames maps capability numbers to the names OCI specs use (linux/capability.h order).
var capNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
	"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// boundingSet reads CapBnd from /proc/self/status: the capabilities any child can still hold.
func boundingSet() (map[string]bool, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if hex, ok := strings.CutPrefix(line, "CapBnd:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			if err != nil {
				return nil, err
			}
			held := map[string]bool{}
			for bit, name := range capNames {
				if mask&(1<<uint(bit)) != 0 {
					held[name] = true
				}
			}
			return held, nil
		}
	}
	return nil, fmt.Errorf("no CapBnd line in /proc/self/status")
}

// filterCaps keeps only held capabilities in every set of an OCI process object.
func filterCaps(process map[string]any, held map[string]bool) {
	caps, ok := process["capabilities"].(map[string]any)
	if !ok {
		return
	}
	for set, list := range caps {
		names, ok := list.([]any)
		if !ok {
			continue
		}
		kept := []any{}
		for _, n := range names {
			if s, ok := n.(string); ok && held[s] {
				kept = append(kept, n)
			}
		}
		caps[set] = kept
	}
}

// rewrite edits one JSON file in place; isSpec says whether it is a whole spec (process inside)
// or a process object on its own (runc exec --process).
func rewrite(path string, isSpec bool, held map[string]bool) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	process := doc
	if isSpec {
		p, ok := doc["process"].(map[string]any)
		if !ok {
			return nil
		}
		process = p
	}
	filterCaps(process, held)
	out, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, info.Mode().Perm())
}

// flagValue finds "--name value", "--name=value" (and a short form) after the subcommand.
func flagValue(args []string, names ...string) string {
	for i, a := range args {
		for _, n := range names {
			if a == n && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, n+"="); ok {
				return v
			}
		}
	}
	return ""
}

func main() {
	real := os.Getenv("SPD_REAL_RUNC")
	if real == "" {
		real = "/usr/sbin/runc"
	}
	args := os.Args[1:]
	if err := adjust(args); err != nil {
		fmt.Fprintf(os.Stderr, "runc-wrapper: %v\n", err)
		os.Exit(1)
	}
	if err := syscall.Exec(real, append([]string{real}, args...), os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "runc-wrapper: exec %s: %v\n", real, err)
		os.Exit(1)
	}
}

func adjust(args []string) error {
	sub := -1
	for i, a := range args {
		if a == "create" || a == "run" || a == "exec" {
			sub = i
			break
		}
	}
	if sub < 0 {
		return nil
	}
	held, err := boundingSet()
	if err != nil {
		return err
	}
	rest := args[sub+1:]
	if args[sub] == "exec" {
		if p := flagValue(rest, "--process", "-p"); p != "" {
			return rewrite(p, false, held)
		}
		return nil
	}
	bundle := flagValue(rest, "--bundle", "-b")
	if bundle == "" {
		bundle = "."
	}
	return rewrite(filepath.Join(bundle, "config.json"), true, held)
}
