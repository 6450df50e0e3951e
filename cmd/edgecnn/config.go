package main

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/edgecnn/edgecnn/internal/safefile"
)

// maxConfigSize bounds a --config file; a real one is a few hundred bytes.
const maxConfigSize = 1 << 20

// applyConfig sets the flags of fs from a config file: one flag per line as
// NAME=VALUE (NAME alone for a boolean that is switched on), with blank
// lines and lines starting with # ignored. A flag given on the command line
// wins over the file; a repeatable flag (--gpio) takes every line that
// names it. The file may not name the config flag itself.
func applyConfig(fs *pflag.FlagSet, path string) error {
	data, err := safefile.ReadFile(path, maxConfigSize)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	return parseConfig(fs, path, data)
}

// parseConfig applies the config file text data, read from path.
func parseConfig(fs *pflag.FlagSet, path string, data []byte) error {
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *pflag.Flag) { onCommandLine[f.Name] = true })
	lines := bufio.NewScanner(bytes.NewReader(data))
	lines.Buffer(nil, maxConfigSize)
	for n := 1; lines.Scan(); n++ {
		line := strings.TrimSpace(lines.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, hasValue := strings.Cut(line, "=")
		name, value = strings.TrimSpace(strings.TrimPrefix(name, "--")), strings.TrimSpace(value)
		f := fs.Lookup(name)
		switch {
		case f == nil || name == "config" || name == "help":
			return usagef("%s:%d: unknown setting %q (the settings are the flags of `edgecnn run --help`, without the dashes)", path, n, name)
		case !hasValue && f.NoOptDefVal == "":
			return usagef("%s:%d: %s needs a value: %s=VALUE", path, n, name, name)
		case !hasValue:
			value = f.NoOptDefVal
		}
		if onCommandLine[name] {
			continue
		}
		if err := fs.Set(name, value); err != nil {
			return usagef("%s:%d: %s: %v", path, n, name, err)
		}
	}
	return nil
}
