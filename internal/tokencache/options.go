package tokencache

// Storages accepted by --token-cache-storage.
const (
	StorageDisk    = "disk"
	StorageKeyring = "keyring"
	StorageNone    = "none"
)

// Storages lists the values of --token-cache-storage.
var Storages = []string{StorageDisk, StorageKeyring, StorageNone}

// Options are the cache flags: where tokens are kept between runs.
type Options struct {
	// Dir holds the entries (disk), the keyring markers, the locks and the
	// provider metadata, whatever the storage.
	Dir     string
	Storage string
	// ForceRefresh skips the cached token (but keeps its refresh token).
	ForceRefresh bool
}
