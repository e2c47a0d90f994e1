package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
)

// ServeHTTP routes the few endpoints kubectl needs.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/healthz", "/readyz", "/livez":
		fmt.Fprint(w, "ok")
		return
	}
	u, ok := s.authenticate(r)
	if !ok {
		status(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized")
		return
	}
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case path == "/version":
		writeJSON(w, map[string]string{"major": "1", "minor": "37", "gitVersion": "v1.37.2-standin",
			"platform": "linux/amd64"})
	case path == "/api":
		writeJSON(w, map[string]any{"kind": "APIVersions", "versions": []string{"v1"},
			"serverAddressByClientCIDRs": []any{map[string]string{"clientCIDR": "0.0.0.0/0", "serverAddress": r.Host}}})
	case path == "/apis":
		writeJSON(w, map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": []any{
			group("authentication.k8s.io"), group("rbac.authorization.k8s.io")}})
	case path == "/api/v1":
		writeJSON(w, resources("v1", resource("pods", "pod", "Pod", true, "get", "list")))
	case path == "/apis/authentication.k8s.io/v1":
		writeJSON(w, resources("authentication.k8s.io/v1",
			resource("selfsubjectreviews", "selfsubjectreview", "SelfSubjectReview", false, "create")))
	case path == "/apis/rbac.authorization.k8s.io/v1":
		writeJSON(w, resources("rbac.authorization.k8s.io/v1",
			resource("clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false, "create", "delete", "get", "list")))
	case path == "/apis/authentication.k8s.io/v1/selfsubjectreviews" && r.Method == http.MethodPost:
		created(w, map[string]any{"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
			"metadata": map[string]any{"creationTimestamp": nil},
			"status":   map[string]any{"userInfo": map[string]any{"username": u.Name, "groups": u.Groups}}})
	case strings.HasPrefix(path, "/api/v1/namespaces/") && strings.HasSuffix(path, "/pods"):
		ns := strings.Split(path, "/")[4]
		if !s.allowedToRead(u) {
			status(w, http.StatusForbidden, "Forbidden", fmt.Sprintf(
				`pods is forbidden: User %q cannot list resource "pods" in API group "" in the namespace %q`, u.Name, ns))
			return
		}
		writeJSON(w, map[string]any{"kind": "PodList", "apiVersion": "v1",
			"metadata": map[string]any{"resourceVersion": "1"}, "items": []any{}})
	case strings.HasPrefix(path, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"):
		if !u.admin() {
			status(w, http.StatusForbidden, "Forbidden", fmt.Sprintf("clusterrolebindings is forbidden: User %q", u.Name))
			return
		}
		s.clusterRoleBindings(w, r, strings.TrimPrefix(strings.TrimPrefix(path, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"), "/"))
	default:
		status(w, http.StatusNotFound, "NotFound", "the server could not find the requested resource")
	}
}

// clusterRoleBindings stores, returns and deletes bindings by name.
func (s *server) clusterRoleBindings(w http.ResponseWriter, r *http.Request, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	notFound := func() {
		status(w, http.StatusNotFound, "NotFound", fmt.Sprintf("clusterrolebindings.rbac.authorization.k8s.io %q not found", name))
	}
	switch {
	case r.Method == http.MethodPost && name == "":
		body, _ := io.ReadAll(r.Body)
		var obj struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Subjects []struct {
				Kind string `json:"kind"`
				Name string `json:"name"`
			} `json:"subjects"`
		}
		var raw map[string]any
		if json.Unmarshal(body, &obj) != nil || json.Unmarshal(body, &raw) != nil {
			log.Printf("cannot decode a %s ClusterRoleBinding: %.200q", r.Header.Get("Content-Type"), body)
			status(w, http.StatusBadRequest, "BadRequest", "cannot decode the ClusterRoleBinding")
			return
		}
		if _, ok := s.bindings[obj.Metadata.Name]; ok {
			status(w, http.StatusConflict, "AlreadyExists", fmt.Sprintf("clusterrolebindings.rbac.authorization.k8s.io %q already exists", obj.Metadata.Name))
			return
		}
		b := binding{Raw: raw}
		for _, sub := range obj.Subjects {
			if sub.Kind == "User" {
				b.Users = append(b.Users, sub.Name)
			}
		}
		s.bindings[obj.Metadata.Name] = b
		created(w, raw)
	case r.Method == http.MethodGet && name != "":
		b, ok := s.bindings[name]
		if !ok {
			notFound()
			return
		}
		writeJSON(w, b.Raw)
	case r.Method == http.MethodDelete && name != "":
		if _, ok := s.bindings[name]; !ok {
			notFound()
			return
		}
		delete(s.bindings, name)
		writeJSON(w, map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Success"})
	default:
		status(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "not supported by the stand-in")
	}
}

func group(name string) map[string]any {
	v := map[string]string{"groupVersion": name + "/v1", "version": "v1"}
	return map[string]any{"name": name, "versions": []any{v}, "preferredVersion": v}
}

func resource(plural, singular, kind string, namespaced bool, verbs ...string) map[string]any {
	return map[string]any{"name": plural, "singularName": singular, "kind": kind, "namespaced": namespaced, "verbs": verbs}
}

func resources(groupVersion string, list ...map[string]any) map[string]any {
	return map[string]any{"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": groupVersion, "resources": list}
}

func status(w http.ResponseWriter, code int, reason, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{},
		"status": "Failure", "message": message, "reason": reason, "code": code})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func created(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(v)
}
