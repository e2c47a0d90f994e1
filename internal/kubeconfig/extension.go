package kubeconfig

// ExecExtension is the name of the cluster extension whose extension kubectl
// passes to exec plugins as spec.cluster.config when the user has
// provideClusterInfo: true. kubelogin reads audience from it.
const ExecExtension = "client.authentication.k8s.io/exec"

// ClusterAudience is the audience a cluster's exec extension names.
type ClusterAudience struct {
	Cluster, Audience string
}

// ClusterFile returns the file that defines the cluster name (the first one:
// kubectl reads the first definition).
func (s *Set) ClusterFile(name string) (*File, bool) {
	for _, f := range s.Files {
		if f.HasCluster(name) {
			return f, true
		}
	}
	return nil, false
}

// SetClusterAudience sets audience in the cluster's extension named
// ExecExtension, keeping the cluster's other extensions and the other keys
// of that one. It reports false when the file does not define the cluster.
func (f *File) SetClusterAudience(cluster, audience string) bool {
	_, body, ok := f.named("clusters", cluster)
	if !ok {
		return false
	}
	if body == nil {
		body = map[string]any{}
		f.put("clusters", cluster, body)
	}
	list, _ := body["extensions"].([]any)
	for _, it := range list {
		m, _ := it.(map[string]any)
		if m == nil || m["name"] != ExecExtension {
			continue
		}
		ext, _ := m["extension"].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			m["extension"] = ext
		}
		ext["audience"] = audience
		return true
	}
	body["extensions"] = append(list, map[string]any{
		"name":      ExecExtension,
		"extension": map[string]any{"audience": audience},
	})
	return true
}

// ClusterAudienceOf returns the audience of the cluster's exec extension,
// "" when it has none.
func (f *File) ClusterAudienceOf(cluster string) string {
	_, body, _ := f.named("clusters", cluster)
	list, _ := body["extensions"].([]any)
	for _, it := range list {
		m, _ := it.(map[string]any)
		if m == nil || m["name"] != ExecExtension {
			continue
		}
		ext, _ := m["extension"].(map[string]any)
		aud, _ := ext["audience"].(string)
		return aud
	}
	return ""
}

// ContextsOf returns the names of the file's contexts that use cluster.
func (f *File) ContextsOf(cluster string) []string {
	var out []string
	for _, name := range f.names("contexts") {
		if c, ok := f.Context(name); ok && c.Cluster == cluster {
			out = append(out, name)
		}
	}
	return out
}
