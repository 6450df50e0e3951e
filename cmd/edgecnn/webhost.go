package main

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// hostCheck is the set of host names the web preview answers to. It is
// the defence against DNS rebinding: a page on another site, open in a
// browser on the Pi or the LAN, whose name is made to resolve to the
// preview's address may request the camera frames, but the browser still
// sends that site's name as Host (and its origin as Origin).
type hostCheck struct {
	any   bool            // --web-allow '*': no check
	names map[string]bool // canonical names (see canonicalHost)
}

// hostNames is the value of --web-allow: names, comma-separated or by
// repeating the flag. It is pflag's string slice without the CSV parsing,
// which takes a fresh 4 KB reader per value: a config file may set the
// flag on each of thousands of lines.
type hostNames []string

func (h *hostNames) Set(v string) error {
	for name := range strings.SplitSeq(v, ",") {
		if name = strings.TrimSpace(name); name != "" {
			*h = append(*h, name)
		}
	}
	return nil
}

func (h *hostNames) String() string {
	if len(*h) == 0 {
		return "" // no default shown in --help
	}
	return strings.Join(*h, ",")
}

func (h *hostNames) Type() string { return "strings" }

// newHostCheck accepts loopback names and addresses, the address the
// preview is bound to (when it is bound to every interface: the machine's
// addresses, its host name and host name.local), and the names in allow;
// "*" in allow turns the check off.
func newHostCheck(bound net.IP, allow []string) *hostCheck {
	c := &hostCheck{names: map[string]bool{"localhost": true}}
	add := func(h string) { c.names[canonicalHost(h)] = true }
	if bound.IsUnspecified() {
		if addrs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range addrs {
				if ipn, ok := a.(*net.IPNet); ok {
					add(ipn.IP.String())
				}
			}
		}
		if name, err := os.Hostname(); err == nil && name != "" {
			add(name)
			add(name + ".local") // mDNS, e.g. raspberrypi.local
		}
	} else {
		add(bound.String())
	}
	for _, h := range allow {
		if h == "*" {
			c.any = true
		}
		add(h)
	}
	return c
}

// check returns why r comes from a page the preview does not answer to,
// or nil.
func (c *hostCheck) check(r *http.Request) error {
	if c.any {
		return nil
	}
	if !c.allowed(r.Host) {
		return fmt.Errorf("host %q is not an address of this preview (edgecnn run --web-allow NAME accepts another name)", r.Host)
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		if u, err := url.Parse(origin); err != nil || !c.allowed(u.Host) {
			return fmt.Errorf("requests from pages of %q are refused (edgecnn run --web-allow NAME accepts another name)", origin)
		}
	}
	return nil
}

// allowed reports whether the host of hostport is one of c's names or a
// loopback address or name.
func (c *hostCheck) allowed(hostport string) bool {
	host := canonicalHost(hostport)
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return true
	}
	return strings.HasSuffix(host, ".localhost") || c.names[host] // RFC 6761: *.localhost is loopback
}

// canonicalHost is the host of a Host header or address, lower case,
// without port, brackets or trailing dot, an IP address in its shortest
// form.
func canonicalHost(hostport string) string {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if ip := net.ParseIP(host); ip != nil {
		return ip.String()
	}
	return host
}
