package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/kernels"
)

// version, when set at link time (tools/release passes
// -ldflags "-X main.version=..."), overrides the module version that Go
// records from the repository's tag or commit.
var version string

// buildInfo is what `edgecnn version` reports; its JSON form is a stable
// interface.
type buildInfo struct {
	Version  string   `json:"version"`
	Commit   string   `json:"commit,omitempty"`
	Time     string   `json:"commit_time,omitempty"`
	Modified bool     `json:"modified,omitempty"` // built from a work tree with uncommitted changes
	Go       string   `json:"go"`
	Platform string   `json:"platform"`         // GOOS/GOARCH, and GOARM or GOARM64/GOAMD64 when recorded
	Flags    []string `json:"flags,omitempty"`  // -tags, -ldflags, -trimpath, CGO_ENABLED, ...
	Compiled []string `json:"kernels_compiled"` // kernel paths built in
	Runnable []string `json:"kernels_runnable"` // those this CPU can run
	Kernels  string   `json:"kernels"`          // the path in use
}

// readBuildInfo collects the build's identity from the binary itself.
func readBuildInfo() buildInfo {
	b := buildInfo{Version: "(unknown)", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
		Compiled: kernels.Compiled(), Runnable: kernels.Paths(), Kernels: kernels.Path()}
	bi, ok := debug.ReadBuildInfo()
	if ok {
		b.Version = bi.Main.Version
		for _, s := range bi.Settings {
			switch k, v := s.Key, s.Value; {
			case k == "vcs.revision":
				b.Commit = v
			case k == "vcs.time":
				b.Time = v
			case k == "vcs.modified":
				b.Modified = v == "true"
			case k == "GOARM" || k == "GOARM64" || k == "GOAMD64":
				b.Platform += " " + k + "=" + v
			case k == "CGO_ENABLED" || k == "-tags" || k == "-ldflags" || k == "-trimpath" || k == "-gcflags" || k == "-race":
				b.Flags = append(b.Flags, k+"="+v)
			}
		}
	}
	if version != "" {
		b.Version = version
	}
	return b
}

// String is the one-line form `edgecnn --version` prints.
func (b buildInfo) String() string {
	s := "edgecnn " + b.Version
	if b.Commit != "" {
		s += " (commit " + shortCommit(b.Commit)
		if b.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return s + ", " + b.Go + " " + b.Platform + ", kernels " + b.Kernels
}

func shortCommit(c string) string { return c[:min(len(c), 12)] }

func printBuildInfo(w io.Writer, b buildInfo) {
	fmt.Fprintf(w, "edgecnn  %s\n", b.Version)
	if b.Commit != "" {
		mod := ""
		if b.Modified {
			mod = " (with uncommitted changes)"
		}
		fmt.Fprintf(w, "commit   %s %s%s\n", b.Commit, b.Time, mod)
	}
	fmt.Fprintf(w, "go       %s %s\n", b.Go, b.Platform)
	if len(b.Flags) > 0 {
		fmt.Fprintf(w, "flags    %s\n", strings.Join(b.Flags, " "))
	}
	fmt.Fprintf(w, "kernels  compiled in: %s; this CPU runs: %s; in use: %s\n",
		strings.Join(b.Compiled, " "), strings.Join(b.Runnable, " "), b.Kernels)
}

func versionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build flags and kernel paths of this binary",
		Long: `Print what this binary is: its module version (the release version, or a
pseudo-version made from the commit), the commit and whether the work tree had
uncommitted changes, the Go release and target, the build flags, and the
kernel paths built in, those this CPU can run, and the one in use.
"edgecnn --version" prints the same in one line.`,
		Example: `  edgecnn version
  edgecnn version --json`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := readBuildInfo()
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(b)
			}
			printBuildInfo(cmd.OutOrStdout(), b)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}
