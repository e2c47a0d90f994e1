package kubeconfig

// The parts of a kubeconfig this package reads and writes, with the field
// names of client-go's clientcmd/api/v1 types. Everything else in a file is
// left as it is.

// AuthProviderConfig is a user's auth-provider section.
type AuthProviderConfig struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config,omitempty"`
}

// ExecConfig is a user's exec section (client-go's exec credential plugin).
type ExecConfig struct {
	Command            string       `json:"command"`
	Args               []string     `json:"args"`
	Env                []ExecEnvVar `json:"env"`
	APIVersion         string       `json:"apiVersion,omitempty"`
	InstallHint        string       `json:"installHint,omitempty"`
	ProvideClusterInfo bool         `json:"provideClusterInfo"`
	InteractiveMode    string       `json:"interactiveMode,omitempty"`
}

// ExecEnvVar is one environment variable of an exec section.
type ExecEnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Values of ExecConfig.InteractiveMode.
const (
	InteractiveNever       = "Never"
	InteractiveIfAvailable = "IfAvailable"
)

// User is what this package reads of a kubeconfig user.
type User struct {
	AuthProvider *AuthProviderConfig `json:"auth-provider,omitempty"`
	Exec         *ExecConfig         `json:"exec,omitempty"`
}

// Context is a kubeconfig context.
type Context struct {
	Cluster   string `json:"cluster"`
	User      string `json:"user"`
	Namespace string `json:"namespace,omitempty"`
}

// named returns the item called name of the list key ("users", "contexts",
// "clusters"), its body (the "user", "context" or "cluster" member), and
// whether it is there.
func (f *File) named(key, name string) (item map[string]any, body map[string]any, ok bool) {
	list, _ := f.doc[key].([]any)
	for _, it := range list {
		m, _ := it.(map[string]any)
		if m != nil && m["name"] == name {
			b, _ := m[member(key)].(map[string]any)
			return m, b, true
		}
	}
	return nil, nil, false
}

func member(key string) string { return key[:len(key)-1] } // users → user

// put sets the body of the item called name, adding the item if needed.
func (f *File) put(key, name string, body map[string]any) {
	if item, _, ok := f.named(key, name); ok {
		item[member(key)] = body
		return
	}
	list, _ := f.doc[key].([]any)
	f.doc[key] = append(list, map[string]any{"name": name, member(key): body})
}

// names returns the names of the list key, in file order.
func (f *File) names(key string) []string {
	var out []string
	list, _ := f.doc[key].([]any)
	for _, it := range list {
		if m, _ := it.(map[string]any); m != nil {
			if n, ok := m["name"].(string); ok {
				out = append(out, n)
			}
		}
	}
	return out
}

// UserNames returns the names of the file's users, in file order.
func (f *File) UserNames() []string { return f.names("users") }

// User returns the user name.
func (f *File) User(name string) (User, bool) {
	_, body, ok := f.named("users", name)
	if !ok {
		return User{}, false
	}
	var u User
	_ = decode(body, &u) // a malformed section reads as empty
	return u, true
}

// SetExec makes the user name run ex, replacing any auth-provider and keeping
// the user's other fields. The user is added when missing.
func (f *File) SetExec(name string, ex *ExecConfig) {
	_, body, _ := f.named("users", name)
	if body == nil {
		body = map[string]any{}
	}
	delete(body, "auth-provider")
	body["exec"] = convert(ex)
	f.put("users", name, body)
}

// PatchExec sets fields of the user's exec section (e.g. "args",
// "interactiveMode"), leaving the others as they are written.
func (f *File) PatchExec(name string, fields map[string]any) {
	_, body, _ := f.named("users", name)
	if body == nil {
		return
	}
	ex, _ := body["exec"].(map[string]any)
	if ex == nil {
		ex = map[string]any{}
		body["exec"] = ex
	}
	for k, v := range fields {
		ex[k] = convert(v)
	}
}

// SetAuthProviderTokens writes the tokens into the user's auth-provider config.
func (f *File) SetAuthProviderTokens(name, idToken, refreshToken string) {
	_, body, ok := f.named("users", name)
	if !ok {
		return
	}
	ap, _ := body["auth-provider"].(map[string]any)
	if ap == nil {
		return
	}
	cfg, _ := ap["config"].(map[string]any)
	if cfg == nil {
		cfg = map[string]any{}
		ap["config"] = cfg
	}
	cfg["id-token"] = idToken
	if refreshToken != "" {
		cfg["refresh-token"] = refreshToken
	} else {
		delete(cfg, "refresh-token")
	}
}

// Context returns the context name.
func (f *File) Context(name string) (Context, bool) {
	_, body, ok := f.named("contexts", name)
	if !ok {
		return Context{}, false
	}
	var c Context
	_ = decode(body, &c)
	return c, true
}

// SetContext points the context name at cluster and user, keeping its other
// fields (namespace, extensions). The context is added when missing.
func (f *File) SetContext(name, cluster, user string) {
	_, body, _ := f.named("contexts", name)
	if body == nil {
		body = map[string]any{}
	}
	body["cluster"], body["user"] = cluster, user
	f.put("contexts", name, body)
}

// HasCluster reports whether the file defines the cluster name.
func (f *File) HasCluster(name string) bool {
	_, _, ok := f.named("clusters", name)
	return ok
}

// CurrentContext returns the file's current-context.
func (f *File) CurrentContext() string {
	s, _ := f.doc["current-context"].(string)
	return s
}
