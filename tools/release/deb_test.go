package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func testDeb(t *testing.T) []byte {
	files := []debFile{
		{Path: "/usr/bin/hello", Mode: 0o755, Data: []byte("#!/bin/sh\necho hello\n")},
		{Path: "/etc/hello/config", Mode: 0o644, Data: []byte("x=1\n"), Conffile: true},
		{Path: "/lib/systemd/system/hello.service", Mode: 0o644, Data: []byte("[Service]\n")},
	}
	c := debControl{Package: "hello", Version: "1.2.3+4.gabcdef0", Arch: "amd64", Maintainer: "Someone <a@b.c>",
		Section: "misc", Summary: "says hello", Description: "First paragraph,\non two lines.\n\nSecond."}
	var buf bytes.Buffer
	require.NoError(t, writeDeb(&buf, c, files, time.Unix(1700000000, 0)))
	return buf.Bytes()
}

func TestWriteDebIsReproducible(t *testing.T) {
	require.Equal(t, testDeb(t), testDeb(t))
	require.True(t, bytes.HasPrefix(testDeb(t), []byte("!<arch>\ndebian-binary   1700000000  0     0     100644  4         `\n2.0\n")))
}

// TestWriteDebWithDpkg reads the package back with Debian's own tools.
func TestWriteDebWithDpkg(t *testing.T) {
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("dpkg-deb is not installed")
	}
	dir := t.TempDir()
	deb := filepath.Join(dir, "hello.deb")
	require.NoError(t, os.WriteFile(deb, testDeb(t), 0o644))

	info, err := exec.Command("dpkg-deb", "--info", deb).CombinedOutput()
	require.NoError(t, err, "%s", info)
	for _, want := range []string{"Package: hello\n", "Version: 1.2.3+4.gabcdef0\n", "Architecture: amd64\n",
		"Installed-Size: 3\n", "Description: says hello\n  First paragraph,\n  on two lines.\n  .\n  Second.\n", "conffiles", "md5sums"} {
		require.Contains(t, string(info), want)
	}
	contents, err := exec.Command("dpkg-deb", "--contents", deb).CombinedOutput()
	require.NoError(t, err, "%s", contents)
	for _, want := range []string{"drwxr-xr-x root/root         0 2023-11-14 22:13 ./etc/hello/\n",
		"-rwxr-xr-x root/root        21 2023-11-14 22:13 ./usr/bin/hello\n", " ./lib/systemd/system/hello.service\n"} {
		require.Contains(t, string(contents), want)
	}
	conf, err := exec.Command("dpkg-deb", "--info", deb, "conffiles").CombinedOutput()
	require.NoError(t, err, "%s", conf)
	require.Equal(t, "/etc/hello/config\n", string(conf))

	x := filepath.Join(dir, "x")
	out, err := exec.Command("dpkg-deb", "-x", deb, x).CombinedOutput()
	require.NoError(t, err, "%s", out)
	got, err := os.ReadFile(filepath.Join(x, "usr/bin/hello"))
	require.NoError(t, err)
	require.Equal(t, "#!/bin/sh\necho hello\n", string(got))
	sums, err := exec.Command("dpkg-deb", "--info", deb, "md5sums").CombinedOutput()
	require.NoError(t, err)
	check := exec.Command("md5sum", "-c")
	check.Dir, check.Stdin = x, strings.NewReader(string(sums))
	out, err = check.CombinedOutput()
	require.NoError(t, err, "%s", out)
}

func TestWriteDebRejectsBadPaths(t *testing.T) {
	for _, p := range []string{"usr/bin/x", "/usr/../etc/x", "/usr//x"} {
		err := writeDeb(&bytes.Buffer{}, debControl{}, []debFile{{Path: p}}, time.Unix(0, 0))
		require.ErrorContains(t, err, "not a clean absolute path")
	}
}

func TestVersionFromDescribe(t *testing.T) {
	for in, want := range map[string]string{
		"v1.2.3-0-gabcdef0":       "1.2.3",
		"v1.2.3-4-gabcdef0":       "1.2.3+4.gabcdef0",
		"v1.2.3-4-gabcdef0-dirty": "1.2.3+4.gabcdef0+dirty",
		"v1.0.0-rc1-0-gabcdef0":   "1.0.0~rc1",
		"abcdef0":                 "0.0.0+git.gabcdef0",
		"abcdef0-dirty":           "0.0.0+git.gabcdef0+dirty",
	} {
		v := versionFromDescribe(in)
		require.Equal(t, want, v, in)
		require.Regexp(t, validVersion, v)
	}
}
