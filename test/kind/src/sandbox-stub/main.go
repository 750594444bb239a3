// sandbox-stub: the test sandbox image's server. It answers what DeerFlow asks a sandbox
// (GET /v1/sandbox on 8080), logs a line per request and one per tick so log streaming has real
// output, and reports the files it sees under /mnt/user-data so tests can check the mount.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

func main() {
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
