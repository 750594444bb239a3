// sandbox-stub: the test sandbox image's server. It answers what DeerFlow asks a sandbox
// (GET /v1/sandbox on 8080), logs a line per request and one per tick so log streaming has real
// output, and reports the files it sees under /mnt/user-data so tests can check the mount.
// `sandbox-stub fetch [-X M] [-H 'K: V'] [-d BODY] [-t SECONDS] URL` is the image's HTTP client (busybox's static wget crashes resolving
// names): it prints the body and exits 1 on any error or non-2xx answer.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// fetch [-X METHOD] [-H "Name: value"]... [-d BODY] [-t SECONDS] URL
func fetch(args []string) {
	method, body := "GET", ""
	timeout := 30 * time.Second
	headers := map[string]string{}
	for len(args) > 1 {
		switch args[0] {
		case "-X":
			method = args[1]
		case "-d":
			body = args[1]
		case "-t":
			seconds, err := time.ParseDuration(args[1] + "s")
			if err != nil {
				fmt.Fprintf(os.Stderr, "fetch: -t %s is not a number of seconds\n", args[1])
				os.Exit(2)
			}
			timeout = seconds
		case "-H":
			name, value, _ := strings.Cut(args[1], ":")
			headers[strings.TrimSpace(name)] = strings.TrimSpace(value)
		default:
			fmt.Fprintf(os.Stderr, "fetch: unknown option %s\n", args[0])
			os.Exit(2)
		}
		args = args[2:]
	}
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: sandbox-stub fetch [-X METHOD] [-H 'Name: value'] [-d BODY] [-t SECONDS] URL")
		os.Exit(2)
	}
	req, err := http.NewRequest(method, args[0], strings.NewReader(body))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: timeout}
	res, err := client.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer res.Body.Close()
	_, _ = io.Copy(os.Stdout, res.Body)
	if res.StatusCode/100 != 2 {
		fmt.Fprintf(os.Stderr, "\n%s %s: HTTP %d\n", method, args[0], res.StatusCode)
		os.Exit(1)
	}
}

func main() {
	if len(os.Args) >= 3 && os.Args[1] == "fetch" {
		fetch(os.Args[2:])
		return
	}
	log.SetFlags(0)
	hostname, _ := os.Hostname()
	go func() {
		for n := 1; ; n++ {
			log.Printf("tick %d", n)
			time.Sleep(time.Second)
		}
	}()
	http.HandleFunc("/v1/sandbox", func(w http.ResponseWriter, r *http.Request) {
		log.Printf("%s %s from %s", r.Method, r.URL.Path, r.RemoteAddr)
		var files []string
		_ = filepath.WalkDir("/mnt/user-data", func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, path)
			}
			return nil
		})
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"status":   "ok",
			"hostname": hostname,
			"sandbox":  os.Getenv("SANDBOX_ID"),
			"files":    files,
		})
	})
	addr := ":8080"
	log.Printf("sandbox-stub listening on %s", addr)
	if err := http.ListenAndServe(addr, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
