package harness

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// CacheEntry is one token cache file, read without knowing its schema: the
// harness only looks for "id_token", "access_token" and "refresh_token"
// fields at any depth.
type CacheEntry struct {
	// Path is the file's path.
	Path string
	// Mode is the file's permission bits.
	Mode os.FileMode
	// IDToken, AccessToken and RefreshToken are the first such fields found.
	IDToken, AccessToken, RefreshToken string
	// Raw is the file's content.
	Raw string
}

// IDTokenExpiry is the exp claim of the entry's ID token.
func (e CacheEntry) IDTokenExpiry() (time.Time, error) {
	return JWTExpiry(e.IDToken)
}

// ReadCache reads every JSON file in dir (lock files and others are skipped).
// A missing directory is an empty cache.
func ReadCache(dir string) ([]CacheEntry, error) {
	files, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var entries []CacheEntry
	for _, f := range files {
		if f.IsDir() || strings.HasSuffix(f.Name(), ".lock") {
			continue
		}
		path := filepath.Join(dir, f.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var v any
		if json.Unmarshal(b, &v) != nil {
			continue
		}
		info, err := f.Info()
		if err != nil {
			return nil, err
		}
		e := CacheEntry{Path: path, Mode: info.Mode().Perm(), Raw: string(b)}
		e.IDToken = findString(v, "id_token", "idToken", "IDToken")
		e.AccessToken = findString(v, "access_token", "accessToken", "AccessToken")
		e.RefreshToken = findString(v, "refresh_token", "refreshToken", "RefreshToken")
		if e.IDToken != "" || e.AccessToken != "" || e.RefreshToken != "" {
			entries = append(entries, e)
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
	return entries, nil
}

// findString returns the first string value under one of keys, searching
// nested objects depth-first.
func findString(v any, keys ...string) string {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range keys {
			if s, ok := v[k].(string); ok && s != "" {
				return s
			}
		}
		names := make([]string, 0, len(v))
		for k := range v {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if s := findString(v[k], keys...); s != "" {
				return s
			}
		}
	case []any:
		for _, e := range v {
			if s := findString(e, keys...); s != "" {
				return s
			}
		}
	}
	return ""
}

// JWTClaims decodes a JWT's payload without verifying it.
func JWTClaims(token string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("not a JWT (%d parts)", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("decode JWT payload: %w", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(b, &claims); err != nil {
		return nil, fmt.Errorf("parse JWT payload: %w", err)
	}
	return claims, nil
}

// JWTExpiry returns a JWT's exp claim.
func JWTExpiry(token string) (time.Time, error) {
	claims, err := JWTClaims(token)
	if err != nil {
		return time.Time{}, err
	}
	exp, ok := claims["exp"].(float64)
	if !ok {
		return time.Time{}, fmt.Errorf("JWT has no exp claim")
	}
	return time.Unix(int64(exp), 0), nil
}
