package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/memcheck"
)

// runFlags is the flag set of `edgecnn run`, parsed from args.
func runFlags(t *testing.T, args ...string) *pflag.FlagSet {
	cmd := runCmd()
	require.NoError(t, cmd.ParseFlags(args))
	return cmd.Flags()
}

func TestApplyConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(path, []byte(`# comment
source = rpicam
  size=640x480
quiet
log-every=1m
gpio=GPIO17=7:0.8
gpio=GPIO27=1
--threads=2
`), 0o644))
	f := runFlags(t, "--threads", "4")
	require.NoError(t, applyConfig(f, path))
	get := func(name string) string { return f.Lookup(name).Value.String() }
	require.Equal(t, "rpicam", get("source"))
	require.Equal(t, "640x480", get("size"))
	require.Equal(t, "true", get("quiet"))
	require.Equal(t, time.Minute.String(), get("log-every"))
	require.Equal(t, "[GPIO17=7:0.8,GPIO27=1]", get("gpio"))
	require.Equal(t, "4", get("threads"), "the command line wins")
	require.True(t, f.Changed("source"))

	for content, want := range map[string]string{
		"bogus=1\n":           `config:1: unknown setting "bogus"`,
		"\n\nsource\n":        `config:3: source needs a value`,
		"threads=many\n":      `config:1: threads: invalid argument "many"`,
		"config=/etc/other\n": `unknown setting "config"`,
	} {
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
		f := runFlags(t)
		err := applyConfig(f, path)
		require.ErrorContains(t, err, want)
		require.ErrorAs(t, err, new(usageError))
	}
	f = runFlags(t)
	require.ErrorContains(t, applyConfig(f, filepath.Join(dir, "missing")), "--config: open ")
}

// TestPackagedConfigParses: the config the .deb installs is valid, and says
// what the service runs.
func TestPackagedConfigParses(t *testing.T) {
	f := runFlags(t)
	require.NoError(t, applyConfig(f, "../../packaging/config"))
	require.Equal(t, "rpicam", f.Lookup("source").Value.String())
	unit, err := os.ReadFile("../../packaging/edgecnn.service")
	require.NoError(t, err)
	require.Contains(t, string(unit), "ExecStart=/usr/bin/edgecnn run --config /etc/edgecnn/config\n")
}

func TestRunConfigQuietAndLogEvery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	require.NoError(t, os.WriteFile(path, []byte("quiet\nlimit=5\n"), 0o644))
	stdout, stderr, code := edgecnn(t, "run", "--config", path)
	require.Zero(t, code, stderr)
	require.Empty(t, stdout)
	require.Contains(t, stderr, "5 frames classified")

	// The clip runs in well under a minute: only its first frame is printed.
	stdout, stderr, code = edgecnn(t, "run", "--log-every", "1m")
	require.Zero(t, code, stderr)
	require.Equal(t, 1, strings.Count(stdout, "\n"), stdout)
	require.Contains(t, stdout, "#0: ")
	require.Contains(t, stderr, "36 frames classified")

	_, stderr, code = edgecnn(t, "run", "--log-every", "-1s")
	require.Equal(t, 2, code, stderr)
}

// FuzzParseConfig: any config text is applied or refused with a usage error
// naming the line, never a panic.
func FuzzParseConfig(f *testing.F) {
	for _, seed := range []string{"source=rpicam\nquiet\n", "# c\ngpio=GPIO17=7:0.8\nthreads=2", "log-every=1m\r\n", "=\n--\nfps=-1"} {
		f.Add([]byte(seed))
	}
	// A flag set on every line: what one value costs beyond its bytes is
	// multiplied here (pflag's string slices parse each value as CSV, with
	// a 4 KB reader: 12 KB of "web-allow=a" lines allocated 4 MB).
	f.Add([]byte(strings.Repeat("web-allow=a\n", 1000)))
	f.Fuzz(func(t *testing.T, data []byte) {
		fs := runFlags(t)
		var err error
		memcheck.Check(t, len(data), func() { err = parseConfig(fs, "config", data) })
		if err != nil {
			require.ErrorAs(t, err, new(usageError))
			require.True(t, strings.HasPrefix(err.Error(), "config:"), err.Error())
		}
	})
}
