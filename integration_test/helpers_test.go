package integration_test

import (
	"net"
	"strconv"
	"strings"
)

func ipv6Loopback() bool {
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func itoa(n int) string { return strconv.Itoa(n) }

func removeFlag(args []string, name string) []string {
	var out []string
	for _, a := range args {
		if !strings.HasPrefix(a, name+"=") {
			out = append(out, a)
		}
	}
	return out
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
